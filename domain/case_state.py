"""A case replayed from its facts: the rounds of assessment, the plan in force, and every
deadline's clock with what completed it. The rules (`domain.rules`) read this state to accept
or refuse the next event; the engine (`domain.timeline`) reads it to give each deadline its
status. One replay, so the two can never disagree about which round an event belongs to.

Replay is in file order (the order events were accepted), as scenario-format.md reads "after
X". Each clock's key (`review.2`, `advice.health.2`, `order.final_plan`) is numbered over every
event known, whatever `as_of` hides (plan-lifecycle.md, settled point 29): the engine replays
the visible events with the keys of a replay of all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from calendars.counting import months_before, months_starting_with, weeks_after
from domain import law
from domain.facts import (
    AdviceReceived,
    AdviceRequested,
    AmendedPlanIssued,
    AppealConceded,
    CaseWithdrawn,
    DecisionToAssess,
    DraftPlanIssued,
    ExceptionRecorded,
    Fact,
    FinalPlanIssued,
    NotToIssueNotice,
    PhaseTransferExpected,
    PlanCeased,
    PlanInPlace,
    ReassessmentDecision,
    ReassessmentRequested,
    RequestReceived,
    ReviewDecisionNotified,
    ReviewMeetingHeld,
    TribunalOrder,
)

KeyMap = dict[tuple[int, str], str]  # (id of the starting fact, kind) -> key


@dataclass(slots=True)
class ClockState:
    """A deadline as the replay finds it: started, maybe completed, maybe no longer a duty."""

    key: str
    kind: str
    start: date
    due: date
    citation: str
    provider: str | None = None
    completed_on: date | None = None
    completed_by: str | None = None
    dropped: bool = False  # re-anchored review, or a round's final after its not-to-issue
    notice: date | None = None  # amended_plan: the notice; phase_transfer: transfer type below
    transfer: str | None = None
    round: RoundState | None = None

    def complete(self, fact: Fact) -> None:
        self.completed_on, self.completed_by = fact.on, fact.type


@dataclass(slots=True)
class RoundState:
    """One assessment (plan-lifecycle.md, "Rounds")."""

    number: int
    opened_by: str  # request_received | reassessment_decision | tribunal_order | appeal_conceded
    limb: str | None  # assess | make_plan (an order or concession); None otherwise
    started_on: date
    opened_on: date
    plan_in_force: bool  # when it opened: an assess round's notice is then a reassessment one
    decision: DecisionToAssess | None = None  # round 1's decision whether to assess
    notice: Fact | None = None  # a later assess round's notice that it will assess
    drafts: list[DraftPlanIssued] = field(default_factory=list)
    latest_draft: DraftPlanIssued | None = None
    not_to_issue: NotToIssueNotice | None = None
    final: FinalPlanIssued | None = None
    closed_on: date | None = None
    outcome: str | None = None
    advice: list[AdviceRequested] = field(default_factory=list)
    clocks: dict[str, ClockState] = field(default_factory=dict)  # role -> clock

    @property
    def is_open(self) -> bool:
        return self.outcome is None


@dataclass(slots=True)
class DisputeState:
    kind: str  # mediation | appeal
    about: str
    on: date
    answer: str | None = None
    answered_by: str | None = None
    answered_on: date | None = None


class CaseState:
    """The state of one case after replaying facts in order (see the module docstring)."""

    def __init__(self, keys: KeyMap | None = None) -> None:
        self.given_keys = keys
        self.assigned: KeyMap = {}  # kept only when asked for (`keep_keys`)
        self.keep_keys = False
        self._counts: dict[str, int] = {}
        self.begun_with: str | None = None  # request | plan_in_place
        self.start: date | None = None
        self.request: RequestReceived | None = None
        self.plan_in_place: PlanInPlace | None = None
        self.rounds: list[RoundState] = []
        self.round1: RoundState | None = None  # the assessment after the request, if any
        self.open_round: RoundState | None = None  # at most one: a round opens only when none is
        self.plan_since: date | None = None
        self.first_final: FinalPlanIssued | None = None
        self.ceased: PlanCeased | None = None
        self.withdrawal: CaseWithdrawn | None = None
        self.exceptions: list[ExceptionRecorded] = []
        self.advice: list[AdviceRequested] = []
        self.advice_clocks: list[ClockState] = []
        self.unanswered_advice: list[int] = []  # indexes into `advice`, in the order asked
        self.pending_advice: list[AdviceRequested] = []
        self.clocks: list[ClockState] = []  # part 2's, in the order they started
        self.review: ClockState | None = None
        self.last_review_decision: date | None = None
        self.meeting: tuple[ReviewMeetingHeld, ClockState] | None = None
        self.meetings_answered: list[ReviewMeetingHeld] = []
        self.amendments: list[ClockState] = []  # outstanding amended_plan.n
        self.order_amends: list[tuple[Fact, ClockState]] = []  # outstanding order.amended_plan
        self.transfers: list[ClockState] = []  # outstanding phase_transfer
        self.reassessment: tuple[ReassessmentRequested, ClockState] | None = None
        self.disputes: list[DisputeState] = []
        self.flags: list[str] = []

    # ---- what the rules ask -------------------------------------------------------------

    @property
    def later_round(self) -> RoundState | None:
        """An open round other than round 1: part 1's rules then see that round only."""
        current = self.open_round
        return current if current is not self.round1 else None

    def in_force(self, on: date) -> bool:
        """A plan is in force on `on` (plan-lifecycle.md; judged at the event's date,
        settled point 23): made or moved in on or before it, and not ceased."""
        return self.plan_since is not None and on >= self.plan_since and self.ceased is None

    def closed_by(self) -> Fact | None:
        """The withdrawal or ceasing after which only corrections may follow."""
        return self.withdrawal or self.ceased

    def appeal_to_answer(self, kinds: tuple[str, ...]) -> DisputeState | None:
        """The earliest appeal (by date, then order) with no order or concession, about one of
        `kinds` (settled point 12)."""
        waiting = [d for d in self.disputes
                   if d.kind == "appeal" and d.answer is None and d.about in kinds]
        return min(waiting, key=lambda d: d.on, default=None)

    def advice_to_answer(self, provider: str, on: date) -> int | None:
        """The earliest outstanding request to `provider` dated on or before `on`
        (scenario-format.md, `advice_received`); a request logged after a receipt is not
        answered by it."""
        asked = self.advice
        candidates = [i for i in self.unanswered_advice
                      if asked[i].provider == provider and asked[i].on <= on]
        return min(candidates, key=lambda i: (asked[i].on, i), default=None)

    def outstanding_amendment(self, on: date) -> ClockState | None:
        """The outstanding amended_plan.n with the earliest notice on or before `on`
        (settled point 25)."""
        return min((c for c in self.amendments if c.notice is not None and c.notice <= on),
                   key=lambda c: c.notice or on, default=None)

    # ---- replay -------------------------------------------------------------------------

    def apply(self, fact: Fact) -> None:
        handler = _HANDLERS.get(fact.type)
        if handler is not None:
            handler(self, fact)

    def _clock(self, fact: Fact, kind: str, start: date, due: date, citation: str,
               provider: str | None = None) -> ClockState:
        counter = f"advice.{provider}" if kind == "advice" else kind
        number = self._counts.get(counter, 0) + 1
        self._counts[counter] = number
        key = None
        if self.given_keys is not None:
            key = self.given_keys.get((id(fact), kind))
        if key is None:
            key = law.numbered_key(kind, number, provider)
        if self.keep_keys:
            self.assigned[(id(fact), kind)] = key
        clock = ClockState(key, kind, start, due, citation, provider)
        if kind != "advice":
            self.clocks.append(clock)
        return clock

    def _open_round(self, fact: Fact, limb: str | None, started_on: date) -> RoundState:
        # Round 1 is the assessment after a request; a case begun with a plan in place has
        # none, so its first reassessment or order is round 2 (plan-lifecycle.md "Rounds").
        number = len(self.rounds) + (1 if self.begun_with == "request" else 2)
        round_ = RoundState(number, fact.type, limb, started_on, fact.on, self.in_force(fact.on))
        self.rounds.append(round_)
        self.open_round = round_
        return round_

    def _close(self, round_: RoundState, on: date, outcome: str) -> None:
        if round_.outcome is None:
            round_.closed_on, round_.outcome = on, outcome
        if self.open_round is round_:
            self.open_round = None

    def _round_for(self, fact: Fact) -> RoundState | None:
        """The round a part 1 event belongs to: the open later round, else round 1."""
        return self.later_round or self.round1

    # part 1 ---------------------------------------------------------------------------------

    def _request(self, fact: RequestReceived) -> None:
        self.begun_with, self.start, self.request = "request", fact.on, fact
        self.round1 = round1 = self._open_round(fact, None, fact.on)
        for limit, role in _ROUND1_LIMITS:
            clock = ClockState(limit.kind, limit.kind, fact.on,
                               fact.on + _WEEKS[limit.weeks], limit.citation)
            clock.round = round1
            round1.clocks[role] = clock

    def _decision(self, fact: DecisionToAssess) -> None:
        round_ = self._round_for(fact)
        if round_ is None:
            return
        if round_ is self.round1:
            if round_.decision is None:
                round_.decision = fact
                round_.clocks["decision"].complete(fact)
                if fact.outcome == "refuse":
                    self._close(round_, fact.on, "refused")
        elif round_.limb == "assess" and round_.notice is None:
            self._round_notice(round_, fact)

    def _round_notice(self, round_: RoundState, fact: Fact) -> None:
        round_.notice = fact
        clock = round_.clocks.get("decision")
        if clock is not None and clock.completed_on is None:
            clock.complete(fact)

    def _advice_requested(self, fact: AdviceRequested) -> None:
        clock = self._clock(fact, "advice", fact.on, fact.on + _WEEKS[law.ADVICE.weeks],
                            law.ADVICE.citation, fact.provider)
        self.unanswered_advice.append(len(self.advice))
        self.advice.append(fact)
        self.advice_clocks.append(clock)
        later = self.later_round
        if later is not None:
            later.advice.append(fact)
            clock.round = later
        elif self.reassessment is not None:  # settled point 18: the round its decision opens
            self.pending_advice.append(fact)
        elif self.round1 is not None:  # settled point 5: outside any round, round 1's
            self.round1.advice.append(fact)
            clock.round = self.round1

    def _advice_received(self, fact: AdviceReceived) -> None:
        index = self.advice_to_answer(fact.provider, fact.on)
        if index is not None:
            self.unanswered_advice.remove(index)
            self.advice_clocks[index].complete(fact)

    def _not_to_issue(self, fact: NotToIssueNotice) -> None:
        round_ = self._round_for(fact)
        if round_ is None or round_.not_to_issue is not None:
            return
        round_.not_to_issue = fact
        notice = round_.clocks.get("not_to_issue")
        if notice is not None:
            notice.complete(fact)
        if round_ is not self.round1:  # no final is due once it decides not to amend or replace
            final = round_.clocks.get("final")
            if final is not None:
                final.dropped = True
        self._close(round_, fact.on, "not_issued")

    def _draft(self, fact: DraftPlanIssued) -> None:
        round_ = self._round_for(fact)
        if round_ is None:
            return
        round_.drafts.append(fact)
        if round_.latest_draft is None or fact.on >= round_.latest_draft.on:
            round_.latest_draft = fact  # S: the latest by date served
        draft = round_.clocks.get("draft")
        if draft is not None and draft.completed_on is None:
            draft.complete(fact)  # order.draft_plan: the round's first draft

    def _final(self, fact: FinalPlanIssued) -> None:
        round_ = self._round_for(fact)
        if round_ is None or round_.final is not None:
            return
        round_.final = fact
        final = round_.clocks.get("final")
        if final is not None:
            final.complete(fact)
        self._flag_premature_final(round_, fact)
        self._close(round_, fact.on, "plan_issued")
        if self.first_final is None:
            self.first_final = fact
        if self.plan_since is None:
            self.plan_since = fact.on
            self._start_review(fact, fact.on, fact.on)
        elif self.in_force(fact.on):  # settled point 31: re-anchors the reviews
            if self.review is not None and self.review.completed_on is None:
                self.review.dropped = True
            self._start_review(fact, fact.on, fact.on)

    def _flag_premature_final(self, round_: RoundState, fact: FinalPlanIssued) -> None:
        draft = round_.latest_draft
        if draft is None or fact.family_confirmed_no_comments:
            return
        if fact.on < draft.on + timedelta(days=law.DRAFT_COMMENT_DAYS):  # reg 13(1)
            final = round_.clocks.get("final")
            if round_ is self.round1:
                self.flags.append("premature_final")
            elif final is not None:  # reading 16: later rounds' flags name their deadline
                self.flags.append(f"premature_final:{final.key}")

    def _exception(self, fact: ExceptionRecorded) -> None:
        self.exceptions.append(fact)

    def _withdrawn(self, fact: CaseWithdrawn) -> None:
        if self.withdrawal is None:
            self.withdrawal = fact
            for round_ in self.rounds:
                self._close(round_, fact.on, "withdrawn")

    # part 2: the plan in force ------------------------------------------------------------

    def _plan_in_place(self, fact: PlanInPlace) -> None:
        self.begun_with, self.plan_in_place = "plan_in_place", fact
        self.start = self.plan_since = fact.latest
        self.last_review_decision = fact.last_reviewed
        anchor = fact.last_reviewed or fact.on
        due = months_starting_with(anchor, law.REVIEW_MONTHS)
        if fact.transferred_in is not None:  # reg 15(5): the later of the two
            due = max(due, months_starting_with(fact.transferred_in.on,
                                                law.TRANSFER_REVIEW_MONTHS))
        self.review = self._clock(fact, "review", fact.latest, due, law.CITATIONS["review"])

    def _start_review(self, fact: Fact, anchor: date, start: date) -> None:
        due = months_starting_with(anchor, law.REVIEW_MONTHS)
        self.review = self._clock(fact, "review", start, due, law.CITATIONS["review"])

    def _meeting(self, fact: ReviewMeetingHeld) -> None:
        clock = self._clock(fact, "review_decision", fact.on,
                            fact.on + timedelta(days=law.REVIEW_DECISION_DAYS),
                            law.CITATIONS["review_decision"])
        self.meeting = (fact, clock)

    def _review_decision(self, fact: ReviewDecisionNotified) -> None:
        meeting = None
        if self.meeting is not None:
            meeting, clock = self.meeting
            clock.complete(fact)
            self.meetings_answered.append(meeting)
            self.meeting = None
        if self.review is not None and self.review.completed_on is None:
            self.review.complete(fact)  # settled point 17: the review outstanding now
        self.last_review_decision = fact.on
        self._start_review(fact, fact.on, fact.on)
        if fact.outcome == "amend":
            due = fact.on + timedelta(days=law.AMENDED_PLAN_DAYS)
            if meeting is not None:  # Devon: within 12 weeks of the meeting at the outside
                due = min(due, meeting.on + timedelta(days=law.AMENDED_PLAN_DEVON_DAYS))
            self._amendment(fact, due)

    def _amendment(self, fact: Fact, due: date) -> None:
        clock = self._clock(fact, "amended_plan", fact.on, due, law.CITATIONS["amended_plan"])
        clock.notice = fact.on
        self.amendments.append(clock)

    def _amendment_proposed(self, fact: Fact) -> None:
        self._amendment(fact, fact.on + timedelta(days=law.AMENDED_PLAN_DAYS))

    def _amended_plan(self, fact: AmendedPlanIssued) -> None:
        clock = self.outstanding_amendment(fact.on)
        if clock is not None:
            clock.complete(fact)
            self.amendments.remove(clock)
            comments_end = (clock.notice or fact.on) + timedelta(
                days=law.AMENDMENT_COMMENT_DAYS)
            if fact.on < comments_end and not fact.family_confirmed_no_comments:
                self.flags.append(f"premature_amendment:{clock.key}")  # reg 22(2)(c)
        for order, ordered in list(self.order_amends):  # settled point 11
            if order.on <= fact.on:
                ordered.complete(fact)
                self.order_amends.remove((order, ordered))
        if fact.names_next_setting:
            self._transfers_done(fact)

    def _transfers_done(self, fact: AmendedPlanIssued) -> None:
        """Settled point 19: every outstanding transfer expected on or before it."""
        for clock in [c for c in self.transfers if c.start <= fact.on]:
            clock.complete(fact)
            self.transfers.remove(clock)
            # Settled point 24: amended on 15 February or 31 March, the day after the due.
            if clock.transfer in law.PHASE_TRANSFER_LAST_DAY and (
                    fact.on == clock.due + timedelta(days=1)):
                self.flags.append(f"phase_transfer_on_deadline_day:{clock.key}")

    def _amendment_not_made(self, fact: Fact) -> None:
        clock = self.outstanding_amendment(fact.on)
        if clock is not None:
            clock.complete(fact)
            self.amendments.remove(clock)

    def _phase_transfer(self, fact: PhaseTransferExpected) -> None:
        if fact.transfer in law.PHASE_TRANSFER_LAST_DAY:  # reading 8: the literal year
            month, day = law.PHASE_TRANSFER_LAST_DAY[fact.transfer]
            due = date(fact.transfer_on.year, month, day)
        else:
            due = months_before(fact.transfer_on, law.POST16_OTHER_MONTHS)
        clock = self._clock(fact, "phase_transfer", fact.on, due,
                            law.PHASE_TRANSFER_CITATIONS[fact.transfer])
        clock.transfer = fact.transfer
        self.transfers.append(clock)

    def _reassessment_requested(self, fact: ReassessmentRequested) -> None:
        clock = self._clock(fact, "reassessment_decision", fact.on,
                            fact.on + timedelta(days=law.REASSESSMENT_DECISION_DAYS),
                            law.CITATIONS["reassessment_decision"])
        self.reassessment = (fact, clock)

    def _reassessment_decision(self, fact: ReassessmentDecision) -> None:
        requested = None
        if self.reassessment is not None:
            requested, clock = self.reassessment
            clock.complete(fact)
            self.reassessment = None
        if fact.outcome != "reassess":
            self.pending_advice = []
            return
        current = self.open_round
        if current is not None:  # settled point 22: the open assess round's notice
            if current.limb == "assess" and current.notice is None:
                self._round_notice(current, fact)
                self._adopt_pending_advice(current)
            return
        round_ = self._open_round(fact, None, requested.on if requested else fact.on)
        final = self._clock(fact, "reassessment_final", fact.on,
                            fact.on + timedelta(days=law.REASSESSMENT_FINAL_DAYS),
                            law.CITATIONS["reassessment_final"])
        final.round = round_
        round_.clocks["final"] = final
        self._adopt_pending_advice(round_)

    def _adopt_pending_advice(self, round_: RoundState) -> None:
        """Settled point 18: advice asked while the decision was awaited is its round's."""
        for advice in self.pending_advice:
            round_.advice.append(advice)
            self.advice_clocks[self.advice.index(advice)].round = round_
        self.pending_advice = []

    def _ceased(self, fact: PlanCeased) -> None:
        if self.ceased is None:
            self.ceased = fact

    # disagreements ------------------------------------------------------------------------

    def _dispute(self, fact: Fact) -> None:
        kind = "mediation" if fact.type == "mediation_held" else "appeal"
        self.disputes.append(DisputeState(kind, fact.about, fact.on))  # type: ignore[attr-defined]

    def _answer(self, fact: TribunalOrder | AppealConceded) -> None:
        limb = fact.order if isinstance(fact, TribunalOrder) else fact.concession
        appeal = self.appeal_to_answer(ANSWERS[limb])
        if appeal is not None:
            appeal.answer, appeal.answered_by, appeal.answered_on = limb, fact.type, fact.on
        citation = law.ORDER_CITATION[fact.type]
        if limb in ("assess", "make_plan"):
            round_ = self._open_round(fact, limb, fact.on)
            for (order_limb, kind), days in law.ORDER_DAYS.items():
                if order_limb == limb:
                    clock = self._clock(fact, kind, fact.on, fact.on + timedelta(days=days),
                                        citation)
                    clock.round = round_
                    round_.clocks[ROLES[kind]] = clock
        elif limb == "amend":
            days = law.ORDER_DAYS[("amend", "order.amended_plan")]
            clock = self._clock(fact, "order.amended_plan", fact.on,
                                fact.on + timedelta(days=days), citation)
            self.order_amends.append((fact, clock))


_ROUND1_LIMITS = ((law.DECISION_TO_ASSESS, "decision"), (law.NOT_TO_ISSUE_NOTICE, "not_to_issue"),
                  (law.FINAL_PLAN, "final"))
# "Within N weeks of X" ends on X + 7N days (calendars.counting.weeks_after), precomputed.
_WEEKS = {limit.weeks: weeks_after(date(2000, 1, 1), limit.weeks) - date(2000, 1, 1)
          for limit, _ in (*_ROUND1_LIMITS, (law.ADVICE, ""))}

# An order or concession answers an appeal of its kind (settled point 12; `dismissed`: any).
ANSWERS = {
    "assess": ("request",),
    "make_plan": ("assessment",),
    "amend": ("other",),
    "dismissed": ("request", "assessment", "other"),
}
ROLES = {"order.decision": "decision", "order.not_to_issue": "not_to_issue",
         "order.final_plan": "final", "order.draft_plan": "draft"}

_HANDLERS: dict[str, Callable[[CaseState, Fact], None]] = {
    "request_received": CaseState._request,
    "decision_to_assess": CaseState._decision,
    "advice_requested": CaseState._advice_requested,
    "advice_received": CaseState._advice_received,
    "not_to_issue_notice": CaseState._not_to_issue,
    "draft_plan_issued": CaseState._draft,
    "final_plan_issued": CaseState._final,
    "exception_recorded": CaseState._exception,
    "case_withdrawn": CaseState._withdrawn,
    "plan_in_place": CaseState._plan_in_place,
    "review_meeting_held": CaseState._meeting,
    "review_decision_notified": CaseState._review_decision,
    "amendment_proposed": CaseState._amendment_proposed,
    "amended_plan_issued": CaseState._amended_plan,
    "amendment_not_made": CaseState._amendment_not_made,
    "phase_transfer_expected": CaseState._phase_transfer,
    "reassessment_requested": CaseState._reassessment_requested,
    "reassessment_decision": CaseState._reassessment_decision,
    "plan_ceased": CaseState._ceased,
    "mediation_held": CaseState._dispute,
    "appeal_registered": CaseState._dispute,
    "tribunal_order": CaseState._answer,
    "appeal_conceded": CaseState._answer,
    "correction": lambda state, fact: None,  # effective facts hold none; a raw list may
}  # type: ignore[dict-item]


def replay(facts: Sequence[Fact], keys: KeyMap | None = None) -> CaseState:
    """The state after `facts` (effective facts, in the order accepted)."""
    state = CaseState(keys)
    handlers = _HANDLERS
    for fact in facts:
        handlers[fact.type](state, fact)
    return state


def keys_of(facts: Sequence[Fact]) -> KeyMap:
    """Each clock's key, by its starting event, over every event known (settled point 29)."""
    state = CaseState()
    state.keep_keys = True
    for fact in facts:
        _HANDLERS[fact.type](state, fact)
    return state.assigned
