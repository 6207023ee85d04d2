"""The facts a caseworker records about an EHC needs assessment, one model per event type.

Each fact carries its effective date (`on`, the day it happened) and the date it was recorded
(`recorded`, the day it was logged); the auditors' "as known at" replay relies on the second.
Field values are validated by pydantic; precedence rules live in `domain.rules`.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, model_validator

from domain.text import lines, one_line

Requester = Literal["parent", "young_person", "school", "brought_to_attention"]
Provider = Literal[
    "health", "social_care", "educational_psychology", "education", "early_years", "other"
]
ExceptionReason = Literal[
    "school_closure",
    "early_years_closure",
    "personal_circumstances",
    "absence_from_area",
    "missed_appointment",
    "coronavirus",
]

# Bounds on free text: an event id is a short label that corrections cite (the API's
# `corrects` takes up to 64 characters); notes are bounded so no event is unbounded.
# Every one follows domain.text's rule (line breaks as LF, no other control character).
Label = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(one_line)]
ShortText = Annotated[str, Field(max_length=200), AfterValidator(one_line)]
LongText = Annotated[str, Field(max_length=2000), AfterValidator(lines)]

# Part 3 (docs/spec/imported-history.md): a step an imported record does not hold. The event
# names it in `not_recorded`; the rules accept the event without it and the engine shows
# every figure that depends on it as "not recorded", never a guess.
NotRecorded = Literal["requester", "decision_date", "draft_plan_issued"]
NOT_RECORDED_ON: dict[str, str] = {
    "requester": "request_received",
    "decision_date": "decision_to_assess",
    "draft_plan_issued": "final_plan_issued",
}

REQUESTERS: tuple[str, ...] = Requester.__args__  # type: ignore[attr-defined]
PROVIDERS: tuple[str, ...] = Provider.__args__  # type: ignore[attr-defined]
EXCEPTION_REASONS: tuple[str, ...] = ExceptionReason.__args__  # type: ignore[attr-defined]


class Fact(BaseModel):
    """Fields every event has."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    type: str
    on: date
    recorded: date
    id: Label | None = None
    not_recorded: tuple[NotRecorded, ...] | None = None  # part 3: imported history

    @model_validator(mode="before")
    @classmethod
    def _recorded_defaults_to_on(cls, values: Any) -> Any:
        if isinstance(values, dict) and values.get("recorded") is None and "on" in values:
            values = {**values, "recorded": values["on"]}
        return values

    @model_validator(mode="after")
    def _steps_of_this_event(self) -> Fact:
        for step in self.not_recorded or ():
            if NOT_RECORDED_ON[step] != self.type:
                raise ValueError(f"not_recorded: {step} is a step of {NOT_RECORDED_ON[step]}, "
                                 f"not of {self.type}")
        return self

    def lacks(self, step: str) -> bool:
        """Whether an imported record left this step out (part 3)."""
        return self.not_recorded is not None and step in self.not_recorded


class RequestReceived(Fact):
    """A request for an EHC needs assessment (CFA s.36(1)) or a child brought to attention
    (s.24); `on` is the date R that starts every clock."""

    type: Literal["request_received"] = "request_received"
    # Required, except on an imported request whose record does not say (part 3).
    requester: Requester | None = Field(default=None, json_schema_extra={"asked": True})

    @model_validator(mode="after")
    def _requester_given(self) -> RequestReceived:
        if self.requester is None and not self.lacks("requester"):
            raise ValueError("requester is required")
        return self


class DecisionToAssess(Fact):
    """The notified decision whether to carry out an assessment (reg 5(1))."""

    type: Literal["decision_to_assess"] = "decision_to_assess"
    outcome: Literal["assess", "refuse"]


class AdviceRequested(Fact):
    """Advice asked of a provider; `on` is the day the provider received the request."""

    type: Literal["advice_requested"] = "advice_requested"
    provider: Provider
    setting: ShortText | None = None


class AdviceReceived(Fact):
    type: Literal["advice_received"] = "advice_received"
    provider: Provider


class NotToIssueNotice(Fact):
    """Notice of a decision not to issue a plan after assessing (reg 10(1))."""

    type: Literal["not_to_issue_notice"] = "not_to_issue_notice"


class DraftPlanIssued(Fact):
    """A draft plan served on the family; `on` is the day served (S), reg 13(1)."""

    type: Literal["draft_plan_issued"] = "draft_plan_issued"


class FinalPlanIssued(Fact):
    type: Literal["final_plan_issued"] = "final_plan_issued"
    # Strict: only true/false; "yes" or 1 must not pass for the family's confirmation.
    family_confirmed_no_comments: StrictBool = False


class ExceptionRecorded(Fact):
    """An attested reason that made a time limit impractical (regs 5(4), 8(2), 10(4), 13(3)).

    It excuses a deadline; it never moves one.
    """

    type: Literal["exception_recorded"] = "exception_recorded"
    reason: ExceptionReason
    from_: date = Field(alias="from")
    to: date | None = None
    attested_by: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(one_line)]
    applies_to: tuple[str, ...] | None = None
    provider: Provider | None = None


class CaseWithdrawn(Fact):
    type: Literal["case_withdrawn"] = "case_withdrawn"
    reason: LongText


class PlanInPlace(Fact):
    """A plan made before the tracker, or received from another authority (part 2): `on` is
    the date it was made; the case starts at its latest date (`on`, `last_reviewed`,
    `transferred_in.on`), which stands for `on` wherever part 1 reads an event's date."""

    type: Literal["plan_in_place"] = "plan_in_place"
    last_reviewed: date | None = None  # the last review decision notice (SEN2 LastReview)
    transferred_in: TransferredIn | None = None

    @model_validator(mode="before")
    @classmethod
    def _recorded_defaults_to_latest(cls, values: Any) -> Any:
        """Settled point 28: `recorded` defaults to the latest date, not to `on`."""
        if isinstance(values, dict) and values.get("recorded") is None and "on" in values:
            latest = max(
                (d for d in (values.get("on"), values.get("last_reviewed"),
                             _transfer_date(values.get("transferred_in"))) if d is not None),
                key=_as_date, default=values["on"])
            values = {**values, "recorded": latest}
        return values

    @property
    def latest(self) -> date:
        """The case's start: the last of the plan's dates known here."""
        if self.transferred_in is not None:
            return max(self.on, self.transferred_in.on, self.last_reviewed or self.on)
        return max(self.on, self.last_reviewed or self.on)


class TransferredIn(BaseModel):
    """Reg 15: the plan came from another authority on `on`."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    from_: ShortText = Field(alias="from", min_length=1)
    on: date


def _transfer_date(value: Any) -> Any:
    if isinstance(value, TransferredIn):
        return value.on
    return value.get("on") if isinstance(value, dict) else None


def _as_date(value: Any) -> date:
    """For ordering dates that may still be ISO text before validation."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return date.min


class ReviewMeetingHeld(Fact):
    """The annual review meeting (reg 20)."""

    type: Literal["review_meeting_held"] = "review_meeting_held"


class ReviewDecisionNotified(Fact):
    """The authority's decision after a review, notified to the family (reg 20; CFA s.44);
    `amend` also serves the proposed amendments (reg 22(2))."""

    type: Literal["review_decision_notified"] = "review_decision_notified"
    outcome: Literal["maintain", "amend", "cease"]


class AmendmentProposed(Fact):
    """A notice of proposed amendments outside a review (reg 22(2))."""

    type: Literal["amendment_proposed"] = "amendment_proposed"


class AmendedPlanIssued(Fact):
    type: Literal["amended_plan_issued"] = "amended_plan_issued"
    family_confirmed_no_comments: StrictBool = False
    names_next_setting: StrictBool = False  # completes a phase transfer (reg 18)


class AmendmentNotMade(Fact):
    """Reg 22(4): the authority decided not to amend after all."""

    type: Literal["amendment_not_made"] = "amendment_not_made"


class PhaseTransferExpected(Fact):
    """A move between phases of education on `transfer_on` (reg 18)."""

    type: Literal["phase_transfer_expected"] = "phase_transfer_expected"
    transfer: Literal["school", "post16", "post16_other"]
    transfer_on: date


class ReassessmentRequested(Fact):
    """A request to reassess the child's needs (reg 24)."""

    type: Literal["reassessment_requested"] = "reassessment_requested"
    requester: Literal["parent", "young_person", "school"]


class ReassessmentDecision(Fact):
    """The decision whether to reassess (reg 25); `reassess` opens a round."""

    type: Literal["reassessment_decision"] = "reassessment_decision"
    outcome: Literal["reassess", "refuse"]


CeaseReason = Literal[
    "max_age", "needs_met", "higher_education", "employment", "transferred_out", "disengaged",
    "moved_outside_england", "deceased", "other",
]
CEASE_REASONS: tuple[str, ...] = CeaseReason.__args__  # type: ignore[attr-defined]
DisputeSubject = Literal["request", "assessment", "other"]


class PlanCeased(Fact):
    """The plan ended on `on` (CFA s.45); `reason` is SEN2's CeaseReason 1-9, in this order."""

    type: Literal["plan_ceased"] = "plan_ceased"
    reason: CeaseReason


class MediationHeld(Fact):
    type: Literal["mediation_held"] = "mediation_held"
    about: DisputeSubject


class AppealRegistered(Fact):
    """An appeal to the First-tier Tribunal (SEND), registered on `on`."""

    type: Literal["appeal_registered"] = "appeal_registered"
    about: DisputeSubject


class TribunalOrder(Fact):
    type: Literal["tribunal_order"] = "tribunal_order"
    order: Literal["assess", "make_plan", "amend", "dismissed"]


class AppealConceded(Fact):
    """The authority told the Tribunal it would not oppose the appeal (reg 45)."""

    type: Literal["appeal_conceded"] = "appeal_conceded"
    concession: Literal["assess", "make_plan", "amend"]


class Correction(Fact):
    """Replaces fields of an earlier event from this correction's `recorded` date onward;
    the original stays in the history."""

    type: Literal["correction"] = "correction"
    corrects: Label
    set: dict[str, Any]
    reason: LongText


FACT_TYPES: dict[str, type[Fact]] = {
    model.model_fields["type"].default: model
    for model in (
        RequestReceived,
        DecisionToAssess,
        AdviceRequested,
        AdviceReceived,
        NotToIssueNotice,
        DraftPlanIssued,
        FinalPlanIssued,
        ExceptionRecorded,
        CaseWithdrawn,
        Correction,
        PlanInPlace,
        ReviewMeetingHeld,
        ReviewDecisionNotified,
        AmendmentProposed,
        AmendedPlanIssued,
        AmendmentNotMade,
        PhaseTransferExpected,
        ReassessmentRequested,
        ReassessmentDecision,
        PlanCeased,
        MediationHeld,
        AppealRegistered,
        TribunalOrder,
        AppealConceded,
    )
}
PlanInPlace.model_rebuild()

# The first event of a case: a request (part 1) or a plan already in place (part 2).
OPENING_TYPES = frozenset({"request_received", "plan_in_place"})


def fact_date(fact: Fact) -> date:
    """The date that stands for the event wherever the rules and `as_of` read its `on`: a
    plan_in_place counts at its latest date (plan-lifecycle.md)."""
    return fact.latest if isinstance(fact, PlanInPlace) else fact.on


def fact_dates(fact: Fact) -> list[tuple[str, date]]:
    """Every date an event gives (checked against 1 September 2014, settled point 34)."""
    found: list[tuple[str, date]] = []
    for name, value in fact:
        if isinstance(value, date):
            found.append(("from" if name == "from_" else name, value))
        elif isinstance(value, TransferredIn):
            found.append(("transferred_in.on", value.on))
    return found

# Fields a correction may never change: they identify the event or when it was logged.
UNCORRECTABLE_FIELDS = frozenset({"type", "id", "recorded", "not_recorded"})


@cache
def field_names(fact_type: type[Fact]) -> frozenset[str]:
    """The names a fact type's fields have in files and payloads (aliases, e.g. `from`)."""
    return frozenset(info.alias or name for name, info in fact_type.model_fields.items())


def fact_payload(fact: Fact) -> dict[str, Any]:
    """A fact as plain JSON-ready values, keyed by the names used in files."""
    return fact.model_dump(mode="json", by_alias=True, exclude_none=True)
