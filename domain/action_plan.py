"""A SEND action plan as boards write them (shared/seeds/): outcomes, objectives, impact
indicators with targets and RAG thresholds, and milestones with leads and due dates.

Pure: the models, their validation, and the RAG rule. Loading files and computing actuals
live in the layers above.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Direction = Literal["at_least", "at_most"]
Cadence = Literal["monthly", "quarterly", "annually"]
MilestoneStatus = Literal["not_started", "on_track", "at_risk", "complete"]
CADENCE_FORM = {"monthly": "month", "quarterly": "quarter", "annually": "year"}
MEASURE_NAMES = ("final_plans_within_20_weeks", "decisions_within_6_weeks",
                 "not_to_issue_within_16_weeks", "advice_within_6_weeks",
                 "review_decisions_within_4_weeks", "reviews_on_time",
                 "amended_plans_within_8_weeks", "phase_transfers_on_time",
                 "reassessment_finals_within_14_weeks")
SMALL_NUMBER = 5  # public-sector practice: counts under 5 are shown as such, with a note


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Target(_Strict):
    value: float = Field(ge=0, le=100, description="percentage")
    direction: Direction = "at_least"


class RagThresholds(_Strict):
    """Green meets the target; amber misses it by no more than `amber_within` points."""

    amber_within: float = Field(default=5, ge=0, le=100)


class Baseline(_Strict):
    period: str
    value: float = Field(ge=0, le=100)


class IndicatorFilters(_Strict):
    cohort: Literal["completed", "requested"] = "completed"
    provider: str | None = None
    team: str | None = None
    # DfE's 20-week figure leaves out assessments that went to mediation or appeal.
    disputes: Literal["included", "excluded"] = "included"


class Indicator(_Strict):
    id: str
    title: str
    measure: str
    filters: IndicatorFilters = IndicatorFilters()
    exceptions: Literal["including", "excluding"] = "excluding"  # DfE's headline excludes
    target: Target
    period: str | None = None  # the period the target is judged over (e.g. "2025/26")
    deadline: date | None = None  # or a date by which it must be met
    baseline: Baseline | None = None
    rag: RagThresholds = RagThresholds()

    @field_validator("measure")
    @classmethod
    def _known_measure(cls, value: str) -> str:
        if value not in MEASURE_NAMES:
            raise ValueError(f"unknown measure {value!r}: one of {', '.join(MEASURE_NAMES)}")
        return value

    @model_validator(mode="after")
    def _disputes_only_for_new_plans(self) -> Indicator:
        if self.filters.disputes != "included" and self.measure != MEASURE_NAMES[0]:
            raise ValueError(f"filters.disputes applies only to {MEASURE_NAMES[0]}")
        return self


class Milestone(_Strict):
    title: str
    lead: str
    due: date
    status: MilestoneStatus = "not_started"
    completed_on: date | None = None

    @model_validator(mode="after")
    def _completion_date(self) -> Milestone:
        if (self.status == "complete") != (self.completed_on is not None):
            raise ValueError("completed_on is given exactly when status is complete")
        return self

    def status_on(self, today: date) -> str:
        """The recorded status, or `overdue` when past due and not complete."""
        if self.status != "complete" and today > self.due:
            return "overdue"
        return self.status


class Objective(_Strict):
    id: str
    title: str
    lead: str
    indicators: tuple[Indicator, ...] = ()
    milestones: tuple[Milestone, ...] = ()


class Outcome(_Strict):
    id: str
    title: str
    objectives: tuple[Objective, ...] = Field(min_length=1)


class ActionPlan(_Strict):
    title: str
    owner: str
    reporting: Cadence = "quarterly"
    starts: date
    outcomes: tuple[Outcome, ...] = Field(min_length=1)

    def indicators(self) -> list[Indicator]:
        return [i for o in self.outcomes for obj in o.objectives for i in obj.indicators]

    def milestones(self) -> list[tuple[Objective, Milestone]]:
        return [(obj, m) for o in self.outcomes for obj in o.objectives for m in obj.milestones]


def rag(actual: float | None, target: Target, thresholds: RagThresholds) -> tuple[str, str]:
    """(rating, reason): green when the target is met, amber when it is missed by no more
    than the amber margin (a value right on the margin is amber), red beyond it."""
    if actual is None:
        return "grey", "no cases in the period: nothing to rate"
    gap = actual - target.value if target.direction == "at_least" else target.value - actual
    wanted = "at least" if target.direction == "at_least" else "at most"
    said = f"{actual:.1f}% against a target of {wanted} {target.value:g}%"
    if gap >= 0:
        return "green", f"{said}: met"
    if -gap <= thresholds.amber_within:
        return "amber", f"{said}: {-gap:.1f} points short, within the amber margin of " \
                        f"{thresholds.amber_within:g}"
    return "red", f"{said}: {-gap:.1f} points short"


def direction_of_travel(previous: float | None, current: float | None, target: Target) -> str:
    """improving | worsening | steady (within a point) | unknown."""
    if previous is None or current is None:
        return "unknown"
    change = current - previous if target.direction == "at_least" else previous - current
    if abs(change) < 1:
        return "steady"
    return "improving" if change > 0 else "worsening"
