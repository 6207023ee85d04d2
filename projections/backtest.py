"""The forecast's track record: the forecast replayed as it was known on past dates.

For each month, the simulator is run as the service knew the authority on the month's first
day (`known_at`: events logged later are left out, as the auditors' replay leaves them) for
the quarter containing that day, and its figure is set beside what then happened: the
quarter's within-20-weeks figure as known today. A forecast that is never checked is a
guess; this says how far to trust it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date
from typing import Any

from calendars.authority_calendar import AuthorityCalendar
from calendars.periods import period_containing, periods_between
from domain.timeline import NO_CALENDAR
from projections.case_record import Decrypt, records_from
from projections.simulation import (
    CaseFacts,
    Known,
    Settings,
    SimulationRefused,
    check_runs,
    known_authority,
    what_if,
)
from projections.source import EventSource

MAX_MONTHS = 60


def authority_cases(source: EventSource, decrypt: Decrypt | None) -> list[CaseFacts]:
    """Every case's facts, read from the event store (no read model needed)."""
    rows = itertools.chain.from_iterable(source.by_case(source.max_position(), "", 20000))
    return [(record.case_ref, record.facts) for record in records_from(rows, decrypt)]


def first_month(text: str, today: date) -> date:
    """`2024-01`: the first month to replay; CLI and API refuse anything else."""
    try:
        year, month = (int(part) for part in text.split("-"))
        first = date(year, month, 1)
    except ValueError:
        raise SimulationRefused("from_invalid", f"from {text!r}: give a month as YYYY-MM") \
            from None
    if first >= today.replace(day=1):
        raise SimulationRefused("from_in_future", f"from {text}: give a month before this one")
    months = (today.year - year) * 12 + today.month - month
    if months > MAX_MONTHS:
        raise SimulationRefused("from_too_early", f"from {text}: at most {MAX_MONTHS} months "
                                "back")
    return first


def actual_figure(now: Known, start: date, end: date) -> tuple[int, int]:
    """Final plans issued from `start` to `end` and those within 20 weeks, as known now."""
    issued = [within for _, on, within in now.issued if start <= on <= end]
    return len(issued), sum(issued)


def backtest(cases: Sequence[CaseFacts], today: date, first: date, runs: int = 200,
             seed: int = 1, calendar: AuthorityCalendar = NO_CALENDAR,
             mode: str = "steps", spread: bool = True) -> dict[str, Any]:
    """Month by month from `first`: the quarter's figure forecast on the month's first day
    (median and 10-90 range) and the quarter's actual figure, for quarters now over."""
    check_runs(runs)
    now = known_authority(cases, today, today, calendar)
    rows = []
    for month in periods_between(first, today, "month"):
        quarter = period_containing(month.start, "quarter")
        if quarter.end >= today:
            break  # what happened is not known yet
        then = known_authority(cases, month.start, month.start, calendar)
        forecast = what_if(then, Settings(quarter.label, runs, seed, spread=spread, mode=mode),
                           calendar=calendar)
        plans, within = actual_figure(now, quarter.start, quarter.end)
        rows.append(_row(month.label, quarter.label, forecast, plans, within))
    return {"evaluated_on": today.isoformat(), "runs": runs, "seed": seed, "months": rows,
            "summary": calibration(rows)}


def _row(month: str, quarter: str, forecast: dict[str, Any], plans: int,
         within: int) -> dict[str, Any]:
    figure = forecast["baseline"]["percent"]
    actual = None if plans == 0 else round(100 * within / plans, 1)
    error = None if actual is None or figure["median"] is None else round(
        figure["median"] - actual, 1)
    in_range = None if error is None else figure["p10"] <= actual <= figure["p90"]
    return {"forecast_on": f"{month}-01", "quarter": quarter, "projected": figure["median"],
            "young_history": forecast["young_history"],
            "p10": figure["p10"], "p90": figure["p90"], "actual": actual, "plans": plans,
            "plans_within": within, "error": error, "in_range": in_range,
            "open_assessments": forecast["open_assessments"]}


def calibration(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean absolute error, bias (mean error, + when the forecast was too high) and how
    often the actual fell in the 10-90 range (80% would be well calibrated)."""
    errors = [row["error"] for row in rows if row["error"] is not None]
    hits = [row["in_range"] for row in rows if row["in_range"] is not None]
    if not errors:
        return {"months": 0, "mean_absolute_error": None, "bias": None, "in_range": None,
                "in_range_percent": None, "worst_error": None}
    return {"months": len(errors),
            "mean_absolute_error": round(sum(abs(e) for e in errors) / len(errors), 1),
            "bias": round(sum(errors) / len(errors), 1),
            "in_range": sum(hits),
            "in_range_percent": round(100 * sum(hits) / len(hits), 1),
            "worst_error": max(errors, key=abs)}


def backtest_for_board(result: dict[str, Any]) -> dict[str, Any]:
    """Each quarter's plans and plans within 20 weeks are counts: one from 1 to 4 is
    withheld with what gives it away, and so is every figure of that quarter's rows (a
    forecast of a handful of plans would point at them)."""
    from projections.suppression import WITHHELD_NOTE, Table

    table = Table()
    for row in result["months"]:
        quarter = row["quarter"]
        table.count((quarter, "plans"), row["plans"], [(quarter, "within"), (quarter, "late")])
        table.count((quarter, "within"), row["plans_within"], [(quarter, "within")])
    withheld = table.withheld()
    rows = []
    for row in result["months"]:
        quarter = row["quarter"]
        hidden = (quarter, "plans") in withheld or (quarter, "within") in withheld
        shown = {**row, "open_assessments": None}  # a count of no use to the board's question
        if hidden:
            shown.update({key: None for key in ("projected", "p10", "p90", "actual", "plans",
                                                 "plans_within", "error", "in_range")})
            shown["withheld"] = WITHHELD_NOTE
        rows.append(shown)
    return {**result, "months": rows, "summary": calibration(rows)}


def months_back(today: date, months: int) -> date:
    """The first day of the month `months` before this one."""
    back = today.year * 12 + today.month - 1 - months
    return date(back // 12, back % 12 + 1, 1)
