"""Timeliness KPIs from timeliness facts, with pandas (scenario-format.md "KPIs").

A KPI is within/total over a cohort: by default the deadlines completed in the period; with
`cohort="requested"`, those whose clock started in the period and that were completed by the
evaluation date. "Including exceptions" counts the whole cohort; "excluding exceptions" only
the members to which no exception applies (DfE's headline for the 20-week measure).

"Within" is the engine's own verdict: a completed deadline whose status is `met` (done on or
before its due date). Nothing here compares dates again, so the rule lives in one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from calendars.periods import Period
from projections.case_record import DEADLINE_COLUMNS


@dataclass(frozen=True)
class Measure:
    name: str
    kind: str  # the deadline kind it counts
    title: str
    citation: str
    completed_by: str | None = None  # only deadlines completed by this event type
    by_due_date: bool = False  # cohort: due in the period, open ones included (not within)


MEASURES = {
    m.name: m
    for m in (
        Measure("final_plans_within_20_weeks", "final_plan", "New EHC plans issued within 20 "
                "weeks", "reg 13(2)"),
        Measure("decisions_within_6_weeks", "decision_to_assess", "Decisions whether to assess "
                "within 6 weeks", "reg 5(1)"),
        Measure("not_to_issue_within_16_weeks", "not_to_issue_notice", "Decisions not to issue "
                "within 16 weeks", "reg 10(1)"),
        Measure("advice_within_6_weeks", "advice", "Advice received within 6 weeks", "reg 8(1)"),
        # Part 2 (plan-lifecycle.md "KPIs").
        Measure("review_decisions_within_4_weeks", "review_decision", "Annual review decisions "
                "within 4 weeks of the meeting", "reg 20"),
        Measure("reviews_on_time", "review", "Annual reviews on time", "CFA s.44(1)"),
        # Reading 7, settled point 9: amended plans only (not decisions not to amend).
        Measure("amended_plans_within_8_weeks", "amended_plan", "Amended plans issued within 8 "
                "weeks of the notice", "reg 22(3)", completed_by="amended_plan_issued"),
        # Reading 13: due in the period, no duty dropped; open ones are not within.
        Measure("phase_transfers_on_time", "phase_transfer", "Phase transfers amended on time",
                "reg 18", by_due_date=True),
        Measure("reassessment_finals_within_14_weeks", "reassessment_final", "Plans after "
                "reassessment issued within 14 weeks", "reg 27(2)"),
    )
}
# Only this measure takes `disputes: excluded` (plan-lifecycle.md, settled point 27).
DISPUTES_MEASURE = "final_plans_within_20_weeks"
DISPUTES = ("included", "excluded")
COHORTS = ("completed", "requested")
WITHIN_STATUS = "met"


@dataclass(frozen=True)
class KpiValue:
    within: int
    total: int

    def __str__(self) -> str:
        return f"{self.within}/{self.total}"

    @property
    def percent(self) -> float | None:
        return None if self.total == 0 else 100.0 * self.within / self.total


@dataclass(frozen=True)
class KpiResult:
    measure: str
    period: str
    cohort: str
    provider: str | None
    including_exceptions: KpiValue
    excluding_exceptions: KpiValue


def deadlines_frame(rows: Iterable[Sequence[Any]] | pd.DataFrame) -> pd.DataFrame:
    """Deadline rows (projections.case_record.DEADLINE_COLUMNS) as a frame with datetime
    columns, for vectorised comparisons."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(
        list(rows), columns=list(DEADLINE_COLUMNS))
    for column in ("clock_start", "due", "completed_on"):
        frame[column] = pd.to_datetime(frame[column])
    frame["exception_applies"] = frame["exception_applies"].astype(bool)
    frame["disputed"] = frame["disputed"].fillna(0).astype(int)
    return frame


def kpi(
    frame: pd.DataFrame,
    measure: str,
    period: Period,
    cohort: str = "completed",
    provider: str | None = None,
    team: str | None = None,
    disputes: str = "included",
) -> KpiResult:
    rows = cohort_rows(frame, measure, period, cohort, provider, team, disputes)
    counts = pd.DataFrame({
        "within": (rows["status"] == WITHIN_STATUS).astype(int),
        "exception_applies": rows["exception_applies"].astype(int),
    }).value_counts().rename("deadlines").reset_index()
    return kpi_from_counts(counts, measure, period, cohort, provider)


def kpi_from_counts(
    counts: pd.DataFrame, measure: str, period: Period, cohort: str = "completed",
    provider: str | None = None,
) -> KpiResult:
    """A KPI from a cohort counted by (within, exception_applies): `deadlines` per pair."""
    within, plain = counts["within"] == 1, counts["exception_applies"] == 0
    deadlines = counts["deadlines"]
    return KpiResult(
        measure=measure,
        period=period.label,
        cohort=cohort,
        provider=provider,
        including_exceptions=KpiValue(int(deadlines[within].sum()), int(deadlines.sum())),
        excluding_exceptions=KpiValue(int(deadlines[within & plain].sum()),
                                      int(deadlines[plain].sum())),
    )


def cohort_rows(
    frame: pd.DataFrame,
    measure: str,
    period: Period,
    cohort: str = "completed",
    provider: str | None = None,
    team: str | None = None,
    disputes: str = "included",
) -> pd.DataFrame:
    """The deadlines a KPI counts: completed ones, by completion or clock-start period (a
    phase transfer by its due date, open or not); see `cohort_filter` for the same in SQL."""
    spec = MEASURES[measure]
    selected = frame[frame["kind"] == spec.kind]
    column = cohort_column(spec, cohort)
    if column == "due":
        selected = selected[selected["status"] != "not_applicable"]
    else:
        selected = selected[selected["completed_on"].notna()]
    if spec.completed_by is not None:
        selected = selected[selected["completed_by"] == spec.completed_by]
    if disputes == "excluded":
        selected = selected[selected["disputed"] == 0]
    if provider is not None:
        selected = selected[selected["provider"] == provider]
    if team is not None:
        selected = selected[selected["team"] == team]
    start, end = pd.Timestamp(period.start), pd.Timestamp(period.end)
    return selected[(selected[column] >= start) & (selected[column] <= end)]


def cohort_column(spec: Measure, cohort: str) -> str:
    """The date that puts a deadline in a period's cohort."""
    if cohort == "requested":  # settled point 9: clock started in the period, completed
        return "clock_start"
    return "due" if spec.by_due_date else "completed_on"


def cohort_filter(spec: Measure, cohort: str, disputes: str = "included") -> tuple[str, list]:
    """The same cohort as `cohort_rows`, as SQL conditions (without the period)."""
    conditions, parameters = ["kind = ?"], [spec.kind]
    if cohort_column(spec, cohort) == "due":
        conditions.append("status <> 'not_applicable'")
    else:
        conditions.append("completed_on IS NOT NULL")
    if spec.completed_by is not None:
        conditions.append("completed_by = ?")
        parameters.append(spec.completed_by)
    if disputes == "excluded":
        conditions.append("disputed = 0")
    return " AND ".join(conditions), parameters
