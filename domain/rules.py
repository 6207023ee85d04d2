"""Whether a case may accept a new event. Every refusal names its rule and its source.

"After X" means X was accepted earlier and this event's date is on or after X's; "not after X"
means refused whenever X was accepted earlier, whatever the dates (scenario-format.md). Rules
are checked against the history as currently known, corrections applied, replayed once into a
`CaseState` (domain/case_state.py), the same replay the engine reads. Part 2's rules
(plan-lifecycle.md) follow part 1's: a plan in force, rounds of assessment, disagreements.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import TypeVar

from calendars.counting import days_inclusive
from domain import law
from domain.case_state import CaseState, RoundState, replay
from domain.errors import (
    CaseClosed,
    CorrectionRefused,
    DateRuleBroken,
    Duplicate,
    ExceptionRefused,
    OutOfOrder,
    PlanNotInForce,
    RuleBroken,
)
from domain.facts import (
    OPENING_TYPES,
    AdviceReceived,
    AppealConceded,
    Correction,
    DecisionToAssess,
    ExceptionRecorded,
    Fact,
    PhaseTransferExpected,
    ReassessmentDecision,
    TribunalOrder,
    fact_date,
    fact_dates,
)
from domain.history import apply_correction, effective_facts
from domain.wording import date_text, deadline_label, event_label, provider_label

F = TypeVar("F", bound=Fact)

# Settled point 34: Part 3 of the Children and Families Act 2014 and the Regs came into force
# on 1 September 2014; no event of either part may give an earlier date.
LAW_IN_FORCE = date(2014, 9, 1)


def check_new_fact(history: Sequence[Fact], new: Fact, today: date | None = None) -> None:
    """Raise RuleBroken if `new` may not join `history` (all accepted facts, in order)."""
    _check_not_future(new, today)
    if new.id is not None and any(fact.id == new.id for fact in history):
        raise Duplicate(f"the event id {new.id!r} is already used in this case: ids are unique")
    if isinstance(new, Correction):
        _check_correction(history, new)
    else:
        check_against(replay(effective_facts(history)), new)


def check_against(state: CaseState, new: Fact) -> None:
    """The rules for one non-correction event, given the case replayed so far."""
    _check_dates(new)
    what = event_label(new.type)
    if new.type in OPENING_TYPES:
        _opening_rules(state, new)
        return
    if state.start is None:
        raise OutOfOrder(
            f"{what}: a case starts with a request for an assessment (CFA s.36(1)) or a plan "
            "already in place: record that first")
    if new.on < state.start:
        raise DateRuleBroken(
            f"{what} on {date_text(new.on)} is before the case started on "
            f"{date_text(state.start)}: no event of a case can precede its start")
    closed = state.closed_by()
    if closed is not None:
        raise CaseClosed(
            f"the case was closed on {date_text(closed.on)} ({event_label(closed.type).lower()}):"
            " nothing but corrections may follow")
    TYPE_RULES[new.type](state, new)


def _check_not_future(new: Fact, today: date | None) -> None:
    if today is None:
        return
    for name, day in (("the date", fact_date(new)), ("the recorded date", new.recorded)):
        if day > today:
            raise DateRuleBroken(
                f"{name} {date_text(day)} is in the future (today is {date_text(today)})")


def _check_dates(new: Fact) -> None:
    for name, day in fact_dates(new):
        if day < LAW_IN_FORCE:
            raise DateRuleBroken(
                f"{event_label(new.type)}: the date {date_text(day)} ({name}) is before 1 "
                "September 2014, when the SEND duties of the Children and Families Act 2014 "
                "came into force: check the year")
    if fact_date(new) > new.recorded:
        raise DateRuleBroken(
            f"{event_label(new.type)} on {date_text(fact_date(new))} is after the day it was "
            f"recorded ({date_text(new.recorded)}): nothing is recorded before it happened")


def _opening_rules(state: CaseState, new: Fact) -> None:
    if state.start is not None:
        first = state.request or state.plan_in_place
        raise Duplicate(
            f"the case already started on {date_text(state.start)} "
            f"({event_label(first.type).lower() if first else 'its first event'}): a case "
            "starts once, with a request (CFA s.36(1)) or a plan already in place")
    if new.type == "plan_in_place":
        _plan_in_place_rules(new)


def _plan_in_place_rules(new: Fact) -> None:
    last_reviewed = getattr(new, "last_reviewed", None)
    moved = getattr(new, "transferred_in", None)
    if last_reviewed is not None and last_reviewed < new.on:
        raise DateRuleBroken(
            f"the plan's last review ({date_text(last_reviewed)}) is before the plan was made "
            f"({date_text(new.on)})")
    if moved is not None and moved.on < (last_reviewed or new.on):
        raise DateRuleBroken(
            f"the plan moved in on {date_text(moved.on)}, before its "
            f"{'last review' if last_reviewed else 'making'} on "
            f"{date_text(last_reviewed or new.on)}")


# ---- part 1: the assessment -----------------------------------------------------------------

def _round_of(state: CaseState) -> RoundState | None:
    return state.later_round or state.round1


def _decision_rules(state: CaseState, new: Fact) -> None:
    assert isinstance(new, DecisionToAssess)
    later = state.later_round
    if later is not None:
        _later_round_decision(state, later, new)
        return
    round1 = state.round1
    if round1 is None:  # settled point 5: a plan in place has no round 1
        raise OutOfOrder(
            "Decision whether to assess: this case began with a plan already in place, so "
            "there is no request to decide; a reassessment is decided with a decision whether "
            "to reassess (reg 25)")
    if round1.decision is not None:
        raise Duplicate(
            f"Decision whether to assess: already notified on {date_text(round1.decision.on)} "
            f"({round1.decision.outcome}); it is made once (reg 5(1))")


def _later_round_decision(state: CaseState, round_: RoundState, new: DecisionToAssess) -> None:
    if round_.limb != "assess":
        raise OutOfOrder(
            "Decision whether to assess: the round now open needs none (a reassessment is "
            "decided by a decision whether to reassess; an order to make a plan needs no "
            "decision)")
    if round_.plan_in_force:  # settled point 7
        raise OutOfOrder(
            "Decision whether to assess: with a plan in force, the notice that the authority "
            "will assess after the order is a decision whether to reassess (reg 44(2))")
    if round_.notice is not None:
        raise Duplicate(
            f"the notice that the authority will assess after the order was already sent on "
            f"{date_text(round_.notice.on)}: it is sent once (reg 44(2))")
    if new.outcome != "assess":
        raise OutOfOrder(
            "Decision whether to assess: the Tribunal ordered an assessment (or the authority "
            "conceded one), so the notice must say it will assess (reg 44(2))")
    _on_or_after_opening(round_, new)


def _on_or_after_opening(round_: RoundState, new: Fact) -> None:
    """Settled point 8: every event of a later round is dated on or after its opening."""
    if round_.opened_by != "request_received" and new.on < round_.opened_on:
        raise OutOfOrder(
            f"{event_label(new.type)} on {date_text(new.on)} is before the event that opened "
            f"its round ({event_label(round_.opened_by).lower()}, "
            f"{date_text(round_.opened_on)})")


def _advice_requested_rules(state: CaseState, new: Fact) -> None:
    later = state.later_round
    if later is not None:
        _on_or_after_opening(later, new)
        return
    if state.reassessment is not None:  # asked while a reassessment decision is awaited
        return
    round1 = state.round1
    if round1 is None:
        raise OutOfOrder(
            "Advice requested: advice is sought for an assessment or a reassessment, and none "
            "is under way (reg 6)")
    if round1.decision is not None and round1.decision.outcome == "refuse":
        raise OutOfOrder(
            f"Advice requested: the authority refused to assess on "
            f"{date_text(round1.decision.on)}; advice is sought for an assessment (reg 6)")


def _advice_received_rules(state: CaseState, new: Fact) -> None:
    assert isinstance(new, AdviceReceived)
    if state.advice_to_answer(new.provider, new.on) is None:
        source = provider_label(new.provider)
        raise OutOfOrder(
            f"Advice from {source} received on {date_text(new.on)} answers no outstanding "
            f"request to {source} dated on or before it: record the advice request first")


def _needs_assessing(state: CaseState, new: Fact, citation: str) -> RoundState:
    """Part 1's "after a decision to assess"; in a later round: the round is open."""
    later = state.later_round
    if later is not None:
        _on_or_after_opening(later, new)
        return later
    round1 = state.round1
    decision = round1.decision if round1 else None
    what = event_label(new.type)
    if round1 is None or decision is None or decision.outcome != "assess":
        raise OutOfOrder(f"{what}: needs a decision to assess first ({citation})")
    if new.on < decision.on:
        raise OutOfOrder(
            f"{what} on {date_text(new.on)} is before the decision to assess on "
            f"{date_text(decision.on)} ({citation})")
    return round1


def _not_to_issue_rules(state: CaseState, new: Fact) -> None:
    round_ = _needs_assessing(state, new, "reg 10(1)")
    if round_.limb == "make_plan":
        raise OutOfOrder(
            "Decision not to issue a plan: the Tribunal ordered a plan (or the authority "
            "conceded one); there is no decision not to issue (reg 44(2))")
    if round_.not_to_issue is not None:
        raise Duplicate("Decision not to issue a plan: the notice is sent once (reg 10(1))")
    issued = round_.final or round_.latest_draft
    if issued is not None:
        raise OutOfOrder(
            f"Decision not to issue a plan: a plan is being issued ("
            f"{event_label(issued.type).lower()} on {date_text(issued.on)}); reg 10(1) "
            "applies to a decision not to issue")


def _draft_rules(state: CaseState, new: Fact) -> None:
    round_ = _needs_assessing(state, new, "reg 12")
    barrier = round_.not_to_issue or round_.final
    if barrier is not None:
        raise OutOfOrder(
            f"Draft plan sent: a draft is served only before the final plan, when a plan is to "
            f"be issued, and this assessment ended with {event_label(barrier.type).lower()} "
            f"on {date_text(barrier.on)} (reg 12)")


def _final_rules(state: CaseState, new: Fact) -> None:
    round_ = _round_of(state)
    if state.later_round is not None:
        _on_or_after_opening(round_, new)  # type: ignore[arg-type]
    draft = round_.latest_draft if round_ else None
    if draft is None and round_ is not None and new.lacks("draft_plan_issued"):
        # Part 3: an imported final whose record holds no draft; it still needs a decision
        # to assess (imported-history.md).
        _needs_assessing(state, new, "reg 13(1)")
    elif round_ is None or draft is None:
        raise OutOfOrder("a final plan needs a draft plan first (reg 13(1))")
    elif new.on < draft.on:
        raise OutOfOrder(
            f"the final plan on {date_text(new.on)} is before the latest draft, served on "
            f"{date_text(draft.on)} (reg 13(1))")
    if round_.not_to_issue is not None:
        raise OutOfOrder(
            f"Final plan issued: the authority decided not to issue a plan on "
            f"{date_text(round_.not_to_issue.on)} (reg 10(1))")
    if round_.final is not None:
        raise Duplicate("Final plan issued: a final plan is issued once (reg 13(2))")


def _exception_rules(state: CaseState, new: Fact) -> None:
    assert isinstance(new, ExceptionRecorded)
    if not new.attested_by.strip():
        raise ExceptionRefused(
            "an exception needs the name of who attests that it made the time limit "
            "impractical")
    if new.to is not None and new.to < new.from_:
        raise ExceptionRefused(
            f"the exception ends ({date_text(new.to)}) before it starts "
            f"({date_text(new.from_)})")
    if new.reason == "missed_appointment" and new.provider is None:
        raise ExceptionRefused(
            "a missed appointment must name the adviser whose appointment was missed: it "
            "excuses that adviser's advice only (reg 8(2)(c))")
    if new.reason == "absence_from_area" and new.to is not None:
        length = days_inclusive(new.from_, new.to)
        if length < law.MIN_ABSENCE_DAYS:
            raise ExceptionRefused(
                f"an absence from the area of {length} days is not an exception: it must be a "
                f"continuous period of at least {law.MIN_ABSENCE_DAYS} days (regs 5(4)(d), "
                "8(2)(b), 10(4)(d))")
    for key in new.applies_to or ():
        _check_applies_to(new.reason, key)


def _check_applies_to(reason: str, key: str) -> None:
    if not law.is_deadline_key(key):
        raise ExceptionRefused(
            f"the exception names {key!r}, which is not a deadline (for example "
            "decision_to_assess, final_plan, advice.health, review.1, amended_plan.1, "
            "phase_transfer, reassessment_final)")
    kind = law.deadline_kind(key)
    if not law.exception_available(reason, kind):
        allowed = ", ".join(
            f"the {_lower(deadline_label(k))} ({cite})"
            for k, cite in law.EXCEPTION_PROVISIONS[reason].items() if "." not in k)
        raise ExceptionRefused(
            f"{_reason_text(reason)} is not an exception to the {_lower(deadline_label(key))} "
            f"in law: it excuses only {allowed}")


def _lower(text: str) -> str:
    return text[0].lower() + text[1:]


def _reason_text(reason: str) -> str:
    from domain.wording import EXCEPTION_REASONS

    text = EXCEPTION_REASONS.get(reason, reason)
    return text[0].upper() + text[1:]


def _withdrawal_rules(state: CaseState, new: Fact) -> None:
    if state.in_force(new.on):  # reading 2: a plan ends by ceasing only
        raise OutOfOrder(
            f"Case withdrawn: a plan has been in force since {date_text(state.plan_since)}; a "
            "plan ends only when it is ceased (CFA s.45)")


# ---- part 2: the plan after it is issued ----------------------------------------------------

def _require_in_force(state: CaseState, new: Fact, citation: str) -> None:
    if not state.in_force(new.on):
        since = (f" (the plan came into force on {date_text(state.plan_since)})"
                 if state.plan_since else "")
        raise PlanNotInForce(
            f"{event_label(new.type)} on {date_text(new.on)}: no EHC plan is in force on that "
            f"date{since} ({citation})")


def _meeting_rules(state: CaseState, new: Fact) -> None:
    _require_in_force(state, new, "CFA s.44")
    if state.meeting is not None:  # reading 4, settled point 26
        raise OutOfOrder(
            f"Annual review meeting held: the meeting of {date_text(state.meeting[0].on)} has "
            "no decision yet; a reconvened meeting is the same review (reg 20)")


def _review_decision_rules(state: CaseState, new: Fact) -> None:
    if state.meeting is None:
        raise OutOfOrder(
            "Annual review decision sent: it answers a review meeting, and no meeting awaits "
            "a decision: record the meeting first (reg 20)")
    meeting = state.meeting[0]
    if new.on < meeting.on:
        raise OutOfOrder(
            f"Annual review decision sent on {date_text(new.on)} is before the meeting it "
            f"answers, held on {date_text(meeting.on)} (reg 20)")


def _amendment_proposed_rules(state: CaseState, new: Fact) -> None:
    _require_in_force(state, new, "reg 22")


def _amended_plan_rules(state: CaseState, new: Fact) -> None:
    ordered = any(order.on <= new.on for order, _ in state.order_amends)
    if state.outstanding_amendment(new.on) is None and not ordered:  # reading 6
        raise OutOfOrder(
            f"Amended plan issued on {date_text(new.on)}: no amendment notice or order to amend "
            "dated on or before it awaits an amended plan (reg 22)")


def _amendment_not_made_rules(state: CaseState, new: Fact) -> None:
    if state.outstanding_amendment(new.on) is None:
        raise OutOfOrder(
            f"Decision not to amend the plan on {date_text(new.on)}: no amendment notice dated "
            "on or before it awaits a decision (reg 22(4))")


def _phase_transfer_rules(state: CaseState, new: Fact) -> None:
    assert isinstance(new, PhaseTransferExpected)
    _require_in_force(state, new, "reg 18")
    if new.transfer_on <= new.on:
        raise DateRuleBroken(
            f"Phase transfer expected: the transfer date ({date_text(new.transfer_on)}) must "
            f"be after the day it was recorded as expected ({date_text(new.on)})")


def _reassessment_request_rules(state: CaseState, new: Fact) -> None:
    _require_in_force(state, new, "reg 24")
    if state.reassessment is not None:
        raise OutOfOrder(
            f"Reassessment requested: the request of {date_text(state.reassessment[0].on)} "
            "still awaits its decision (reg 25)")
    current = state.open_round
    if current is not None:
        raise OutOfOrder(
            f"Reassessment requested: an assessment is already under way (opened on "
            f"{date_text(current.opened_on)})")


def _reassessment_decision_rules(state: CaseState, new: Fact) -> None:
    assert isinstance(new, ReassessmentDecision)
    _require_in_force(state, new, "reg 25")
    if state.reassessment is None and new.outcome != "reassess":
        raise OutOfOrder(
            "Decision whether to reassess: no reassessment request awaits a decision, so only "
            "a decision to reassess (the authority's own) can be recorded (reg 24)")
    if new.outcome != "reassess":
        return
    current = state.open_round
    if current is None:
        return
    if current.limb == "assess" and current.notice is None:  # settled points 7, 22
        _on_or_after_opening(current, new)
        return
    raise OutOfOrder(
        f"Decision whether to reassess: an assessment is already under way (opened on "
        f"{date_text(current.opened_on)})")


def _ceased_rules(state: CaseState, new: Fact) -> None:
    _require_in_force(state, new, "CFA s.45")


def _dispute_rules(state: CaseState, new: Fact) -> None:
    """Mediation and appeals: no rule but the case's start and closure (settled point 2)."""


def _answer_rules(state: CaseState, new: Fact) -> None:
    assert isinstance(new, TribunalOrder | AppealConceded)
    from domain.case_state import ANSWERS
    from domain.wording import DISPUTE_SUBJECTS

    limb = new.order if isinstance(new, TribunalOrder) else new.concession
    kinds = ANSWERS[limb]
    if state.appeal_to_answer(kinds) is None:  # reading 14
        subject = "any decision" if len(kinds) > 1 else DISPUTE_SUBJECTS[kinds[0]]
        raise OutOfOrder(
            f"{event_label(new.type)} answers an appeal: none without an order or concession "
            f"is registered about {subject} (reg 44)")
    if limb == "amend":
        _require_in_force(state, new, "reg 44(2)")
    if limb in ("assess", "make_plan"):
        current = state.open_round
        if current is not None:
            raise OutOfOrder(
                f"{event_label(new.type)}: an assessment is already under way (opened on "
                f"{date_text(current.opened_on)}); the order's round opens when it ends")


TYPE_RULES: dict[str, Callable[[CaseState, Fact], None]] = {
    "decision_to_assess": _decision_rules,
    "advice_requested": _advice_requested_rules,
    "advice_received": _advice_received_rules,
    "not_to_issue_notice": _not_to_issue_rules,
    "draft_plan_issued": _draft_rules,
    "final_plan_issued": _final_rules,
    "exception_recorded": _exception_rules,
    "case_withdrawn": _withdrawal_rules,
    "review_meeting_held": _meeting_rules,
    "review_decision_notified": _review_decision_rules,
    "amendment_proposed": _amendment_proposed_rules,
    "amended_plan_issued": _amended_plan_rules,
    "amendment_not_made": _amendment_not_made_rules,
    "phase_transfer_expected": _phase_transfer_rules,
    "reassessment_requested": _reassessment_request_rules,
    "reassessment_decision": _reassessment_decision_rules,
    "plan_ceased": _ceased_rules,
    "mediation_held": _dispute_rules,
    "appeal_registered": _dispute_rules,
    "tribunal_order": _answer_rules,
    "appeal_conceded": _answer_rules,
}


# ---- corrections ----------------------------------------------------------------------------

def _check_correction(history: Sequence[Fact], correction: Correction) -> None:
    _check_dates(correction)
    target = next((f for f in history if f.id == correction.corrects), None)
    if target is None:
        raise CorrectionRefused(f"there is no event with id {correction.corrects!r} to correct")
    apply_correction(effective_of(history, target), correction)
    state = CaseState()
    for fact in effective_facts([*history, correction]):
        try:
            check_against(state, fact)
        except RuleBroken as error:
            raise CorrectionRefused(
                f"the correction would make the case break a rule: {error}") from None
        state.apply(fact)
    if state.start is None:
        return
    if correction.on < state.start:
        raise DateRuleBroken(
            f"the correction on {date_text(correction.on)} is before the case started on "
            f"{date_text(state.start)}")
    for earlier in history:  # moving the start later must not leave a correction before it
        if isinstance(earlier, Correction) and earlier.on < state.start:
            raise CorrectionRefused(
                f"the correction would leave the correction of {earlier.corrects!r} on "
                f"{date_text(earlier.on)} before the case's start on {date_text(state.start)}")


def effective_of(history: Sequence[Fact], target: Fact) -> Fact:
    """The target as currently corrected (corrections cannot be corrected: checked by caller)."""
    if isinstance(target, Correction):
        return target
    current = target
    for fact in history:
        if isinstance(fact, Correction) and fact.corrects == target.id:
            current = apply_correction(current, fact)
    return current

