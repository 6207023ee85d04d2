"""Whether a case may accept a new event. Every refusal names its rule and its source.

"After X" means X was accepted earlier and this event's date is on or after X's; "not after X"
means refused whenever X was accepted earlier, whatever the dates (scenario-format.md).
Rules are checked against the history as currently known, corrections applied.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import TypeVar

from calendars.counting import days_inclusive
from domain import law
from domain.errors import (
    CaseClosed,
    CorrectionRefused,
    DateRuleBroken,
    Duplicate,
    ExceptionRefused,
    OutOfOrder,
    RuleBroken,
)
from domain.facts import (
    AdviceReceived,
    AdviceRequested,
    CaseWithdrawn,
    Correction,
    DecisionToAssess,
    DraftPlanIssued,
    ExceptionRecorded,
    Fact,
    FinalPlanIssued,
    NotToIssueNotice,
    RequestReceived,
)
from domain.history import apply_correction, effective_facts
from domain.matching import match_advice

F = TypeVar("F", bound=Fact)


def check_new_fact(history: Sequence[Fact], new: Fact, today: date | None = None) -> None:
    """Raise RuleBroken if `new` may not join `history` (all accepted facts, in order)."""
    _check_not_future(new, today)
    if new.id is not None and any(fact.id == new.id for fact in history):
        raise Duplicate(f"event id {new.id!r} is already used in this case: ids are unique")
    if isinstance(new, Correction):
        _check_correction(history, new)
    else:
        check_against(effective_facts(history), new)


def check_against(prior: Sequence[Fact], new: Fact) -> None:
    """The rules for one non-correction event, given the effective facts before it."""
    _check_recorded_after_on(new)
    request = _first(prior, RequestReceived)
    if isinstance(new, RequestReceived):
        if request is not None:
            raise Duplicate(
                f"the request was already received on {request.on}: a case has exactly one "
                "request_received (CFA s.36(1))"
            )
        if prior:
            raise OutOfOrder("request_received must be the first event of a case")
        return
    if request is None:
        raise OutOfOrder(
            f"{new.type} needs a request_received first: every clock starts at the request "
            "(CFA s.36(1))"
        )
    if new.on < request.on:
        raise DateRuleBroken(
            f"{new.type} on {new.on} is before the request received on {request.on}: "
            "no event of the assessment can precede the request (CFA s.36(1))"
        )
    withdrawal = _first(prior, CaseWithdrawn)
    if withdrawal is not None:
        raise CaseClosed(
            f"the case was withdrawn on {withdrawal.on}: nothing but corrections may follow"
        )
    TYPE_RULES[type(new)](prior, new)


def _check_not_future(new: Fact, today: date | None) -> None:
    if today is None:
        return
    for name, day in (("on", new.on), ("recorded", new.recorded)):
        if day > today:
            raise DateRuleBroken(f"{name} {day} is in the future (today is {today})")


def _check_recorded_after_on(new: Fact) -> None:
    if new.on > new.recorded:
        raise DateRuleBroken(
            f"{new.type} on {new.on} is after the day it was recorded ({new.recorded}): "
            "nothing is recorded before it happened"
        )


def _first(facts: Sequence[Fact], kind: type[F]) -> F | None:
    return next((fact for fact in facts if isinstance(fact, kind)), None)


def _decision(prior: Sequence[Fact]) -> DecisionToAssess | None:
    return _first(prior, DecisionToAssess)


def _require_decision_to_assess(prior: Sequence[Fact], new: Fact, citation: str) -> None:
    decision = _decision(prior)
    if decision is None or decision.outcome != "assess":
        raise OutOfOrder(f"{new.type} needs a decision to assess first ({citation})")
    if new.on < decision.on:
        raise OutOfOrder(
            f"{new.type} on {new.on} is before the decision to assess on {decision.on} "
            f"({citation})"
        )


def _refuse_if_any(prior: Sequence[Fact], new: Fact, *kinds: type[Fact], why: str) -> None:
    for fact in prior:
        if isinstance(fact, kinds):
            raise OutOfOrder(f"{new.type} cannot follow the {fact.type} of {fact.on}: {why}")


def _decision_rules(prior: Sequence[Fact], new: Fact) -> None:
    decision = _decision(prior)
    if decision is not None:
        raise Duplicate(
            f"the decision whether to assess was already notified on {decision.on} "
            f"({decision.outcome}): it is made once (reg 5(1))"
        )


def _advice_requested_rules(prior: Sequence[Fact], new: Fact) -> None:
    decision = _decision(prior)
    if decision is not None and decision.outcome == "refuse":
        raise OutOfOrder(
            f"advice cannot be requested after the refusal to assess of {decision.on}: "
            "advice is sought for an assessment (reg 6)"
        )


def _advice_received_rules(prior: Sequence[Fact], new: Fact) -> None:
    assert isinstance(new, AdviceReceived)
    _, unanswered = match_advice([*prior, new])
    if unanswered and unanswered[-1] is new:
        raise OutOfOrder(
            f"advice from {new.provider} received on {new.on} answers no outstanding request "
            f"to {new.provider} dated on or before it: record the advice request first"
        )


def _not_to_issue_rules(prior: Sequence[Fact], new: Fact) -> None:
    _require_decision_to_assess(prior, new, "reg 10(1)")
    _refuse_if_any(
        prior,
        new,
        DraftPlanIssued,
        FinalPlanIssued,
        why="a plan is being issued (reg 10(1) applies to a decision not to issue)",
    )
    _refuse_if_any(prior, new, NotToIssueNotice, why="the notice is sent once (reg 10(1))")


def _draft_rules(prior: Sequence[Fact], new: Fact) -> None:
    _require_decision_to_assess(prior, new, "reg 12")
    _refuse_if_any(
        prior,
        new,
        NotToIssueNotice,
        FinalPlanIssued,
        why="a draft is served only before the final plan, when a plan is to be issued (reg 12)",
    )


def _final_rules(prior: Sequence[Fact], new: Fact) -> None:
    draft = latest_draft(prior)
    if draft is None:
        raise OutOfOrder("a final plan needs a draft plan first (reg 13(1))")
    if new.on < draft.on:
        raise OutOfOrder(
            f"the final plan on {new.on} is before the latest draft served on {draft.on} "
            "(reg 13(1))"
        )
    _refuse_if_any(
        prior,
        new,
        NotToIssueNotice,
        why="the authority decided not to issue a plan (reg 10(1))",
    )
    _refuse_if_any(prior, new, FinalPlanIssued, why="a final plan is issued once (reg 13(2))")


def latest_draft(facts: Sequence[Fact]) -> DraftPlanIssued | None:
    """S: the draft served last by date (a draft logged late with an earlier date is not
    the latest); on the same day, the one accepted last. A tribunal reads "the latest
    draft" of reg 13(1) as the one the family most recently received."""
    drafts = [f for f in facts if isinstance(f, DraftPlanIssued)]
    return max(reversed(drafts), key=lambda draft: draft.on, default=None)


def _exception_rules(prior: Sequence[Fact], new: Fact) -> None:
    assert isinstance(new, ExceptionRecorded)
    if not new.attested_by.strip():
        raise ExceptionRefused(
            "an exception needs attested_by: who attests that it made the limit impractical"
        )
    if new.to is not None and new.to < new.from_:
        raise ExceptionRefused(f"the exception ends ({new.to}) before it starts ({new.from_})")
    if new.reason == "missed_appointment" and new.provider is None:
        raise ExceptionRefused(
            "missed_appointment must name the provider whose appointment was missed: it "
            "excuses that provider's advice only (reg 8(2)(c))"
        )
    if new.reason == "absence_from_area" and new.to is not None:
        length = days_inclusive(new.from_, new.to)
        if length < law.MIN_ABSENCE_DAYS:
            raise ExceptionRefused(
                f"an absence from the area of {length} days is not an exception: it must be a "
                f"continuous period of at least {law.MIN_ABSENCE_DAYS} days (regs 5(4)(d), "
                "8(2)(b), 10(4)(d))"
            )
    for key in new.applies_to or ():
        _check_applies_to(new.reason, key)


def _check_applies_to(reason: str, key: str) -> None:
    if not law.is_deadline_key(key):
        raise ExceptionRefused(
            f"applies_to names {key!r}, which is not a deadline: use decision_to_assess, "
            "not_to_issue_notice, final_plan or advice.<provider>[.n]"
        )
    kind = law.deadline_kind(key)
    if not law.exception_available(reason, kind):
        allowed = ", ".join(
            f"{k} ({cite})" for k, cite in law.EXCEPTION_PROVISIONS[reason].items()
        )
        raise ExceptionRefused(
            f"{reason} is not an exception to {key} in law: it excuses only {allowed}"
        )


def _withdrawal_rules(prior: Sequence[Fact], new: Fact) -> None:
    """Any open case may be withdrawn; the general rules already bar a second withdrawal."""


TYPE_RULES: dict[type[Fact], Callable[[Sequence[Fact], Fact], None]] = {
    DecisionToAssess: _decision_rules,
    AdviceRequested: _advice_requested_rules,
    AdviceReceived: _advice_received_rules,
    NotToIssueNotice: _not_to_issue_rules,
    DraftPlanIssued: _draft_rules,
    FinalPlanIssued: _final_rules,
    ExceptionRecorded: _exception_rules,
    CaseWithdrawn: _withdrawal_rules,
}


def _check_correction(history: Sequence[Fact], correction: Correction) -> None:
    _check_recorded_after_on(correction)
    target = next((f for f in history if f.id == correction.corrects), None)
    if target is None:
        raise CorrectionRefused(f"there is no event with id {correction.corrects!r} to correct")
    apply_correction(effective_of(history, target), correction)
    replayed: list[Fact] = []
    for fact in effective_facts([*history, correction]):
        try:
            check_against(replayed, fact)
        except RuleBroken as error:
            raise CorrectionRefused(
                f"the correction would make the case break a rule: {error}"
            ) from None
        replayed.append(fact)
    request = _first(replayed, RequestReceived)
    if request is None:
        return
    if correction.on < request.on:
        raise DateRuleBroken(
            f"correction on {correction.on} is before the request received on {request.on}"
        )
    for earlier in history:  # moving R later must not leave an earlier correction before it
        if isinstance(earlier, Correction) and earlier.on < request.on:
            raise CorrectionRefused(
                f"the correction would leave the correction of {earlier.corrects!r} on "
                f"{earlier.on} before the request received on {request.on}"
            )


def effective_of(history: Sequence[Fact], target: Fact) -> Fact:
    """The target as currently corrected (corrections cannot be corrected: checked by caller)."""
    if isinstance(target, Correction):
        return target
    current = target
    for fact in history:
        if isinstance(fact, Correction) and fact.corrects == target.id:
            current = apply_correction(current, fact)
    return current
