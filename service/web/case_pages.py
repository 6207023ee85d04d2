"""A case's pages: what it stands at, recording what happened, correcting an event,
reassigning it (managers), and its history with the replays (auditors, managers)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from domain import wording
from domain.appeals import appeal_windows
from domain.errors import DateRuleBroken, RuleBroken
from domain.facts import Fact, fact_payload
from domain.history import effective_facts
from domain.timeline import CaseTimeline, evaluate
from service.api.cases import CASE_REF
from service.api.context import Services
from service.application import CaseNotFound, VersionConflict
from service.tokens import Principal
from service.web import present
from service.web.forms import (
    CORRECTION_PREFIX,
    RECORDABLE,
    Field,
    FieldError,
    FormState,
    correctable_fields,
    event_fields,
    form_state,
    on_field,
    read_correction,
    read_date,
    read_event,
)
from service.web.lists import known_teams
from service.web.session import (
    PageNotFound,
    check_csrf,
    current_session,
    require,
    sessions,
)
from service.web.templating import day_text, page
from service.web.timeline_bar import timeline_bar

router = APIRouter(prefix="/app", include_in_schema=False)
AS_OF_HORIZON = timedelta(days=5 * 366)  # as the API: every time limit here is shorter
CASEWORKER_NAME_MAX = 128


def services(request: Request) -> Services:
    return request.app.state.services


def load_case(request: Request, case_ref: str, *roles: str) -> tuple[Principal, Any]:
    """The case, if it exists and the user may see it; otherwise "not found" (to a
    caseworker, a case of another team is not found either: they may not know of it)."""
    who = require(request, *roles)
    try:
        if not re.fullmatch(CASE_REF, case_ref):
            raise CaseNotFound(case_ref)
        case = services(request).application.case(case_ref)
    except CaseNotFound:
        raise _not_found(who, case_ref) from None
    if not who.works_on(case.team):
        raise _not_found(who, case_ref)
    return who, case


def _not_found(who: Principal, case_ref: str) -> PageNotFound:
    where = "among your team's cases" if who.role == "caseworker" else "with this reference"
    return PageNotFound("Case not found", f"There is no case {case_ref} {where}. Check the "
                        "reference, or search for the case.")


def _timeline(request: Request, facts: list[Fact]) -> CaseTimeline:
    svc = services(request)
    return evaluate(facts, svc.today(), None, svc.application.calendar)


def _flash(request: Request, message: dict[str, Any]) -> None:
    session = current_session(request)
    if session is not None:
        sessions(request).set_flash(session, message)


def _take_flash(request: Request, case_ref: str) -> dict[str, Any] | None:
    session = current_session(request)
    message = sessions(request).take_flash(session) if session else None
    return message if message and message.get("case_ref") == case_ref else None


# The case ------------------------------------------------------------------------------

@router.get("/cases/{case_ref}")
def case_page(request: Request, case_ref: str) -> HTMLResponse:
    who, case = load_case(request, case_ref, "caseworker", "manager", "auditor")
    svc = services(request)
    timeline = _timeline(request, list(case.facts))
    stored = svc.application.repository.event_store.get(case.id)
    actors = {e.fact.id: e.actor for e in stored if hasattr(e, "fact") and e.fact.id}
    return page(request, "case.html", case=case, timeline=timeline,
                groups=present.deadline_groups(timeline), law_text=present.law_text,
                status_text=present.status_text,
                events=present.case_events(list(case.facts), actors),
                bar=timeline_bar(timeline, effective_facts(case.facts), svc.today()),
                flash=_take_flash(request, case_ref), today=svc.today(),
                final=timeline.deadlines.get("final_plan"),
                appeal_windows=appeal_windows(effective_facts(case.facts), svc.today()),
                can_record=who.role == "caseworker", can_reassign=who.role == "manager",
                can_audit=who.role in ("manager", "auditor"))


# Recording what happened ---------------------------------------------------------------

def _event_kinds() -> list[tuple[str, str, tuple[Field, ...]]]:
    return [(kind, wording.event_label(kind), event_fields(kind)) for kind in RECORDABLE]


def _record_view(request: Request, case: Any, status: int = 200,
                 errors: list[FieldError] | None = None,
                 form: FormData | FormState | None = None) -> HTMLResponse:
    timeline = _timeline(request, list(case.facts))
    keys = [(key, wording.deadline_label(key)) for key in timeline.deadlines]
    return page(request, "record.html", status, case=case, kinds=_event_kinds(),
                deadline_keys=keys, form=form or FormState(), errors=errors or [],
                on=on_field("request_received"))


@router.get("/cases/{case_ref}/record")
def record_page(request: Request, case_ref: str) -> HTMLResponse:
    _, case = load_case(request, case_ref, "caseworker")
    return _record_view(request, case)


def _expected_version(form: FormData) -> int | None:
    version = str(form.get("version", ""))
    return int(version) if version.isdigit() else None


@router.post("/cases/{case_ref}/events")
async def record_event(request: Request, case_ref: str) -> Response:
    form = await request.form()
    check_csrf(request, form)
    who, case = load_case(request, case_ref, "caseworker")
    payload, errors = read_event(form)
    if payload is None:
        return _record_view(request, case, 422, errors, form)
    svc = services(request)
    before = set(_timeline(request, list(case.facts)).flags)
    try:
        svc.application.record(case_ref, payload, who.name, today=svc.today(), auto_id=True,
                               expected_version=_expected_version(form))
    except RuleBroken as refused:
        return _record_view(request, case, 422, [_refusal(refused)], form)
    except VersionConflict:
        return _record_view(request, svc.application.case(case_ref), 409, [FieldError(
            "Someone else changed this case since you opened this form: check what happened "
            "below and send the form again", "type", "#type")], form)
    after = _timeline(request, svc.application.facts(case_ref))
    raised = [f for f in after.flags if f not in before]
    what = f"{wording.event_label(payload['type'])} on {day_text(payload['on'])}"
    _flash(request, _recorded_message(case_ref, what, raised))
    return RedirectResponse(f"/app/cases/{case_ref}", status_code=303)


def _refusal(refused: RuleBroken) -> FieldError:
    """The domain's reason, beside the date when it is about the date."""
    text = f"This event was not recorded: {refused.message}"
    if isinstance(refused, DateRuleBroken):
        return FieldError(text, "on", "#on-day")
    return FieldError(text, "type", "#type")


def _recorded_message(case_ref: str, what: str, flags: list[str]) -> dict[str, Any]:
    """Success, unless the event raised a flag: then the banner says what to check."""
    if flags:
        return {"case_ref": case_ref, "kind": "important",
                "title": f"{what} was recorded, but check it",
                "lines": [wording.flag_label(f) for f in flags]}
    return {"case_ref": case_ref, "kind": "success", "title": f"{what} was recorded",
            "lines": []}


# Correcting an event -------------------------------------------------------------------

def _correctable(case: Any) -> list[Fact]:
    return [f for f in effective_facts(case.facts) if f.id]


def _choose_view(request: Request, case: Any, status: int = 200,
                 errors: list[FieldError] | None = None) -> HTMLResponse:
    events = [(f.id, present.event_name(f)) for f in _correctable(case)]
    return page(request, "correct_choose.html", status, case=case, events=events,
                errors=errors or [])


def _correct_view(request: Request, case: Any, fact: Fact, status: int = 200,
                  errors: list[FieldError] | None = None,
                  form: FormData | FormState | None = None) -> HTMLResponse:
    timeline = _timeline(request, list(case.facts))
    fields = correctable_fields(fact)
    state = form if form is not None else form_state(fields, fact_payload(fact),
                                                     CORRECTION_PREFIX)
    return page(request, "correct.html", status, case=case, fact=fact, fields=fields,
                event_name=present.event_name(fact), form=state, errors=errors or [],
                deadline_keys=[(k, wording.deadline_label(k)) for k in timeline.deadlines],
                prefix=CORRECTION_PREFIX)


@router.get("/cases/{case_ref}/correct")
def correct_page(request: Request, case_ref: str, event: str | None = None) -> HTMLResponse:
    _, case = load_case(request, case_ref, "caseworker")
    if event is None:
        return _choose_view(request, case)
    fact = next((f for f in _correctable(case) if f.id == event), None)
    if fact is None:
        return _choose_view(request, case, 422, [FieldError(
            "Select the event to correct", "event", "#event")])
    return _correct_view(request, case, fact)


@router.post("/cases/{case_ref}/corrections")
async def correct_event(request: Request, case_ref: str) -> Response:
    form = await request.form()
    check_csrf(request, form)
    who, case = load_case(request, case_ref, "caseworker")
    fact = next((f for f in _correctable(case) if f.id == form.get("corrects")), None)
    if fact is None:
        return _choose_view(request, case, 422, [FieldError(
            "Select the event to correct", "event", "#event")])
    values, errors = read_correction(fact, form)
    if values is None:
        return _correct_view(request, case, fact, 422, errors, form)
    svc = services(request)
    try:
        svc.application.record(case_ref, {"type": "correction", "on": svc.today().isoformat(),
                                          **values}, who.name, today=svc.today(),
                               expected_version=_expected_version(form))
    except RuleBroken as refused:
        return _correct_view(request, case, fact, 422, [FieldError(
            f"This correction was not recorded: {refused.message}", CORRECTION_PREFIX,
            "#reason")], form)
    except VersionConflict:
        return _correct_view(request, svc.application.case(case_ref), fact, 409, [FieldError(
            "Someone else changed this case since you opened this form: check it and send "
            "the form again", CORRECTION_PREFIX, "#reason")], form)
    _flash(request, {"case_ref": case_ref, "kind": "success",
                     "title": f"The correction to {present.event_name(fact)} was recorded",
                     "lines": ["The original stays in the case's history."]})
    return RedirectResponse(f"/app/cases/{case_ref}", status_code=303)


# Reassigning (managers) ----------------------------------------------------------------

def _reassign_view(request: Request, case: Any, status: int = 200,
                   errors: list[FieldError] | None = None,
                   form: FormData | FormState | None = None) -> HTMLResponse:
    state = form if form is not None else FormState(
        caseworker=case.caseworker or "", team=case.team or "")
    return page(request, "reassign.html", status, case=case, form=state,
                teams=known_teams(services(request)), errors=errors or [])


@router.get("/cases/{case_ref}/reassign")
def reassign_page(request: Request, case_ref: str) -> HTMLResponse:
    _, case = load_case(request, case_ref, "manager")
    return _reassign_view(request, case)


@router.post("/cases/{case_ref}/reassign")
async def reassign(request: Request, case_ref: str) -> Response:
    form = await request.form()
    check_csrf(request, form)
    _, case = load_case(request, case_ref, "manager")
    caseworker = str(form.get("caseworker", "")).strip()
    team = str(form.get("team", "")).strip()
    errors = []
    if not caseworker:
        errors.append(FieldError("Enter the caseworker's name", "caseworker", "#caseworker"))
    elif len(caseworker) > CASEWORKER_NAME_MAX:
        errors.append(FieldError(f"The name must be {CASEWORKER_NAME_MAX} characters or "
                                 "fewer", "caseworker", "#caseworker"))
    if team not in known_teams(services(request)):
        errors.append(FieldError("Select the team", "team", "#team"))
    if errors:
        return _reassign_view(request, case, 422, errors, form)
    try:
        services(request).application.assign(case_ref, caseworker, team,
                                              _expected_version(form))
    except VersionConflict:
        return _reassign_view(request, services(request).application.case(case_ref), 409, [
            FieldError("Someone else changed this case since you opened this form: check it "
                       "and send the form again", "caseworker", "#caseworker")], form)
    _flash(request, {"case_ref": case_ref, "kind": "success",
                     "title": f"The case was given to {caseworker}, {team} team", "lines": []})
    return RedirectResponse(f"/app/cases/{case_ref}", status_code=303)


# History and replay (auditors, managers) -----------------------------------------------

REPLAY_DATES = {
    "as_of": Field("as_of", "as_of", "date", "Show the case as it stood on",
                   "Leave empty for the day the service knew it on", False,
                   subject="the date the case stood on"),
    "known_at": Field("known_at", "known_at", "date", "As the service knew it on",
                      "Events and corrections recorded after this day are left out. Leave "
                      "empty for everything known today", False,
                      subject="the date the service knew it on"),
}


@router.get("/audit/{case_ref}")
def audit_page(request: Request, case_ref: str) -> HTMLResponse:
    _, case = load_case(request, case_ref, "auditor", "manager")
    svc = services(request)
    params = FormState(request.query_params)
    today = svc.today()
    days, errors = _replay_dates(params, today)
    now = evaluate(case.facts, today, None, svc.application.calendar)
    then = None
    if not errors and (days["as_of"] or days["known_at"]):
        then = evaluate(case.facts, days["as_of"], days["known_at"], svc.application.calendar)
    stored = svc.application.repository.event_store.get(case.id)
    return page(request, "audit.html", 422 if errors else 200, case=case,
                history=present.history_rows(stored), now=now, then=then,
                as_of=days["as_of"], known_at=days["known_at"], form=params, errors=errors,
                groups=present.deadline_groups(then) if then else [],
                status_text=present.status_text,
                changes=present.replay_changes(then, now) if then else [])


def _replay_dates(params: FormState, today: date) -> tuple[dict[str, date | None],
                                                           list[FieldError]]:
    days: dict[str, date | None] = {}
    errors = []
    for name, field in REPLAY_DATES.items():
        day, error = read_date(params, name, field)
        if error is None and name == "known_at" and day and day > today:
            error = FieldError("The date the service knew it must be today or in the past",
                               name, f"#{name}-day")
        if error is None and name == "as_of" and day and day > today + AS_OF_HORIZON:
            error = FieldError("The date the case stood must be within 5 years from today",
                               name, f"#{name}-day")
        days[name] = None if error else day
        errors += [error] if error else []
    return days, errors
