"""Caseloads, forecasts, KPIs and exports. The board sees aggregates only: counts and
percentages, never a case reference or any other child-level field."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from calendars.periods import parse_period
from projections.kpis import COHORTS, DISPUTES, MEASURES
from projections.queries import (
    advice_by_provider,
    breach_forecast,
    caseload,
    caseload_balance,
    dfe_bands,
    kpi_table,
)
from service.api import disclosure
from service.api.context import Services, allow, json_response, services
from service.api.problems import Problem
from service.api.text import query_text
from service.reports import write_sen2_export
from service.tokens import Principal

router = APIRouter(tags=["reports"])
Svc = Annotated[Services, Depends(services)]
# Auditors read any case, so they may list them too (the pages' caseload is their way in).
Caseloads = Annotated[Principal, Depends(allow("caseworker", "manager", "auditor"))]
Managers = Annotated[Principal, Depends(allow("manager"))]
Aggregates = Annotated[Principal, Depends(allow("manager", "board"))]
Exporters = Annotated[Principal, Depends(allow("manager", "auditor"))]
CASELOAD_FIELDS = ["case_ref", "team", "caseworker", "status", "request_received", "next_key",
                   "next_due", "days_to_next", "overdue", "breach_certain", "earliest_final",
                   "final_due", "final_status"]
WHOLE_NUMBERS = ("days_to_next", "overdue", "breach_certain")  # never 1.0 beside a null


@router.get("/health", tags=["service"])
def health(svc: Svc) -> Response:
    """Liveness and the projection's position: 503 with a reason when the read models cannot
    advance (the projection fails on an event, or its writer is stuck behind the events)."""
    with svc.read_lock:
        healthy, details = svc.projection_health()
    body = {"status": "ok" if healthy else "unhealthy", **details,
            "today": svc.today().isoformat()}
    return json_response(body, status_code=200 if healthy else 503)


@router.get("/caseloads")
def caseloads(
    who: Caseloads, svc: Svc, caseworker: str | None = None, team: str | None = None,
    include_closed: bool = False,
) -> dict[str, Any]:
    """Cases by urgency: breach certain, most overdue, nearest deadline. Caseworkers see
    their own caseload, or a team-mate's (`caseworker=`), within their own team."""
    caseworker = query_text(caseworker, "caseworker", "the caseworker's name")
    team = query_text(team, "team", "the team's name")
    if who.role == "caseworker":
        if team is not None and team != who.team:
            raise Problem(403, "Forbidden", "caseworkers see their own team's caseloads",
                          "other_team")
        caseworker, team = who.own_caseload(caseworker)
    with svc.read_lock:
        frame = caseload(svc.read_models(), svc.today(), caseworker, team, include_closed)
    shown = frame[CASELOAD_FIELDS].astype({column: "Int64" for column in WHOLE_NUMBERS})
    records = shown.astype(object).where(shown.notna(), None)
    return {"evaluated_on": svc.today().isoformat(), "count": len(frame),
            "cases": records.to_dict("records")}


@router.get("/caseloads/balance")
def balance(who: Managers, svc: Svc) -> dict[str, Any]:
    with svc.read_lock:
        frame = caseload_balance(svc.read_models())
    return {"caseworkers": frame.astype(object).where(frame.notna(), None).to_dict("records")}


@router.get("/forecast")
def forecast(who: Aggregates, svc: Svc) -> dict[str, Any]:
    with svc.read_lock:
        result = breach_forecast(svc.read_models(), svc.today())
    if who.role == "board":  # counts only: no child-level record reaches the board
        return disclosure.forecast(result)
    return result


def _period(period: str) -> Any:
    try:
        return parse_period(period)
    except ValueError as error:
        raise Problem(422, "Invalid period", str(error), "invalid_period") from None


@router.get("/kpis")
def kpis(
    who: Aggregates, svc: Svc,
    period: Annotated[str, Query(description='"2025", "2024/25", "2025-Q1" or "2025-03"')],
    measure: Annotated[list[str] | None, Query()] = None,
    cohort: str = "completed", provider: str | None = None,
    disputes: Annotated[str, Query(description="included, or excluded: DfE's 20-week figure "
                                   "leaves out assessments that went to mediation or "
                                   "appeal")] = "included",
) -> dict[str, Any]:
    provider = query_text(provider, "provider", "the provider")
    measures = tuple(dict.fromkeys(measure or MEASURES))  # each once: repeats add no work
    unknown = [m for m in measures if m not in MEASURES]
    if unknown or cohort not in COHORTS or disputes not in DISPUTES:
        raise Problem(422, "Invalid request", f"measures: {', '.join(MEASURES)}; cohorts: "
                      f"{', '.join(COHORTS)}; disputes: {', '.join(DISPUTES)}",
                      "invalid_request")
    chosen = _period(period)
    with svc.read_lock:
        results = kpi_table(svc.read_models(), chosen, measures, cohort, provider,
                            disputes=disputes)
    return _as_seen_by(who, disclosure.kpis, {
            "period": chosen.label, "start": chosen.start.isoformat(),
            "end": chosen.end.isoformat(), "cohort": cohort, "provider": provider,
            "disputes": disputes,
            "kpis": [{"measure": r.measure, "title": MEASURES[r.measure].title,
                      "citation": MEASURES[r.measure].citation,
                      "including_exceptions": _value(r.including_exceptions),
                      "excluding_exceptions": _value(r.excluding_exceptions)}
                     for r in results]})


def _as_seen_by(who: Principal, for_board: Callable[[dict[str, Any]], dict[str, Any]],
                figures: dict[str, Any]) -> dict[str, Any]:
    return for_board(figures) if who.role == "board" else figures


def _value(value: Any) -> dict[str, Any]:
    percent = value.percent
    return {"within": value.within, "total": value.total,
            "percent": None if percent is None else round(percent, 1)}


@router.get("/kpis/bands")
def bands(who: Aggregates, svc: Svc, period: str) -> dict[str, Any]:
    chosen = _period(period)
    with svc.read_lock:
        figures = {"period": chosen.label, **dfe_bands(svc.read_models(), chosen)}
    return _as_seen_by(who, disclosure.bands, figures)


@router.get("/kpis/advice")
def advice(who: Aggregates, svc: Svc, period: str) -> dict[str, Any]:
    chosen = _period(period)
    with svc.read_lock:
        table = advice_by_provider(svc.read_models(), chosen)
    return _as_seen_by(who, disclosure.advice,
                       {"period": chosen.label, "providers": table.to_dict("records")})


@router.get("/exports/sen2", response_class=FileResponse)
async def sen2(
    who: Exporters, svc: Svc, year: Annotated[int, Query(ge=2014, le=2100)],
    known_at: date | None = None,
) -> FileResponse:
    """SEN2 modules 1-5 in the layout Data to Insight's SEND tool reads, with the phase
    transfers and notes, in a zip, as known on `known_at` (module 1 for managers and auditors,
    every child read recorded under the reader's name). Made in the heavy-reads process
    (service.api.heavy), never in the writers' threads."""
    folder = Path(tempfile.mkdtemp(prefix="sen2-"))
    out = folder / f"sen2-{year}.zip"
    try:
        assert svc.heavy is not None
        await svc.heavy.run(write_sen2_export, svc.settings, year, out, known_at, who)
    except BaseException:
        _remove(folder)
        raise
    return FileResponse(out, media_type="application/zip", filename=out.name,
                        background=BackgroundTask(_remove, folder))


def _remove(folder: Path) -> None:
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
