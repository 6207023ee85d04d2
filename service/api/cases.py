"""Case endpoints: open, record, correct, timeline, history, assignment."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Response
from pydantic import AfterValidator, BaseModel, Field
from pydantic_core import PydanticCustomError

from domain.assessment import EhcAssessment
from domain.facts import ExceptionRecorded, fact_payload
from domain.history import effective_facts
from domain.text import TextRefused, clean_text
from domain.timeline import CaseTimeline, evaluate
from service.api.context import Services, allow, json_response, services
from service.api.problems import Problem
from service.application import CaseNotFound, IdempotencyKeyReused
from service.tokens import Principal

router = APIRouter(prefix="/cases", tags=["cases"])
CASE_REF = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
Writer = Annotated[Principal, Depends(allow("caseworker"))]
Reader = Annotated[Principal, Depends(allow("caseworker", "manager", "auditor"))]
Manager = Annotated[Principal, Depends(allow("manager"))]
Svc = Annotated[Services, Depends(services)]

# A forecast date is useful up to the longest clock (20 weeks) and well beyond; dates near
# the end of the calendar would overflow the engine's arithmetic.
AS_OF_HORIZON = timedelta(days=5 * 366)
EXCEPTION_YEARS = 5  # the longest an exception may run, from its `from` to its `to`
VERSION = re.compile(r"[0-9]{1,18}")
EVENT_EXAMPLE = {"type": "advice_requested", "on": "2025-03-11", "provider": "health"}


def _text_rule(words: str) -> AfterValidator:
    """domain.text's rule for a name sent to the API, naming the field in the users' words."""

    def check(value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return clean_text(value, words)
        except TextRefused as error:
            raise PydanticCustomError("text", str(error)) from None

    return AfterValidator(check)


TeamName = Annotated[str, Field(max_length=64), _text_rule("the team's name")]
CaseworkerName = Annotated[str, Field(max_length=128), _text_rule("the caseworker's name")]


class OpenCase(BaseModel):
    case_ref: str = Field(pattern=CASE_REF, description="the authority's reference")
    team: TeamName | None = None
    caseworker: CaseworkerName | None = None


class Assignment(BaseModel):
    caseworker: Annotated[str, Field(min_length=1, max_length=128),
                          _text_rule("the caseworker's name")]
    team: Annotated[str, Field(min_length=1, max_length=64), _text_rule("the team's name")]


class Correction(BaseModel):
    corrects: str = Field(min_length=1, max_length=64, description="the id of the event")
    set: dict[str, Any] = Field(description="the fields being changed, e.g. {'on': '...'}")
    reason: str = Field(min_length=1, max_length=2000)
    on: date | None = Field(default=None, description="the day the correction was made")


def _own_team(who: Principal, case: EhcAssessment) -> None:
    """Caseworkers work on their own team's cases only. Another team's case answers exactly
    as a case that does not exist (404), so a caseworker cannot learn which references
    another team holds."""
    if not who.works_on(case.team):
        raise CaseNotFound(case.case_ref)


def _expected_version(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    digits = if_match.strip().removeprefix("W/").strip('"')
    # ASCII digits only ("²" and "١" are digits to Python), and no more than a version can
    # have: int() of thousands of digits is refused by Python itself.
    if not VERSION.fullmatch(digits):
        raise Problem(400, "Bad If-Match", "If-Match carries the case version, e.g. \"3\"",
                      "bad_if_match")
    return int(digits)


def _exception_span(case: EhcAssessment, payload: dict[str, Any]) -> None:
    """An exception lasts at most EXCEPTION_YEARS from its `from` (an end in 9999 is a slip
    of the keyboard, not an exception), as recorded or as a correction would make it."""
    if payload.get("type") == "correction":
        target = next((f for f in effective_facts(case.facts)
                       if f.id is not None and f.id == payload.get("corrects")), None)
        if not isinstance(target, ExceptionRecorded) or not isinstance(payload.get("set"), dict):
            return
        payload = {**fact_payload(target), **payload["set"]}
    elif payload.get("type") != "exception_recorded":
        return
    start, end = _day(payload.get("from")), _day(payload.get("to"))
    if start is None or end is None:
        return  # the engine names a missing or malformed date
    if end > _years_after(start, EXCEPTION_YEARS):
        raise Problem(422, "Event refused", f"an exception ending on {end} is more than "
                      f"{EXCEPTION_YEARS} years after it began ({start}): record the day it "
                      "ended, or leave `to` out while it goes on", "exception_too_long")


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@router.post("", status_code=201)
def open_case(
    body: OpenCase, who: Writer, svc: Svc,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> Response:
    """Open a case for your team. A retry with the same `Idempotency-Key` returns the first
    result; any other opening of a reference already open is 409."""
    team = body.team or who.team
    if not who.works_on(team):
        raise Problem(403, "Forbidden", "caseworkers open cases for their own team", "other_team")
    caseworker = body.caseworker or who.name
    opened = svc.application.open_case(body.case_ref, team=team, caseworker=caseworker,
                                       client_event_id=idempotency_key, opened_by=who.name)
    if (opened.team, opened.caseworker) != (team, caseworker):
        # A retry returns the first result only when it asks for the same thing: never
        # another team's case to whoever reuses its key.
        raise IdempotencyKeyReused(f"Idempotency-Key {idempotency_key!r} was used to open "
                                   "this case for another team or caseworker: use a new key")
    return json_response({"case_ref": opened.case_ref, "version": 1, "team": opened.team,
                          "caseworker": opened.caseworker},
                         status_code=201, headers={"ETag": '"1"'})


@router.post("/{case_ref}/events", status_code=201)
def record_event(
    case_ref: str, who: Writer, svc: Svc,
    event: Annotated[dict[str, Any], Body(examples=[EVENT_EXAMPLE])],
    if_match: Annotated[str | None, Header()] = None,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> Response:
    """Record one event of the scenario contract (request_received, decision_to_assess, …).
    Refused events get 422 with the rule and change nothing."""
    if "recorded" in event:
        raise Problem(422, "Event refused", "recorded is set by the server: the day it is "
                      "logged", "recorded_is_server_time")
    if "not_recorded" in event:  # else a late step could be taken out of the KPIs by hand
        raise Problem(422, "Event refused", "not_recorded marks imported history only: it is "
                      "written by ehc import, never sent with an event",
                      "not_recorded_is_for_imports")
    stored = svc.application.record_event(
        case_ref, event, who.name, _expected_version(if_match), svc.today(), idempotency_key,
        guard=lambda case: _guard(who, case, event), auto_id=True)
    version = stored.originator_version
    return json_response(
        {"case_ref": case_ref, "version": version, "event": _history_entry(stored)},
        status_code=201, headers={"ETag": f'"{version}"'})


def _guard(who: Principal, case: EhcAssessment, event: dict[str, Any]) -> None:
    _own_team(who, case)
    _exception_span(case, event)


@router.post("/{case_ref}/corrections", status_code=201)
def correct_event(
    case_ref: str, body: Correction, who: Writer, svc: Svc,
    if_match: Annotated[str | None, Header()] = None,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> Response:
    """Correct fields of an earlier event; the original stays in the history."""
    event = {"type": "correction", "on": body.on or svc.today(), "corrects": body.corrects,
             "set": body.set, "reason": body.reason}
    return record_event(case_ref, who, svc, event, if_match, idempotency_key)


def _history_entry(stored: Any) -> dict[str, Any]:
    entry = {"version": stored.originator_version, "recorded_at": stored.timestamp.isoformat(),
             "event_class": type(stored).__name__, "actor": getattr(stored, "actor", None),
             "idempotency_key": getattr(stored, "client_event_id", None)}
    if hasattr(stored, "fact"):
        entry["fact"] = fact_payload(stored.fact)
    else:
        entry["fact"] = {k: v for k, v in vars(stored).items()
                         if k in ("case_ref", "team", "caseworker")}
    return entry


@router.get("/{case_ref}/timeline")
async def timeline(
    case_ref: str, who: Reader, svc: Svc,
    as_of: Annotated[date | None, Query(description="evaluate on this day")] = None,
    known_at: Annotated[date | None, Query(description="as known on this day")] = None,
) -> Response:
    return await svc.read(lambda: _timeline(case_ref, who, svc, as_of, known_at))


def _timeline(
    case_ref: str, who: Principal, svc: Services, as_of: date | None, known_at: date | None
) -> Response:
    case = svc.application.case(case_ref)
    _own_team(who, case)
    today = svc.today()
    if known_at is not None and known_at > today:
        raise Problem(422, "Invalid request", f"known_at {known_at} is after today: nothing "
                      "is known yet about days to come", "known_at_in_future")
    if as_of is not None and as_of > today + AS_OF_HORIZON:
        raise Problem(422, "Invalid request", f"as_of {as_of} is more than "
                      f"{AS_OF_HORIZON.days} days ahead: every time limit here is shorter",
                      "as_of_too_far")
    if as_of is None and known_at is None:
        as_of = today
    result = evaluate(case.facts, as_of, known_at, svc.application.calendar)
    return json_response(
        {"case_ref": case_ref, "version": case.version, "team": case.team,
         "caseworker": case.caseworker, **timeline_json(result)},
        headers={"ETag": f'"{case.version}"'})


def timeline_json(result: CaseTimeline) -> dict[str, Any]:
    def iso(day: date | None) -> str | None:
        return None if day is None else day.isoformat()

    return {
        "as_of": iso(result.as_of), "known_at": iso(result.known_at), "status": result.status,
        "request_received": iso(result.request_received),
        "deadlines": [
            {"key": d.key, "due": iso(d.due), "status": d.status,
             "completed_on": iso(d.completed_on), "days_late": d.days_late,
             "exception": d.exception, "exception_applies": d.exception_applies,
             "citation": d.citation, "explanation": d.explanation, "clock_start":
             iso(d.clock_start), "provider": d.provider, "completed_by": d.completed_by}
            for d in result.deadlines.values()
        ],
        "earliest_final": iso(result.earliest_final), "breach_certain": result.breach_certain,
        "flags": list(result.flags), "breach_reasons": list(result.breach_reasons),
        "latest_draft": iso(result.latest_draft),
        # Part 2: the plan after it is issued, rounds of assessment, disagreements.
        "plan_status": result.plan_status, "next_review_due": iso(result.next_review_due),
        "plan": None if result.plan is None else _plain(result.plan._asdict()),
        "rounds": [_plain(r._asdict()) for r in result.rounds],
        "disputes": [_plain(d._asdict()) for d in result.disputes],
    }


def _plain(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in record.items()}


@router.get("/{case_ref}/history")
def history(case_ref: str, who: Reader, svc: Svc) -> dict[str, Any]:
    """Every stored event: effective date, recorded date and time, actor, the fact."""
    case = svc.application.case(case_ref)
    _own_team(who, case)
    events = svc.application.repository.event_store.get(case.id)
    return {"case_ref": case_ref, "version": case.version,
            "events": [_history_entry(e) for e in events]}


@router.put("/{case_ref}/assignment")
def assign(
    case_ref: str, body: Assignment, who: Manager, svc: Svc,
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Move a case to another caseworker or team (409 if `If-Match` is stale)."""
    version = svc.application.assign(case_ref, body.caseworker, body.team,
                                     _expected_version(if_match))
    return json_response({"case_ref": case_ref, "version": version,
                          "caseworker": body.caseworker, "team": body.team},
                         headers={"ETag": f'"{version}"'})
