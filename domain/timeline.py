"""The deadline engine: one pure function from a case's events to its statutory timeline.

Everything that shows a deadline (scenario checker, API, pages, projections, exports) calls
`evaluate`; no other copy of these rules exists. Counting follows statutory-timescales.md §1:
"within N weeks of X" ends on X + 7N days, calendar days, never moved by weekends or holidays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

from calendars.authority_calendar import AuthorityCalendar
from domain import law, wording
from domain.case_state import CaseState, ClockState, RoundState, keys_of, replay
from domain.excusal import applies
from domain.facts import Fact, fact_date
from domain.history import effective_facts

NO_CALENDAR = AuthorityCalendar()
OVERRUN = ("late", "overdue", "excepted")


class Deadline(NamedTuple):  # immutable, and cheap to build: the engine makes millions
    key: str  # decision_to_assess | advice.<provider>[.n] | final_plan | review.n | order.… …
    kind: str  # the key without its number (law.deadline_kind)
    clock_start: date
    due: date
    status: str  # pending | overdue | met | late | excepted | not_applicable | not_recorded
    completed_on: date | None
    days_late: int
    exception: str | None  # the reason that excuses it, when excepted
    exception_applies: bool  # for final_plan: SEN2's "20-week exceptions apply"
    exception_reasons: tuple[str, ...]
    citation: str
    provider: str | None = None
    completed_by: str | None = None  # the event type that completed it

    @property
    def explanation(self) -> str:
        """One line a family or a board member can follow, e.g. "20 weeks from the request
        received on 3 February 2025"."""
        return wording.deadline_explanation(self.kind, self.clock_start, self.due,
                                            self.provider, self.citation)


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


class NewPlan(NamedTuple):
    """DfE's new plan: a case's first final plan in any round, counted against round 1's
    20 weeks (plan-lifecycle.md settled point 1) for final_plans_within_20_weeks."""

    issued_on: date
    due: date  # R + 140
    within: bool  # issued on or before the due date
    exception_applies: bool  # round 1's final_plan flag (SEN2 Week20)
    disputed: bool  # a mediation or appeal about the request or assessment on or before it
    status: str  # met | late | excepted, as a completed deadline's
    days_late: int


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
    new_plan: NewPlan | None = None
    # The replay behind it: the plan's record, rounds and disputes are read from it when asked
    # for (most readers never do, and a rebuild evaluates millions of cases).
    state: CaseState | None = field(default=None, repr=False, compare=False)

    @property
    def plan(self) -> PlanRecord | None:
        return None if self.state is None else _plan_record(self.state)

    def release(self) -> None:
        """Unlink the replay's rounds from their clocks, which point back at them, so that a
        dropped timeline is freed at once by reference counting instead of waiting for the
        cyclic garbage collector (which a rebuild of millions of cases pays for dearly). For
        readers done with `rounds`; the deadlines and everything else stay as they are."""
        if self.state is not None:
            for round_ in self.state.rounds:
                round_.clocks.clear()

    @property
    def rounds(self) -> tuple[Round, ...]:
        return () if self.state is None else tuple(_round_record(r) for r in self.state.rounds)

    @property
    def disputes(self) -> tuple[Dispute, ...]:
        if self.state is None:
            return ()
        return tuple(Dispute(d.kind, d.about, d.on, d.answer, d.answered_by, d.answered_on)
                     for d in self.state.disputes)


def evaluate(
    events: Sequence[Fact],
    as_of: date | None = None,
    known_at: date | None = None,
    calendar: AuthorityCalendar = NO_CALENDAR,
) -> CaseTimeline:
    """The case's deadlines, statuses and breach reasons on `as_of`, as known at `known_at`.

    Events dated after `as_of` are left out (scenario-format.md); their keys are the keys of
    the whole known history (settled point 29), so a key names one event in every replay."""
    facts = effective_facts(events, known_at)
    if as_of is None:
        as_of = known_at or max((fact_date(f) for f in facts), default=None)
    if as_of is None:
        return _empty(as_of, known_at)
    visible = [f for f in facts
               if (f.on if f.type != "plan_in_place" else fact_date(f)) <= as_of]
    # Keys come from every known event (settled point 29), even those `as_of` hides.
    keys = None if len(visible) == len(facts) else keys_of(facts)
    state = replay(visible, keys)
    if state.start is None:
        return _empty(as_of, known_at)
    deadlines = {d.key: d for d in _deadlines(state, as_of, calendar)}
    round1 = state.round1
    if round1 is not None and round1.decision is not None and round1.decision.lacks(
            "decision_date") and "decision_to_assess" in deadlines:
        # Part 3: the decision was made, its date is not known: neither met nor late.
        deadlines["decision_to_assess"] = deadlines["decision_to_assess"]._replace(
            status="not_recorded", completed_on=None, days_late=0, exception=None)
    final = deadlines.get("final_plan")
    earliest_final = None
    if round1 is not None and final is not None and final.status != "not_applicable":
        earliest_final = _earliest_final(round1, as_of)
    breach_certain = None if earliest_final is None else earliest_final > final.due  # type: ignore[union-attr]
    return CaseTimeline(
        as_of=as_of,
        known_at=known_at,
        status=_case_status(state),
        request_received=state.request.on if state.request else None,
        requester=state.request.requester if state.request else None,
        deadlines=deadlines,
        earliest_final=earliest_final,
        breach_certain=breach_certain,
        flags=tuple(state.flags),
        breach_reasons=_breach_reasons(state, deadlines, as_of, bool(breach_certain)),
        latest_draft=round1.latest_draft.on if round1 and round1.latest_draft else None,
        plan_status=_plan_status(state),
        next_review_due=_next_review_due(state),
        new_plan=_new_plan(state, final),
        state=state,
    )


def _new_plan(state: CaseState, final: Deadline | None) -> NewPlan | None:
    first = state.first_final
    if state.round1 is None or first is None or final is None:
        return None
    disputed = any(d.about in ("request", "assessment") and d.on <= first.on
                   for d in state.disputes)  # settled point 10: a later one keeps it in
    within = first.on <= final.due
    status = "met" if within else ("excepted" if final.exception_applies else "late")
    return NewPlan(first.on, final.due, within, final.exception_applies, disputed, status,
                   max(0, (first.on - final.due).days))


def _empty(as_of: date | None, known_at: date | None) -> CaseTimeline:
    return CaseTimeline(as_of, known_at, "open", None, None, {}, None, None, (), (), None)


def _ordered_clocks(state: CaseState) -> list[ClockState]:
    """Part 1's order first (decision, advice, not-to-issue, final), then the plan's life in
    the order its clocks started."""
    round1 = state.round1
    if round1 is None:
        return state.advice_clocks + state.clocks
    clocks = round1.clocks
    return [clocks["decision"], *state.advice_clocks, clocks["not_to_issue"], clocks["final"],
            *state.clocks]


def _deadlines(state: CaseState, as_of: date, calendar: AuthorityCalendar) -> list[Deadline]:
    result = []
    for clock in _ordered_clocks(state):
        # Closure exceptions are tested on the case's advice requests (settled point 33), or
        # a reassessment's own round's (plan-lifecycle.md "Exceptions").
        reasons: tuple[str, ...] = ()
        if state.exceptions:
            advice = (clock.round.advice if clock.kind == "reassessment_final" and clock.round
                      else state.advice)
            reasons = tuple(
                exception.reason for exception in state.exceptions
                if applies(exception, clock, advice, calendar))
        result.append(_deadline(clock, _applicable(state, clock), reasons, as_of))
    return result


def _applicable(state: CaseState, clock: ClockState) -> bool:
    """Whether the duty arises (statutory-timescales.md §2; the contract's statuses)."""
    if clock.dropped:  # a re-anchored review; a round's final after its not-to-issue notice
        return False
    if clock.completed_on is None and (state.withdrawal or state.ceased):
        return False
    round_ = clock.round
    if clock.kind in ("not_to_issue_notice", "final_plan") and round_ is not None:
        refused = round_.decision is not None and round_.decision.outcome == "refuse"
        if clock.kind == "not_to_issue_notice":
            return round_.not_to_issue is not None and not refused  # reg 10(1) binds once sent
        return not refused and round_.not_to_issue is None
    if clock.kind == "order.not_to_issue":
        return round_ is not None and round_.not_to_issue is not None
    return True


def _deadline(
    clock: ClockState, applicable: bool, reasons: tuple[str, ...], as_of: date
) -> Deadline:
    completed_on = clock.completed_on
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
    return Deadline(  # positional: this runs for every deadline of every case
        clock.key, clock.kind, clock.start, clock.due, status, completed_on, days_late,
        reasons[0] if status == "excepted" else None, bool(reasons), reasons, clock.citation,
        clock.provider, clock.completed_by if completed_on is not None else None)


def _earliest_final(round1: RoundState, as_of: date) -> date:
    """The earliest day a lawful final plan could still be issued (reg 13(1))."""
    if round1.final is not None:
        return round1.final.on
    if round1.latest_draft is not None:
        return max(as_of, earliest_final_after_draft(round1.latest_draft.on))
    return earliest_final_after_draft(as_of)


def earliest_final_after_draft(served_on: date) -> date:
    """Reg 13(1): the family has 15 days from the draft to comment, so the first day a
    final plan may lawfully follow a draft served on `served_on`."""
    return served_on + timedelta(days=law.DRAFT_COMMENT_DAYS)


def final_plan_if_issued(
    events: Sequence[Fact], issued_on: Sequence[date], calendar: AuthorityCalendar = NO_CALENDAR,
) -> list[Deadline | None]:
    """Round 1's final plan deadline as `evaluate` would give it, as of the day, if the final
    plan were issued on each of `issued_on` (none before the last event) after `events`:
    the what-if simulator asks this for many dates of one case, so the events are replayed
    once. None when the case has no final plan due (no request, refused, withdrawn)."""
    state = replay(effective_facts(events))
    round1 = state.round1
    clock = round1.clocks["final"] if round1 is not None else None
    if clock is None or round1.final is not None or not _applicable(state, clock):
        return [None] * len(issued_on)
    reasons: tuple[str, ...] = ()
    if state.exceptions:
        reasons = tuple(exception.reason for exception in state.exceptions
                        if applies(exception, clock, state.advice, calendar))
    answers: list[Deadline | None] = []
    for day in issued_on:
        issued = ClockState(clock.key, clock.kind, clock.start, clock.due, clock.citation,
                            clock.provider, day, "final_plan_issued", round=round1)
        answers.append(_deadline(issued, True, reasons, day))
    return answers


def _breach_reasons(
    state: CaseState, deadlines: dict[str, Deadline], as_of: date, breach_certain: bool
) -> tuple[str, ...]:
    """Round 1's (plan-lifecycle.md; settled point 6: its own advice requests only)."""
    round1 = state.round1
    final = deadlines.get("final_plan")
    if round1 is None or final is None or (
            final.status not in OVERRUN and not breach_certain):
        return ()
    reasons = []
    if deadlines["decision_to_assess"].status in OVERRUN:
        reasons.append("decision_to_assess_late")
    reasons += [
        f"advice_late:{clock.key.removeprefix('advice.')}"
        for clock in state.advice_clocks
        if clock.round is round1 and deadlines[clock.key].status in OVERRUN
    ]
    latest_useful = round1.started_on + timedelta(days=law.LATEST_USEFUL_DRAFT_DAYS)
    draft = round1.latest_draft
    served_on = draft.on if draft is not None else None
    if draft is None and round1.final is not None and round1.final.lacks("draft_plan_issued"):
        reasons.append("draft_not_recorded")  # part 3: neither too late nor in time: unknown
    elif (served_on or as_of) > latest_useful:
        reasons.append("draft_too_late")
    elif draft is not None and (final.completed_on or as_of) > final.due:
        reasons.append("finalisation_delay")
    reasons += [f"exception:{r}" for r in dict.fromkeys(final.exception_reasons)]
    return tuple(reasons)


def _case_status(state: CaseState) -> str:
    if state.withdrawal is not None:
        return "withdrawn"
    if state.plan_since is not None:  # and unchanged while a plan is in force, or after
        return "plan_issued"
    for round_ in reversed(state.rounds):  # an order or concession with no plan in force
        if round_.limb in ("assess", "make_plan") and not round_.plan_in_force:
            return "open" if round_.is_open else "not_issued"
    round1 = state.round1
    if round1 is None:
        return "open"
    if round1.not_to_issue is not None:
        return "not_issued"
    if round1.decision is not None and round1.decision.outcome == "refuse":
        return "refused"
    return "open"


def _plan_status(state: CaseState) -> str:
    if state.ceased is not None:
        return "ceased"
    return "in_force" if state.plan_since is not None else "none"


def _next_review_due(state: CaseState) -> date | None:
    review = state.review
    if (state.ceased is not None or state.withdrawal is not None or review is None
            or review.completed_on is not None or review.dropped):
        return None
    return review.due


def _plan_record(state: CaseState) -> PlanRecord | None:
    if state.plan_since is None:
        return None
    placed = state.plan_in_place
    moved = placed.transferred_in if placed else None
    started = placed.on if placed else state.first_final.on  # type: ignore[union-attr]
    return PlanRecord(
        started_on=started,
        made_here=placed is None,
        transferred_in_from=moved.from_ if moved else None,
        transferred_in_on=moved.on if moved else None,
        last_review_decision=state.last_review_decision,
        ceased_on=state.ceased.on if state.ceased else None,
        cease_reason=state.ceased.reason if state.ceased else None,
    )


def _round_record(round_: RoundState) -> Round:
    decision = round_.decision or round_.notice
    outcome = getattr(decision, "outcome", None)
    if round_.opened_by == "reassessment_decision":
        decision, outcome = None, "reassess"
    return Round(
        number=round_.number,
        opened_by=round_.opened_by,
        limb=round_.limb,
        started_on=round_.started_on,
        opened_on=round_.opened_on,
        decision_on=decision.on if decision else (
            round_.opened_on if outcome == "reassess" else None),
        decision_outcome=outcome if decision or outcome == "reassess" else None,
        closed_on=round_.closed_on,
        outcome=round_.outcome,
    )
