"""The deadline engine: one pure function from a case's events to its statutory timeline.

Everything that shows a deadline (scenario checker, API, pages, projections, exports) calls
`evaluate`; no other copy of these rules exists. Counting follows statutory-timescales.md §1:
"within N weeks of X" ends on X + 7N days, calendar days, never moved by weekends or holidays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from calendars.authority_calendar import AuthorityCalendar
from calendars.counting import weeks_after
from domain import law
from domain.excusal import Clock, applies
from domain.facts import (
    AdviceRequested,
    CaseWithdrawn,
    DecisionToAssess,
    DraftPlanIssued,
    ExceptionRecorded,
    Fact,
    FinalPlanIssued,
    NotToIssueNotice,
    RequestReceived,
)
from domain.history import effective_facts
from domain.matching import match_advice

NO_CALENDAR = AuthorityCalendar()
OVERRUN = ("late", "overdue", "excepted")


class Deadline(NamedTuple):  # immutable, and cheap to build: the engine makes millions
    key: str  # decision_to_assess | advice.<provider>[.n] | not_to_issue_notice | final_plan
    kind: str
    clock_start: date
    due: date
    status: str  # pending | overdue | met | late | excepted | not_applicable
    completed_on: date | None
    days_late: int
    exception: str | None  # the reason that excuses it, when excepted
    exception_applies: bool  # for final_plan: SEN2's "20-week exceptions apply"
    exception_reasons: tuple[str, ...]
    citation: str
    provider: str | None = None

    @property
    def explanation(self) -> str:
        """One line a family or a board member can follow, e.g. "20 weeks from the request
        received on 3 Feb 2025"."""
        weeks = law.TIME_LIMITS[self.kind].weeks
        start = f"{self.clock_start.day} {self.clock_start:%b %Y}"
        if self.kind == "advice":
            return f"{weeks} weeks from the day {self.provider} received the request, {start}"
        return f"{weeks} weeks from the request received on {start}"


class PlanRecord(NamedTuple):
    """The EHC plan in the case's life (part 2): what SEN2 modules 4 and 5 report."""

    started_on: date  # the first final plan's date, or the plan_in_place's `on`
    made_here: bool  # False for a plan_in_place (made before the tracker or elsewhere)
    transferred_in_from: str | None  # reg 15: the authority it came from
    transferred_in_on: date | None
    last_review_decision: date | None  # SEN2 LastReview: the latest review decision notified
    ceased_on: date | None
    cease_reason: str | None  # plan_ceased reason code (SEN2 CeaseReason 1-9)


class Round(NamedTuple):
    """One assessment: round 1 after the request, later ones opened by a reassessment
    decision or a tribunal order or concession (part 2, "Rounds")."""

    number: int
    opened_by: str  # request_received | reassessment_decision | tribunal_order | appeal_conceded
    limb: str | None  # assess | make_plan for an order or concession; None otherwise
    started_on: date  # the clock start: R, the reassessment request, or the order's date
    opened_on: date  # the event that opened it
    decision_on: date | None  # the notice that it will assess (or refusal, round 1)
    decision_outcome: str | None  # assess | refuse | reassess
    closed_on: date | None
    outcome: str | None  # plan_issued | not_issued | refused | withdrawn | None (open)


class Dispute(NamedTuple):
    """A mediation or an appeal, with the Tribunal's order or the authority's concession."""

    kind: str  # mediation | appeal
    about: str  # request | assessment | other
    on: date
    answer: str | None = None  # the order or concession: assess | make_plan | amend | dismissed
    answered_by: str | None = None  # tribunal_order | appeal_conceded
    answered_on: date | None = None


@dataclass(frozen=True, slots=True)
class CaseTimeline:
    as_of: date | None
    known_at: date | None
    status: str  # open | refused | not_issued | plan_issued | withdrawn
    request_received: date | None
    requester: str | None
    deadlines: dict[str, Deadline]
    earliest_final: date | None
    breach_certain: bool | None
    flags: tuple[str, ...]
    breach_reasons: tuple[str, ...]
    latest_draft: date | None
    # Part 2: the plan after it is issued, rounds of assessment, disagreements.
    plan_status: str = "none"  # none | in_force | ceased
    next_review_due: date | None = None
    plan: PlanRecord | None = None
    rounds: tuple[Round, ...] = ()
    disputes: tuple[Dispute, ...] = ()


@dataclass(frozen=True)
class _Case:
    """The facts of one case visible at `as_of`, grouped the way the rules read them."""

    request: RequestReceived
    decision: DecisionToAssess | None
    advice_requests: list[AdviceRequested]
    advice_keys: list[str]
    advice_completed: dict[int, date]
    not_to_issue: NotToIssueNotice | None
    latest_draft: DraftPlanIssued | None
    final: FinalPlanIssued | None
    withdrawal: CaseWithdrawn | None
    exceptions: list[ExceptionRecorded]


def evaluate(
    events: Sequence[Fact],
    as_of: date | None = None,
    known_at: date | None = None,
    calendar: AuthorityCalendar = NO_CALENDAR,
) -> CaseTimeline:
    """The case's deadlines, statuses and breach reasons on `as_of`, as known at `known_at`."""
    facts = effective_facts(events, known_at)
    if as_of is None:
        as_of = known_at or max((f.on for f in facts), default=None)
    keys = _advice_keys(facts)
    visible = [f for f in facts if as_of is None or f.on <= as_of]
    case = _group(visible, keys)
    if case is None or as_of is None:
        return CaseTimeline(as_of, known_at, "open", None, None, {}, None, None, (), (), None)
    deadlines = {d.key: d for d in _deadlines(case, as_of, calendar)}
    final = deadlines["final_plan"]
    earliest_final = _earliest_final(case, as_of) if final.status != "not_applicable" else None
    breach_certain = None if earliest_final is None else earliest_final > final.due
    return CaseTimeline(
        as_of=as_of,
        known_at=known_at,
        status=_case_status(case),
        request_received=case.request.on,
        requester=case.request.requester,
        deadlines=deadlines,
        earliest_final=earliest_final,
        breach_certain=breach_certain,
        flags=_flags(case),
        breach_reasons=_breach_reasons(case, deadlines, as_of, bool(breach_certain)),
        latest_draft=case.latest_draft.on if case.latest_draft else None,
    )


def _advice_keys(facts: Sequence[Fact]) -> dict[int, str]:
    """advice.<provider>, then .2, .3… in the order accepted; stable whatever `as_of` hides."""
    keys: dict[int, str] = {}
    count: dict[str, int] = {}
    for fact in facts:
        if isinstance(fact, AdviceRequested):
            count[fact.provider] = count.get(fact.provider, 0) + 1
            suffix = "" if count[fact.provider] == 1 else f".{count[fact.provider]}"
            keys[id(fact)] = f"advice.{fact.provider}{suffix}"
    return keys


def _group(facts: Sequence[Fact], advice_keys: dict[int, str]) -> _Case | None:
    """One pass over the visible facts: the first of each once-only event, the latest draft."""
    first: dict[str, Fact] = {}
    requests: list[AdviceRequested] = []
    exceptions: list[ExceptionRecorded] = []
    latest_draft: DraftPlanIssued | None = None
    for fact in facts:
        kind = fact.type
        if kind == "advice_requested":
            requests.append(fact)  # type: ignore[arg-type]
        elif kind == "exception_recorded":
            exceptions.append(fact)  # type: ignore[arg-type]
        elif kind == "draft_plan_issued":
            if latest_draft is None or fact.on >= latest_draft.on:  # S: latest by date served
                latest_draft = fact  # type: ignore[assignment]
        elif kind not in first:
            first[kind] = fact
    request = first.get("request_received")
    if request is None:
        return None
    answered, _ = match_advice(facts) if requests else ({}, [])
    return _Case(
        request=request,  # type: ignore[arg-type]
        decision=first.get("decision_to_assess"),  # type: ignore[arg-type]
        advice_requests=requests,
        advice_keys=[advice_keys[id(r)] for r in requests],
        advice_completed={index: receipt.on for index, receipt in answered.items()},
        not_to_issue=first.get("not_to_issue_notice"),  # type: ignore[arg-type]
        latest_draft=latest_draft,
        final=first.get("final_plan_issued"),  # type: ignore[arg-type]
        withdrawal=first.get("case_withdrawn"),  # type: ignore[arg-type]
        exceptions=exceptions,
    )


def _clocks(case: _Case) -> list[tuple[Clock, date | None]]:
    """Every deadline whose clock has started, with the date it was completed, if it was."""
    received = case.request.on
    decision = case.decision.on if case.decision else None
    clocks = [(_authority_clock(law.DECISION_TO_ASSESS, received), decision)]
    for index, (request, key) in enumerate(zip(case.advice_requests, case.advice_keys,
                                               strict=True)):
        due = weeks_after(request.on, law.ADVICE.weeks)
        clock = Clock(key, "advice", request.on, due, request.provider)
        clocks.append((clock, case.advice_completed.get(index)))
    notice = case.not_to_issue.on if case.not_to_issue else None
    clocks.append((_authority_clock(law.NOT_TO_ISSUE_NOTICE, received), notice))
    final = case.final.on if case.final else None
    clocks.append((_authority_clock(law.FINAL_PLAN, received), final))
    return clocks


def _authority_clock(limit: law.TimeLimit, received: date) -> Clock:
    return Clock(limit.kind, limit.kind, received, weeks_after(received, limit.weeks))


def _deadlines(case: _Case, as_of: date, calendar: AuthorityCalendar) -> list[Deadline]:
    result = []
    for clock, completed_on in _clocks(case):
        reasons = tuple(
            exception.reason
            for exception in case.exceptions
            if applies(exception, clock, case.advice_requests, calendar)
        )
        applicable = _applicable(case, clock.key, completed_on)
        result.append(_deadline(clock, completed_on, applicable, reasons, as_of, case))
    return result


def _applicable(case: _Case, key: str, completed_on: date | None) -> bool:
    """Whether the duty arises (statutory-timescales.md §2; scenario-format.md statuses)."""
    if case.withdrawal is not None and completed_on is None:
        return False
    refused = case.decision is not None and case.decision.outcome == "refuse"
    if key == "not_to_issue_notice":
        return case.not_to_issue is not None and not refused  # reg 10(1) binds once notified
    if key == "final_plan":
        return not refused and case.not_to_issue is None
    return True


def _deadline(
    clock: Clock,
    completed_on: date | None,
    applicable: bool,
    reasons: tuple[str, ...],
    as_of: date,
    case: _Case,
) -> Deadline:
    limit = law.TIME_LIMITS[clock.kind]
    if not applicable:
        status, completed_on, days_late = "not_applicable", None, 0
    else:
        reached = completed_on or as_of
        days_late = max(0, (reached - clock.due).days)
        if completed_on is not None and completed_on <= clock.due:
            status = "met"
        elif completed_on is None and as_of <= clock.due:
            status = "pending"
        elif reasons:
            status = "excepted"
        else:
            status = "late" if completed_on is not None else "overdue"
    return Deadline(
        key=clock.key,
        kind=clock.kind,
        clock_start=clock.start,
        due=clock.due,
        status=status,
        completed_on=completed_on,
        days_late=days_late,
        exception=reasons[0] if status == "excepted" else None,
        exception_applies=bool(reasons),
        exception_reasons=reasons,
        citation=limit.citation,
        provider=clock.provider,
    )


def _earliest_final(case: _Case, as_of: date) -> date:
    """The earliest day a lawful final plan could still be issued (reg 13(1))."""
    if case.final is not None:
        return case.final.on
    comment_period = timedelta(days=law.DRAFT_COMMENT_DAYS)
    if case.latest_draft is not None:
        return max(as_of, case.latest_draft.on + comment_period)
    return as_of + comment_period


def _flags(case: _Case) -> tuple[str, ...]:
    final, draft = case.final, case.latest_draft
    if final is None or draft is None or final.family_confirmed_no_comments:
        return ()
    if final.on < draft.on + timedelta(days=law.DRAFT_COMMENT_DAYS):
        return ("premature_final",)  # reg 13(1): before the family's 15 days ran out
    return ()


def _breach_reasons(
    case: _Case, deadlines: dict[str, Deadline], as_of: date, breach_certain: bool
) -> tuple[str, ...]:
    final = deadlines["final_plan"]
    if final.status not in OVERRUN and not breach_certain:
        return ()
    reasons = []
    if deadlines["decision_to_assess"].status in OVERRUN:
        reasons.append("decision_to_assess_late")
    reasons += [
        f"advice_late:{d.key.removeprefix('advice.')}"
        for d in deadlines.values()
        if d.kind == "advice" and d.status in OVERRUN
    ]
    latest_useful = case.request.on + timedelta(days=law.LATEST_USEFUL_DRAFT_DAYS)
    draft = case.latest_draft
    served_on = draft.on if draft is not None else None
    if (served_on or as_of) > latest_useful:
        reasons.append("draft_too_late")
    elif draft is not None and (final.completed_on or as_of) > final.due:
        reasons.append("finalisation_delay")
    reasons += [f"exception:{r}" for r in dict.fromkeys(final.exception_reasons)]
    return tuple(reasons)


def _case_status(case: _Case) -> str:
    if case.withdrawal is not None:
        return "withdrawn"
    if case.final is not None:
        return "plan_issued"
    if case.not_to_issue is not None:
        return "not_issued"
    if case.decision is not None and case.decision.outcome == "refuse":
        return "refused"
    return "open"
