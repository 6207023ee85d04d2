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

    @model_validator(mode="before")
    @classmethod
    def _recorded_defaults_to_on(cls, values: Any) -> Any:
        if isinstance(values, dict) and values.get("recorded") is None and "on" in values:
            values = {**values, "recorded": values["on"]}
        return values


class RequestReceived(Fact):
    """A request for an EHC needs assessment (CFA s.36(1)) or a child brought to attention
    (s.24); `on` is the date R that starts every clock."""

    type: Literal["request_received"] = "request_received"
    requester: Requester


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
    )
}

# Fields a correction may never change: they identify the event or when it was logged.
UNCORRECTABLE_FIELDS = frozenset({"type", "id", "recorded"})


@cache
def field_names(fact_type: type[Fact]) -> frozenset[str]:
    """The names a fact type's fields have in files and payloads (aliases, e.g. `from`)."""
    return frozenset(info.alias or name for name, info in fact_type.model_fields.items())


def fact_payload(fact: Fact) -> dict[str, Any]:
    """A fact as plain JSON-ready values, keyed by the names used in files."""
    return fact.model_dump(mode="json", by_alias=True, exclude_none=True)
