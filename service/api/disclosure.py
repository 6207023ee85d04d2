"""What the board's API responses show: aggregates only, with every count under SMALL_NUMBER
withheld (null, with a `withheld` note) and every figure that would give one away withheld
beside it (projections.board, projections.suppression), as in the board pack. A count under
5 could point to a child in a small authority or a short period. Managers and auditors see
the full figures."""

from __future__ import annotations

from typing import Any

from projections.board import (
    advice_for_board,
    bands_for_board,
    forecast_for_board,
    kpis_for_board,
)

# The keys of the board's responses that hold counts of children or deadlines.
COUNTS = frozenset({
    "within", "total", "received", "plans", "within 20 weeks", "20 to 52 weeks",
    "over 52 weeks", "breach_certain", "at_risk", "open_assessments", "issued",
    "issued_within", "projected", "projected_within", "reviews_certain_late",
    "reviews_at_risk", "orders_certain_late",
})


def kpis(figures: dict[str, Any]) -> dict[str, Any]:
    return {**figures, "kpis": kpis_for_board(figures["kpis"])}


def bands(figures: dict[str, Any]) -> dict[str, Any]:
    return bands_for_board(figures)


def advice(figures: dict[str, Any]) -> dict[str, Any]:
    return {**figures, "providers": advice_for_board(figures["providers"])}


def forecast(figures: dict[str, Any]) -> dict[str, Any]:
    """Counts only: every list of cases becomes its length, so no child-level record reaches
    the board."""
    return forecast_for_board({key: len(value) if isinstance(value, list) else value
                               for key, value in figures.items()})
