"""Plan monitoring: each indicator's actual against its target for each reporting period,
the trend, RAG with its reason, the direction of travel, and, while its period is still
running, the forecast from the breach-forecast projection. Aggregates only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from calendars.periods import Period, parse_period, periods_between
from domain.action_plan import (
    CADENCE_FORM,
    SMALL_NUMBER,
    ActionPlan,
    Indicator,
    IndicatorFilters,
    direction_of_travel,
    rag,
)
from projections.kpis import KpiValue
from projections.queries import Span, kpi_table, project_final_plans
from projections.read_store import ReadStore


@dataclass(frozen=True)
class Reading:
    period: str
    within: int
    total: int

    @property
    def percent(self) -> float | None:
        return None if self.total == 0 else round(100 * self.within / self.total, 1)

    @property
    def small(self) -> bool:
        return 0 < self.total < SMALL_NUMBER

    def shown(self) -> str:
        """As printed on the board's pages: small numbers say so, without the counts (the
        board pack withholds them too), rather than a percentage of 3 cases."""
        if self.total == 0:
            return "no cases"
        if self.small:
            return f"fewer than {SMALL_NUMBER} cases"
        within = f"<{SMALL_NUMBER}" if 0 < self.within < SMALL_NUMBER else str(self.within)
        return f"{self.percent:.1f}% ({within}/{self.total})"


@dataclass
class IndicatorStatus:
    indicator: Indicator
    objective: str
    outcome: str
    target_period: str
    actual: Reading  # over the indicator's target period, to the pack's date
    reporting: Reading  # in the reporting period of the pack
    trend: list[Reading]
    rating: str
    reason: str
    travel: str
    running: bool
    forecast: dict[str, float | None] = field(default_factory=dict)
    forecast_rating: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class PlanStatus:
    plan: ActionPlan
    period: Period
    evaluated_on: date
    indicators: list[IndicatorStatus]
    milestones: list[dict[str, str]]


def monitor(plan: ActionPlan, store: ReadStore, period: Period, today: date) -> PlanStatus:
    """The plan as it stands for the reporting `period`, with read models evaluated `today`."""
    statuses = []
    for outcome in plan.outcomes:
        for objective in outcome.objectives:
            for indicator in objective.indicators:
                statuses.append(_indicator(plan, indicator, objective.title, outcome.title,
                                           store, period, today))
    milestones = [
        {"objective": objective.title, "milestone": m.title, "lead": m.lead,
         "due": m.due.isoformat(), "status": m.status_on(min(today, period.end)),
         "completed_on": m.completed_on.isoformat() if m.completed_on else ""}
        for objective, m in plan.milestones()
    ]
    return PlanStatus(plan, period, today, statuses, milestones)


def _indicator(
    plan: ActionPlan, indicator: Indicator, objective: str, outcome: str, store: ReadStore,
    period: Period, today: date,
) -> IndicatorStatus:
    target_period = _target_period(indicator, period)
    until = min(target_period.end, period.end, today)
    actual = _reading(store, indicator, Span(target_period.label, target_period.start, until))
    form = CADENCE_FORM[plan.reporting]
    trend = [_reading(store, indicator, p)
             for p in periods_between(plan.starts, min(period.end, today), form)]
    rating, reason = rag(actual.percent, indicator.target, indicator.rag)
    previous = trend[-2].percent if len(trend) > 1 else (
        indicator.baseline.value if indicator.baseline else None)
    status = IndicatorStatus(
        indicator=indicator, objective=objective, outcome=outcome,
        target_period=target_period.label, actual=actual,
        reporting=_reading(store, indicator, period), trend=trend, rating=rating,
        reason=reason, travel=direction_of_travel(previous, trend[-1].percent if trend else None,
                                                  indicator.target),
        running=target_period.start <= today <= target_period.end,
    )
    if actual.small:
        status.notes.append(f"fewer than {SMALL_NUMBER} cases: the percentage is not a "
                            "reliable guide")
    if status.running:
        _forecast(status, store, target_period, today)
    return status


def _target_period(indicator: Indicator, period: Period) -> Period:
    if indicator.period:
        return parse_period(indicator.period)
    return period


def _reading(store: ReadStore, indicator: Indicator, period: Period | Span) -> Reading:
    filters = indicator.filters
    [result] = kpi_table(store, period, (indicator.measure,), filters.cohort, filters.provider,
                         filters.team, filters.disputes)
    value: KpiValue = (result.excluding_exceptions if indicator.exceptions == "excluding"
                       else result.including_exceptions)
    return Reading(period.label, value.within, value.total)


def _forecast(status: IndicatorStatus, store: ReadStore, period: Period, today: date) -> None:
    """Only the 20-week measure by completion has a forecast (from the breach forecast)."""
    indicator = status.indicator
    if indicator.measure != "final_plans_within_20_weeks" or indicator.filters != (
            IndicatorFilters()):
        status.notes.append("no forecast for this measure or filter")
        return
    projection = project_final_plans(store, today, period)
    status.forecast = {name: result["percent"] for name, result in projection.items()}  # type: ignore[misc]
    status.forecast_rating = rag(status.forecast["median_pace"], indicator.target,
                                 indicator.rag)[0]
