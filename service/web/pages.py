"""Server-rendered pages in the GOV.UK Design System for caseworkers, managers, the board and
auditors. Every figure comes from the same engine and read models as the API."""

from __future__ import annotations

import io
import re
import shutil
import tempfile
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader

from calendars.periods import period_containing
from domain.errors import RuleBroken
from domain.facts import fact_payload
from domain.history import effective_facts
from domain.timeline import CaseTimeline, evaluate
from projections.kpis import MEASURES
from projections.monitoring import monitor
from projections.queries import (
    advice_by_provider,
    breach_forecast,
    caseload,
    caseload_balance,
    kpi_table,
)
from service.api.cases import CASE_REF
from service.api.context import Services
from service.api.plans import plans_dir
from service.application import CaseExists, CaseNotFound, VersionConflict
from service.board_pack import write_board_pack
from service.charts import bar_chart
from service.plan_files import load_plan
from service.tokens import Principal
from service.web.forms import (
    EVENT_FIELDS,
    EVENT_LABELS,
    FormProblem,
    correction_payload,
    date_field,
    event_payload,
)
from service.web.session import COOKIE, HOMES, NotAllowed, SignInRequired, current_user, require
from service.web.timeline_bar import timeline_bar

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"
router = APIRouter(prefix="/app", include_in_schema=False)
CASELOAD_ROWS = 200  # the most urgent first; filters narrow the rest
templates = Jinja2Templates(env=Environment(
    loader=ChoiceLoader([
        FileSystemLoader(Path(__file__).parent / "templates"),
        PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
    ]),
    autoescape=True,
))
STATUS_TAGS = {"met": "govuk-tag--green", "pending": "govuk-tag--blue",
               "overdue": "govuk-tag--red", "late": "govuk-tag--red",
               "excepted": "govuk-tag--orange", "not_applicable": "govuk-tag--grey",
               "green": "govuk-tag--green", "amber": "govuk-tag--orange",
               "red": "govuk-tag--red", "grey": "govuk-tag--grey"}
def options(values: list[str], selected: str | None = None,
            placeholder: str | None = "Choose") -> list[dict[str, Any]]:
    """Select items for the GOV.UK macro (Jinja has no list comprehensions)."""
    first = [{"value": "", "text": placeholder}] if placeholder else []
    return first + [{"value": v, "text": v.replace("_", " ").capitalize(),
                     "selected": v == selected} for v in values]


def labelled(pairs: list[tuple[str, str]], placeholder: str = "Choose") -> list[dict[str, Any]]:
    return [{"value": "", "text": placeholder}] + [{"value": v, "text": t} for v, t in pairs]


def event_radios(form: dict[str, Any], conditionals: dict[str, str]) -> list[dict[str, Any]]:
    return [{"value": kind, "text": label, "checked": form.get("type") == kind,
             "conditional": {"html": conditionals[kind]} if conditionals.get(kind) else None}
            for kind, label in EVENT_LABELS.items()]


templates.env.globals.update(status_tags=STATUS_TAGS, event_labels=EVENT_LABELS,
                             event_fields=EVENT_FIELDS, options=options, labelled=labelled,
                             event_radios=event_radios,
                             providers=["health", "social_care", "educational_psychology",
                                        "education", "early_years", "other"])


def install(app: FastAPI) -> None:
    """Pages, GOV.UK Frontend's own assets (installed by `make setup`, never a CDN), and the
    redirects for signing in."""
    app.include_router(router)
    app.mount("/assets", StaticFiles(directory=FRONTEND / "assets", check_dir=False),
              name="assets")
    app.mount("/govuk", StaticFiles(directory=FRONTEND, check_dir=False), name="govuk")

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/app", status_code=303)

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, _: SignInRequired) -> RedirectResponse:
        return RedirectResponse("/app/sign-in", status_code=303)

    @app.exception_handler(NotAllowed)
    async def _not_allowed(request: Request, _: NotAllowed) -> HTMLResponse:
        return page(request, "message.html", 403, title="You cannot see this page",
                    message="Your role does not give access to this page.")


def services(request: Request) -> Services:
    return request.app.state.services


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    try:
        user = current_user(request)
    except SignInRequired:
        user = None
    return templates.TemplateResponse(request, name, {"user": user, **context},
                                      status_code=status)


@router.get("")
def start(request: Request) -> RedirectResponse:
    try:
        return RedirectResponse(HOMES[current_user(request).role], status_code=303)
    except SignInRequired:
        return RedirectResponse("/app/sign-in", status_code=303)


@router.get("/sign-in")
def sign_in_page(request: Request) -> HTMLResponse:
    return page(request, "sign_in.html")


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    token = str((await request.form()).get("token", "")).strip()
    who = services(request).tokens.principal(token) if token else None
    if who is None:
        return page(request, "sign_in.html", 401, errors=[
            {"text": "Enter a valid access token", "href": "#token"}])
    response = RedirectResponse(HOMES[who.role], status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")
    return response


@router.post("/sign-out")
def sign_out() -> RedirectResponse:
    response = RedirectResponse("/app/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/caseload")
def caseload_page(request: Request, team: str | None = None, status: str | None = None,
                  provider: str | None = None, errors: list | None = None,
                  typed_ref: str = "") -> HTMLResponse:
    who = require(request, "caseworker", "manager", "auditor")
    svc = services(request)
    mine, team = who.own_caseload() if who.role == "caseworker" else (None, team or None)
    with svc.read_lock:
        frame = caseload(svc.read_models(), svc.today(), mine, team, awaiting=provider or None)
    if status == "breach_certain":
        frame = frame[frame["breach_certain"] == 1]
    elif status == "overdue":
        frame = frame[frame["overdue"] > 0]
    elif status == "due_this_week":
        frame = frame[(frame["days_to_next"] >= 0) & (frame["days_to_next"] <= 7)]
    shown = frame.head(CASELOAD_ROWS)
    cases = shown.astype(object).where(shown.notna(), None).to_dict("records")
    return page(request, "caseload.html", 422 if errors else 200, cases=cases, total=len(frame),
                filters={"team": team or "", "status": status or "", "provider": provider or ""},
                errors=errors or [], today=svc.today(), typed_ref=typed_ref)


@router.post("/cases")
async def open_case(request: Request) -> Response:
    who = require(request, "caseworker")
    case_ref = str((await request.form()).get("case_ref", "")).strip()
    svc = services(request)
    try:
        if not re.fullmatch(CASE_REF, case_ref):
            raise FormProblem("Enter the case reference: up to 64 letters, numbers, dots, "
                              "hyphens or underscores, starting with a letter or number",
                              "case_ref")
        if not who.works_on(who.team):
            raise FormProblem("Your token has no team: ask for one with a team", "case_ref")
        svc.application.open_case(case_ref, team=who.team, caseworker=who.name)
    except (FormProblem, CaseExists) as error:
        message = error.message if isinstance(error, FormProblem) else (
            "A case with this reference is already open")
        return caseload_page(request, errors=[{"text": message, "href": "#case_ref"}],
                             typed_ref=case_ref)
    return RedirectResponse(f"/app/cases/{case_ref}", status_code=303)


def _load_case(request: Request, case_ref: str, *roles: str) -> tuple[Principal, Any]:
    who = require(request, *roles)
    try:
        case = services(request).application.case(case_ref)
    except CaseNotFound:
        raise NotAllowed from None
    if not who.works_on(case.team):
        raise NotAllowed
    return who, case


@router.get("/cases/{case_ref}")
def case_page(request: Request, case_ref: str, recorded: int | None = None) -> HTMLResponse:
    return _case_view(request, case_ref, recorded=recorded)


def _case_view(request: Request, case_ref: str, status: int = 200, errors: list | None = None,
               form: dict | None = None, recorded: int | None = None) -> HTMLResponse:
    who, case = _load_case(request, case_ref, "caseworker", "manager", "auditor")
    svc = services(request)
    today = svc.today()
    timeline = evaluate(case.facts, today, None, svc.application.calendar)
    return page(request, "case.html", status, case=case, timeline=timeline,
                bar=timeline_bar(timeline, list(case.facts), today), errors=errors or [],
                form=form or {}, recorded=recorded, can_record=who.role == "caseworker",
                correctable=_correctable(case), today=today)


def _audited(event: Any) -> dict[str, Any]:
    """An event as the audit table shows it; openings and reassignments carry no fact, so
    they are dated by when they were stored (as the API's history shows them)."""
    if hasattr(event, "fact"):
        return fact_payload(event.fact)
    day = event.timestamp.date().isoformat()
    kind = "case_opened" if type(event).__name__ == "Opened" else "caseworker_assigned"
    return {"type": kind, "on": day, "recorded": day,
            **{k: v for k, v in vars(event).items() if k in ("team", "caseworker") and v}}


def _correctable(case: Any) -> list[tuple[str, str]]:
    """Each correctable event as it now reads (its latest correction applied)."""
    return [(f.id, f"{EVENT_LABELS.get(f.type, f.type)} on {f.on} ({f.id})")
            for f in effective_facts(case.facts) if f.id]


@router.post("/cases/{case_ref}/events")
async def record_event(request: Request, case_ref: str) -> Response:
    form = dict(await request.form())
    return _record(request, case_ref, form, lambda: event_payload(form), "#type")


@router.post("/cases/{case_ref}/corrections")
async def correct_event(request: Request, case_ref: str) -> Response:
    form = dict(await request.form())

    def payload() -> dict[str, Any]:
        values = correction_payload(form)
        return {"type": "correction", "on": services(request).today().isoformat(), **values}

    return _record(request, case_ref, form, payload, "#corrects")


def _record(request: Request, case_ref: str, form: dict, build: Any, anchor: str) -> Response:
    who, _ = _load_case(request, case_ref, "caseworker")
    svc = services(request)
    try:
        version = svc.application.record(case_ref, build(), who.name,
                                         today=svc.today(), auto_id=True)
    except FormProblem as problem:
        errors = [{"text": problem.message, "href": f"#{problem.field}"}]
    except RuleBroken as refused:
        errors = [{"text": f"This event was not recorded: {refused.message}", "href": anchor}]
    except VersionConflict:
        errors = [{"text": "Someone else changed this case: check it and try again",
                   "href": anchor}]
    else:
        return RedirectResponse(f"/app/cases/{case_ref}?recorded={version}", status_code=303)
    return _case_view(request, case_ref, 422, errors, form)


@router.get("/audit/{case_ref}")
def audit_page(request: Request, case_ref: str) -> HTMLResponse:
    _, case = _load_case(request, case_ref, "auditor", "manager")
    svc = services(request)
    params = dict(request.query_params)
    errors = []
    today = svc.today()
    try:
        known_at = date_field(params, "known_at", required=False)
        if known_at and date.fromisoformat(known_at) > today:
            raise FormProblem("The date must be today or in the past", "known_at-day")
    except FormProblem as problem:
        known_at, errors = None, [{"text": problem.message, "href": "#known_at-day"}]
    now = evaluate(case.facts, today, None, svc.application.calendar)
    then = None
    if known_at:
        day = date.fromisoformat(known_at)
        then = evaluate(case.facts, None, day, svc.application.calendar)
    events = svc.application.repository.event_store.get(case.id)
    history = [{"version": e.originator_version, "recorded_at": e.timestamp,
                "actor": getattr(e, "actor", None), "fact": _audited(e)} for e in events]
    return page(request, "audit.html", 422 if errors else 200, case=case, history=history,
                now=now, then=then, known_at=known_at, diff=_diff(then, now) if then else [],
                errors=errors, params=params)


def _diff(then: CaseTimeline, now: CaseTimeline) -> list[dict[str, Any]]:
    """What the replay shows differently from today's view, field by field."""
    rows = []
    for key in dict.fromkeys([*then.deadlines, *now.deadlines]):
        before, after = then.deadlines.get(key), now.deadlines.get(key)
        for name in ("due", "status", "completed_on", "days_late", "exception"):
            old = getattr(before, name) if before else "(no deadline yet)"
            new = getattr(after, name) if after else "(no deadline)"
            if old != new:
                rows.append({"what": f"{key} {name.replace('_', ' ')}", "then": old, "now": new})
    for name in ("status", "breach_certain", "breach_reasons"):
        if getattr(then, name) != getattr(now, name):
            rows.append({"what": name.replace("_", " "), "then": getattr(then, name),
                         "now": getattr(now, name)})
    return rows


@router.get("/dashboard")
def dashboard(request: Request) -> HTMLResponse:
    require(request, "manager")
    svc = services(request)
    today = svc.today()
    targets = _targets()
    with svc.read_lock:
        store = svc.read_models()
        forecast = breach_forecast(store, today)
        kpis = []
        for form in ("month", "quarter", "year"):
            period = period_containing(today, form)
            for result in kpi_table(store, period):
                kpis.append({"period": period.label, "measure": MEASURES[result.measure].title,
                             "name": result.measure, "including": result.including_exceptions,
                             "excluding": result.excluding_exceptions,
                             "target": targets.get(result.measure)})
        year = period_containing(today, "year")
        advice = advice_by_provider(store, year)
        balance = caseload_balance(store)
    advice_chart = bar_chart(f"Advice within 6 weeks by provider, {year.label}", [
        (p.replace("_", " "), float(v)) for p, v in zip(advice["provider"], advice["percent"],
                                                       strict=True)], maximum=100)
    balance_chart = bar_chart("Open cases per caseworker", [
        (str(r["caseworker"]), float(r["open_cases"])) for r in balance.to_dict("records")][:12],
        unit=" cases")
    return page(request, "dashboard.html", forecast=forecast, kpis=kpis,
                advice=advice.to_dict("records"), balance=balance.to_dict("records"),
                advice_chart=advice_chart, balance_chart=balance_chart, today=today)


def _targets() -> dict[str, float]:
    """Each measure's target from the first plan indicator that has no filters."""
    targets: dict[str, float] = {}
    for path in sorted(plans_dir().glob("*.yaml")):
        for indicator in load_plan(path).indicators():
            plain = indicator.filters.model_dump() == {"cohort": "completed", "provider": None,
                                                       "team": None}
            if plain:
                targets.setdefault(indicator.measure, indicator.target.value)
    return targets


@router.get("/board")
def board(request: Request) -> HTMLResponse:
    require(request, "board", "manager")
    svc = services(request)
    period = period_containing(svc.today(), "quarter")
    plans = []
    with svc.read_lock:
        store = svc.read_models()
        for path in sorted(plans_dir().glob("*.yaml")):
            plans.append((path.stem, monitor(load_plan(path), store, period, svc.today())))
    return page(request, "board.html", plans=plans, period=period)


@router.get("/board/{name}/pack.zip")
def board_pack(request: Request, name: str) -> Response:
    require(request, "board", "manager")
    svc = services(request)
    path = plans_dir() / f"{name}.yaml"
    if not path.exists() or not name.replace("-", "").replace("_", "").isalnum():
        raise NotAllowed
    folder = Path(tempfile.mkdtemp(prefix="pack-"))
    try:
        period = period_containing(svc.today(), "quarter")
        with svc.read_lock:
            written = write_board_pack(load_plan(path), svc.read_models(), period, svc.today(),
                                       folder)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in written:
                archive.write(file, file.name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return Response(buffer.getvalue(), media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="board-pack-{name}-{period.label}.zip"'})
