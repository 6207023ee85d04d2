"""The managers' dashboard and the board's plan monitoring (any quarter, past ones included),
with the board pack to download. Every chart has its numbers in a table beside it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from calendars.periods import Period, period_containing, periods_between
from domain import wording
from domain.action_plan import ActionPlan, IndicatorFilters
from projections.kpis import DISPUTES_MEASURE, MEASURES
from projections.monitoring import Reading, monitor
from projections.queries import advice_by_provider, breach_forecast, caseload_balance, kpi_table
from service.api.plans import plans_dir
from service.board_pack import board_pack_zip, in_progress
from service.charts import bar_chart
from service.plan_files import load_plan
from service.web.forms import FieldError
from service.web.session import PageNotFound, require
from service.web.templating import page

router = APIRouter(prefix="/app", include_in_schema=False)
QUARTERS_BACK = 12  # how far the period picker reaches when the plans start later


@router.get("/dashboard")
def dashboard(request: Request) -> HTMLResponse:
    require(request, "manager")
    svc = request.app.state.services
    today = svc.today()
    targets = _targets()
    with svc.read_lock:
        store = svc.read_models()
        forecast = breach_forecast(store, today)
        kpis = [row for form in ("month", "quarter", "year")
                for row in _period_rows(store, period_containing(today, form), targets, today)]
        year = period_containing(today, "year")
        advice = advice_by_provider(store, year).to_dict("records")
        balance = caseload_balance(store).to_dict("records")
    advice_chart = bar_chart(f"Advice within 6 weeks by provider, {year.label}", [
        (wording.provider_label(r["provider"]).capitalize(), float(r["percent"]))
        for r in advice], maximum=100)
    balance_chart = bar_chart("Open cases per caseworker", [
        (f"{r['caseworker'] or 'No caseworker'} ({r['team'] or 'no team'})",
         float(r["open_cases"])) for r in balance], unit="")
    return page(request, "dashboard.html", forecast=forecast, kpis=kpis, advice=advice,
                balance=balance, advice_chart=advice_chart, balance_chart=balance_chart,
                today=today, year=year)


def _period_rows(store: Any, period: Period, targets: dict[str, float],
                 today: date) -> list[dict[str, Any]]:
    """Every measure for the period, and beside the 20-week figure DfE's own, which leaves out
    assessments that went to mediation or appeal (plan-lifecycle.md `disputes: excluded`)."""
    rows = []
    for result in kpi_table(store, period):
        rows.append(_kpi_row(result, targets.get(result.measure), period, today))
        if result.measure == DISPUTES_MEASURE:
            [dfe] = kpi_table(store, period, (DISPUTES_MEASURE,), disputes="excluded")
            rows.append(_kpi_row(dfe, None, period, today,
                                 "As DfE counts them: leaving out assessments that went to "
                                 "mediation or appeal"))
    return rows


def _kpi_row(result: Any, target: float | None, period: Period,
             today: date, note: str | None = None) -> dict[str, Any]:
    excluding = result.excluding_exceptions
    met = None if target is None or not excluding.total else excluding.percent >= target
    title = MEASURES[result.measure].title
    return {"period": period.label, "measure": f"{title} ({note[0].lower()}{note[1:]})"
            if note else title,
            "including": result.including_exceptions, "excluding": excluding,
            "target": target, "met": met, "running": period.end >= today}


def _targets() -> dict[str, float]:
    """Each measure's target from the first plan indicator that has no filters."""
    targets: dict[str, float] = {}
    for path in sorted(plans_dir().glob("*.yaml")):
        for indicator in load_plan(path).indicators():
            if indicator.filters == IndicatorFilters():  # the whole authority's figure
                targets.setdefault(indicator.measure, indicator.target.value)
    return targets


def _caught_up(svc: Any) -> None:
    with svc.read_lock:
        svc.read_models()


def _plans() -> list[tuple[str, ActionPlan]]:
    return [(path.stem, load_plan(path)) for path in sorted(plans_dir().glob("*.yaml"))]


def quarters(plans: list[tuple[str, ActionPlan]], today: date) -> list[Period]:
    """Every quarter from the earliest plan's start (or three years back) to this one,
    newest first."""
    first = min([p.starts for _, p in plans], default=today)
    first = min(first, today - timedelta(days=91 * QUARTERS_BACK))
    return list(reversed(periods_between(first, today, "quarter")))


def _period(request: Request, choices: list[Period],
            today: date) -> tuple[Period, list[FieldError]]:
    label = request.query_params.get("period")
    current = period_containing(today, "quarter")
    if not label:
        return current, []
    chosen = next((p for p in choices if p.label == label), None)
    if chosen is None:
        return current, [FieldError("Select a quarter from the list", "period", "#period")]
    return chosen, []


def progress_note(reading: Reading, cohort: str, today: date) -> str | None:
    """A trend value whose cases are still going on is no final figure: it says so."""
    return in_progress(reading.period, cohort, today)


@router.get("/board")
def board(request: Request) -> HTMLResponse:
    require(request, "board", "manager")
    svc = request.app.state.services
    today = svc.today()
    plans = _plans()
    choices = quarters(plans, today)
    period, errors = _period(request, choices, today)
    statuses = []
    with svc.read_lock:
        store = svc.read_models()
        for name, plan in plans:
            statuses.append((name, monitor(plan, store, period, today)))
    return page(request, "board.html", 422 if errors else 200, plans=statuses, period=period,
                choices=choices, errors=errors, today=today, progress_note=progress_note)


@router.get("/board/{name}/pack.zip")
async def board_pack(request: Request, name: str) -> Response:
    """The board pack, made in the heavy-reads process (service.api.heavy) from read models
    brought up to date first, never in the writers' threads."""
    require(request, "board", "manager")
    svc = request.app.state.services
    today = svc.today()
    plans = dict(_plans())
    if name not in plans:
        raise PageNotFound("Plan not found", "There is no action plan with this name. Choose "
                           "one on the plan monitoring page.")
    period, errors = _period(request, quarters(list(plans.items()), today), today)
    if errors:
        raise PageNotFound("Quarter not found", "Choose a quarter on the plan monitoring "
                           "page.")
    await run_in_threadpool(_caught_up, svc)
    content = await svc.heavy.run(board_pack_zip, svc.settings, plans_dir() / f"{name}.yaml",
                                  period.label, today)
    return Response(content, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="board-pack-{name}-{period.label}.zip"'})
