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
    )
}
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
    return frame


def kpi(
    frame: pd.DataFrame,
    measure: str,
    period: Period,
    cohort: str = "completed",
    provider: str | None = None,
    team: str | None = None,
) -> KpiResult:
    rows = cohort_rows(frame, measure, period, cohort, provider, team)
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
) -> pd.DataFrame:
    """The deadlines a KPI counts: completed ones, by completion or clock-start period."""
    selected = frame[(frame["kind"] == MEASURES[measure].kind) & frame["completed_on"].notna()]
    if provider is not None:
        selected = selected[selected["provider"] == provider]
    if team is not None:
        selected = selected[selected["team"] == team]
    column = "clock_start" if cohort == "requested" else "completed_on"
    start, end = pd.Timestamp(period.start), pd.Timestamp(period.end)
    return selected[(selected[column] >= start) & (selected[column] <= end)]
