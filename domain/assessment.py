"""The EHC case aggregate: the facts of one case (its assessments and its plan's later life),
accepted only when lawful.

State is the list of accepted facts, in order; deadlines are derived by `domain.timeline`,
never stored. One event class per event type, each carrying its pydantic-validated fact.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain import facts
from domain.facts import Fact
from domain.rules import check_new_fact

_CASE_NAMESPACE = uuid5(NAMESPACE_URL, "urn:ehc-timeline:case")


def case_id_for(case_ref: str) -> UUID:
    """One case per authority reference: opening it twice is a conflict, never a duplicate."""
    return uuid5(_CASE_NAMESPACE, case_ref)


class EhcAssessment(Aggregate):
    @staticmethod
    def create_id(case_ref: str) -> UUID:
        return case_id_for(case_ref)

    @event("Opened")
    def __init__(self, case_ref: str, team: str | None = None, caseworker: str | None = None,
                 client_event_id: str | None = None, opened_by: str | None = None):
        self.case_ref = case_ref  # the authority's reference (pseudonymous person id)
        self.team = team
        self.caseworker = caseworker
        self.opened_with = client_event_id  # a retried opening with this key is not a conflict
        self.opened_by = opened_by  # the history's actor (None in older openings)
        self.facts: list[Fact] = []
        self.client_event_ids: dict[str, int] = {}

    class FactRecorded(Aggregate.Event):
        fact: Fact
        actor: str
        client_event_id: str | None

        def apply(self, aggregate: Any) -> None:
            aggregate.facts.append(self.fact)
            if self.client_event_id is not None:
                aggregate.client_event_ids[self.client_event_id] = self.originator_version

    class RequestReceived(FactRecorded):
        fact: facts.RequestReceived

    class DecisionToAssess(FactRecorded):
        fact: facts.DecisionToAssess

    class AdviceRequested(FactRecorded):
        fact: facts.AdviceRequested

    class AdviceReceived(FactRecorded):
        fact: facts.AdviceReceived

    class NotToIssueNotice(FactRecorded):
        fact: facts.NotToIssueNotice

    class DraftPlanIssued(FactRecorded):
        fact: facts.DraftPlanIssued

    class FinalPlanIssued(FactRecorded):
        fact: facts.FinalPlanIssued

    class ExceptionRecorded(FactRecorded):
        fact: facts.ExceptionRecorded

    class CaseWithdrawn(FactRecorded):
        fact: facts.CaseWithdrawn

    class Correction(FactRecorded):
        fact: facts.Correction

    # Part 2: the plan after it is issued, and disagreements (plan-lifecycle.md).
    class PlanInPlace(FactRecorded):
        fact: facts.PlanInPlace

    class ReviewMeetingHeld(FactRecorded):
        fact: facts.ReviewMeetingHeld

    class ReviewDecisionNotified(FactRecorded):
        fact: facts.ReviewDecisionNotified

    class AmendmentProposed(FactRecorded):
        fact: facts.AmendmentProposed

    class AmendedPlanIssued(FactRecorded):
        fact: facts.AmendedPlanIssued

    class AmendmentNotMade(FactRecorded):
        fact: facts.AmendmentNotMade

    class PhaseTransferExpected(FactRecorded):
        fact: facts.PhaseTransferExpected

    class ReassessmentRequested(FactRecorded):
        fact: facts.ReassessmentRequested

    class ReassessmentDecision(FactRecorded):
        fact: facts.ReassessmentDecision

    class PlanCeased(FactRecorded):
        fact: facts.PlanCeased

    class MediationHeld(FactRecorded):
        fact: facts.MediationHeld

    class AppealRegistered(FactRecorded):
        fact: facts.AppealRegistered

    class TribunalOrder(FactRecorded):
        fact: facts.TribunalOrder

    class AppealConceded(FactRecorded):
        fact: facts.AppealConceded

    @event("CaseworkerAssigned")
    def assign(self, caseworker: str | None, team: str | None) -> None:
        self.caseworker = caseworker
        self.team = team

    def record(
        self,
        fact: Fact,
        actor: str,
        today: date | None = None,
        client_event_id: str | None = None,
    ) -> None:
        """Accept `fact` if the law and the case's history allow it; else RuleBroken."""
        check_new_fact(self.facts, fact, today)
        event_class = getattr(type(self), _EVENT_CLASS_NAMES[fact.type])
        self.trigger_event(event_class, fact=fact, actor=actor, client_event_id=client_event_id)


_EVENT_CLASS_NAMES = {
    fact_type: "".join(part.title() for part in fact_type.split("_"))
    for fact_type in facts.FACT_TYPES
}
