"""What if (managers): the levers as form fields, the simulated figure as a table and a
chart, and the cases that move from late to on time. The simulation runs in the heavy-reads
process (service.api.heavy); nothing it simulates is stored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from calendars.periods import period_containing
from domain import wording
from domain.facts import PROVIDERS
from projections.backtest import backtest_for_board, months_back
from projections.simulation import (
    SimulationRefused,
    check_runs,
    check_weeks,
    levers_from,
)
from service.board_pack import track_record_summary
from service.charts import bar_chart, range_chart
from service.forecasts import PACK_MONTHS, PACK_RUNS, WhatIfAsk, run_backtest, run_what_if
from service.web.forms import FieldError
from service.web.session import require
from service.web.templating import page

router = APIRouter(prefix="/app", include_in_schema=False)
DEFAULT_RUNS = 500
RULE_FIELDS = {"capacity_out_of_range": "capacity", "percent_out_of_range": "advice_percent"}
NUMBERS = {  # field -> (what it is, in the error message)
    "advice_weeks": "the weeks for advice",
    "advice_percent": "how much faster advice comes",
    "decisions_by_week": "the week for decisions",
    "drafts_by_week": "the week for drafts",
    "capacity": "more capacity",
    "runs": "the number of runs",
}


@router.get("/what-if")
async def what_if_page(request: Request) -> HTMLResponse:
    require(request, "manager")
    svc = request.app.state.services
    today = svc.today()
    form = dict(request.query_params)
    form.setdefault("period", period_containing(today, "academic_year").label)
    result, errors, chart = None, [], None
    if "run" in request.query_params:
        ask, errors = _ask(form, today)
        if ask is not None:
            result = await svc.heavy.run(run_what_if, svc.settings, ask, today)
            chart = _chart(result)
    return page(request, "what_if.html", 422 if errors else 200, form=form, result=result,
                errors=errors, chart=chart, providers=PROVIDERS, today=today,
                periods=periods(today))


def periods(today: date) -> list[str]:
    """The periods a manager may choose: this one and the next few of each kind."""
    labels = []
    for form, ahead in (("month", 3), ("quarter", 4), ("year", 2), ("academic_year", 2)):
        day = today
        for _ in range(ahead):
            period = period_containing(day, form)
            labels.append(period.label)
            day = period.end + timedelta(days=1)
    return labels


def _ask(form: dict[str, str], today: date) -> tuple[WhatIfAsk | None, list[FieldError]]:
    """The form's answers as a question for the simulator, or the errors to show."""
    errors: list[FieldError] = []
    numbers: dict[str, float | None] = {}
    for name, what in NUMBERS.items():
        text = form.get(name, "").strip()
        if not text:
            numbers[name] = None
        elif text.isdigit():
            numbers[name] = int(text)
        else:
            numbers[name] = None
            errors.append(FieldError(f"Enter {what} as a whole number, like 8", name,
                                     f"#{name}"))
    if form.get("period") not in periods(today):
        errors.append(FieldError("Select a period from the list", "period", "#period"))
    provider = form.get("advice_provider", "")
    advice: list[str] = []
    if provider:
        weeks, percent = numbers["advice_weeks"], numbers["advice_percent"]
        if weeks is None and percent is None:
            errors.append(FieldError("Enter the weeks for advice, or how much faster it comes",
                                     "advice_weeks", "#advice_weeks"))
        if weeks is not None:
            advice.append(f"{provider}={weeks:g}w")
        if percent is not None:
            advice.append(f"{provider}={percent:g}%")
    for name in ("decisions_by_week", "drafts_by_week"):
        value = numbers[name]
        if value is not None:
            _check(errors, name, lambda v=value: check_weeks(int(v), "week"),
                   "Enter a week from 1 to 52")
    runs = int(numbers["runs"] or DEFAULT_RUNS)
    _check(errors, "runs", lambda: check_runs(runs), "Enter a number of runs from 1 to 10,000")
    _check(errors, "advice_weeks", lambda: levers_from(advice, capacity=numbers["capacity"] or 0),
           None)
    if errors:
        return None, errors
    return WhatIfAsk(form["period"].strip(), tuple(advice), _int(numbers["decisions_by_week"]),
                     _int(numbers["drafts_by_week"]), form.get("finals") == "yes",
                     float(numbers["capacity"] or 0), runs), []


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)


def _check(errors: list[FieldError], field: str, test: Callable[[], Any],
           message: str | None) -> None:
    if any(error.field == field for error in errors):
        return
    try:
        test()
    except SimulationRefused as refused:
        field = RULE_FIELDS.get(refused.rule, field)
        errors.append(FieldError(message or _sentence(str(refused)), field, f"#{field}"))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _chart(result: dict[str, Any]) -> str:
    bars = [("Now", result["baseline"]["percent"]["median"])]
    if "scenario" in result:
        bars.append(("With the changes", result["scenario"]["percent"]["median"]))
    return bar_chart(f"New plans within 20 weeks, {wording.period_text(result['period'])} "
                     "(median of the runs)", [(label, float(value)) for label, value in bars
                                               if value is not None], maximum=100)


@router.get("/what-if/track-record")
async def track_record_page(request: Request) -> HTMLResponse:
    """Each month's forecast of its quarter, as then known, beside what happened: how far to
    trust the forecast. The board sees it with small counts withheld."""
    who = require(request, "manager", "board")
    svc = request.app.state.services
    today = svc.today()
    first = months_back(today, PACK_MONTHS)
    result = await svc.heavy.run(run_backtest, svc.settings, f"{first:%Y-%m}", PACK_RUNS, 1,
                                 today)
    if who.role == "board":
        result = backtest_for_board(result)
    chart = range_chart("Each quarter's forecast, month by month, and what happened", [
                            (f"{date.fromisoformat(row['forecast_on']):%b %Y}", row["p10"],
                             row["projected"], row["p90"], row["actual"])
                            for row in result["months"]])
    return page(request, "track_record.html", result=result, chart=chart,
                summary=track_record_summary(result), today=today)
