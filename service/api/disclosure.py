"""Small numbers withheld from the board, as in the board pack: a count under SMALL_NUMBER
could point to a child in a small authority or a short period (DfE's statistical practice
suppresses small counts in published tables). Managers and auditors see the full figures."""

from __future__ import annotations

from typing import Any

from domain.action_plan import SMALL_NUMBER

COUNTS = frozenset({
    "within", "total", "received", "plans", "within 20 weeks", "20 to 52 weeks",
    "over 52 weeks", "breach_certain", "at_risk", "open_assessments", "issued",
    "issued_within", "projected", "projected_within", "reviews_certain_late",
    "reviews_at_risk", "orders_certain_late",
})
DENOMINATORS = ("total", "received", "plans", "issued", "projected")  # summed per table row
RATES = ("percent", "mean_days_late", "mean_weeks_to_issue")


def for_the_board(figures: Any) -> Any:
    """The same response with every small count withheld (null), and the rates and
    descriptions that would reveal one."""
    if isinstance(figures, list):
        return [for_the_board(item) for item in figures]
    if not isinstance(figures, dict):
        return figures
    shown = {key: for_the_board(value) for key, value in figures.items()}
    withheld = [key for key in COUNTS & shown.keys() if _small(shown[key])]
    denominator = sum(figures[key] for key in DENOMINATORS
                      if isinstance(figures.get(key), int))
    for key in withheld:
        shown[key] = None
    if withheld:
        shown["withheld"] = f"counts under {SMALL_NUMBER} are not shown to the board"
        if _small(denominator):
            shown.update({rate: None for rate in RATES if rate in shown})
        if "shown" in shown:
            percent = shown.get("percent")
            shown["shown"] = (f"{percent}%" if percent is not None
                              else f"fewer than {SMALL_NUMBER} cases")
    return shown


def _small(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < SMALL_NUMBER
