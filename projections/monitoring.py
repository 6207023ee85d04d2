"""Plan monitoring: each indicator's actual against its target for each reporting period,
the trend, RAG with its reason, the direction of travel, and, while its period is still
running, the forecast from the breach-forecast projection. Aggregates only."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

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
from projections.suppression import NOT_RATED, Table, small

NOT_RATED_CODE = "not_rated"
NOT_RATED_REASON = f"{NOT_RATED} cases"
NOT_RATED_WITHHELD = ("not rated: its figures are withheld, as they would reveal a count "
                      f"under {SMALL_NUMBER}")
NOT_RATED_TRAVEL = "not rated"


@dataclass(frozen=True)
class Reading:
    """An indicator's figures over a span: `within` of `total`. On the board's view
    (`monitor(..., board=True)`) `withheld` names the counts not shown ("within", "total"):
    counts under 5 and those that would reveal one (projections.suppression)."""

    period: str
    within: int
    total: int
    start: date | None = None
    end: date | None = None
    withheld: frozenset[str] = frozenset()

    @property
    def percent(self) -> float | None:
        return None if self.total == 0 else round(100 * self.within / self.total, 1)

    @property
    def small(self) -> bool:
        return 0 < self.total < SMALL_NUMBER

    @property
    def shown_within(self) -> int | None:
        return None if "within" in self.withheld else self.within

    @property
    def shown_total(self) -> int | None:
        return None if "total" in self.withheld else self.total

    @property
    def shown_percent(self) -> float | None:
        """No rate for a group under 5, nor beside a withheld count (rate x total = within)."""
        return None if self.small or self.withheld else self.percent

    def shown(self) -> str:
        """As printed on the pages and in the pack: a small group says so, without its
        counts or rate; a withheld count says 'withheld'."""
        if self.total == 0:
            return "no cases"
        if self.small:
            return f"fewer than {SMALL_NUMBER} cases"
        within = self._count("within", self.within)
        total = self._count("total", self.total)
        rate = self.shown_percent
        return f"{rate:.1f}% ({within}/{total})" if rate is not None else f"{within}/{total}"

    def _count(self, name: str, value: int) -> str:
        """One mark for every withheld count: '<5' beside 'withheld' would tell which is
        small, and a sum could then pin both."""
        return "withheld" if name in self.withheld else str(value)


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
    forecast_counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # within, total


@dataclass
class PlanStatus:
    plan: ActionPlan
    period: Period
    evaluated_on: date
    indicators: list[IndicatorStatus]
    milestones: list[dict[str, str]]


def monitor(plan: ActionPlan, store: ReadStore, period: Period, today: date,
            board: bool = True) -> PlanStatus:
    """The plan as it stands for the reporting `period`, with read models evaluated `today`.

    A group under 5 gets no rate, no direction of travel and no RAG, for anyone ("not rated:
    fewer than 5 cases"). The board's view (`board=True`, the default, as pages and packs
    shown to the board use it) also withholds every count under 5 and every count that would
    reveal one, across all the plan's indicators and periods, and rates nothing whose figures
    are withheld; managers (`board=False`) see the exact counts."""
    statuses = []
    for outcome in plan.outcomes:
        for objective in outcome.objectives:
            for indicator in objective.indicators:
                statuses.append(_indicator(plan, indicator, objective.title, outcome.title,
                                           store, period, today))
    if board:
        _withhold_for_the_board(statuses)
    for status in statuses:
        _rate(status, board)
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
    status = IndicatorStatus(
        indicator=indicator, objective=objective, outcome=outcome,
        target_period=target_period.label, actual=actual,
        reporting=_reading(store, indicator, period), trend=trend, rating="", reason="",
        travel="", running=target_period.start <= today <= target_period.end,
    )
    if status.running:
        _forecast(status, store, target_period, today)
    return status


def _rate(status: IndicatorStatus, board: bool) -> None:
    """RAG, reason and direction of travel from the figures that may be shown: none from a
    group under 5, nor, on the board's view, from figures withheld beside one."""
    indicator, actual = status.indicator, status.actual
    if actual.small:
        status.rating, status.reason = NOT_RATED_CODE, NOT_RATED_REASON
        if not board:
            status.reason += f" ({actual.within} of {actual.total})"
        status.notes.append(f"fewer than {SMALL_NUMBER} cases: no rate, direction of travel "
                            "or RAG")
    elif board and actual.withheld:
        status.rating, status.reason = NOT_RATED_CODE, NOT_RATED_WITHHELD
    else:
        status.rating, status.reason = rag(actual.percent, indicator.target, indicator.rag)
    status.travel = _travel(status, board)
    if status.forecast_counts:
        _rate_forecast(status, board)


def _travel(status: IndicatorStatus, board: bool) -> str:
    indicator, trend = status.indicator, status.trend
    current = trend[-1] if trend else None
    previous = trend[-2] if len(trend) > 1 else None
    now = _rateable(current, board)
    before = _rateable(previous, board) if previous is not None else (
        indicator.baseline.value if indicator.baseline else None)
    if (current is not None and current.total and now is None) or (
            previous is not None and previous.total and before is None):
        return NOT_RATED_TRAVEL
    return direction_of_travel(before, now, indicator.target)


def _rateable(reading: Reading | None, board: bool) -> float | None:
    if reading is None or reading.small:
        return None
    return reading.shown_percent if board else reading.percent


def _rate_forecast(status: IndicatorStatus, board: bool) -> None:
    """A forecast's rate is shown only for a group of 5 or more; on the board's view, also
    only when neither those finishing within 20 weeks nor the rest are under 5."""
    for scenario, (within, total) in status.forecast_counts.items():
        hidden = total < SMALL_NUMBER or (board and (small(within) or small(total - within)))
        if hidden:
            status.forecast[scenario] = None
    median = status.forecast.get("median_pace")
    status.forecast_rating = None if median is None else rag(
        median, status.indicator.target, status.indicator.rag)[0]


def _withhold_for_the_board(statuses: list[IndicatorStatus]) -> None:
    """Primary and secondary suppression over every reading of the plan: indicators of one
    measure count the same deadlines (periods inside periods, a team inside everyone, with
    and without exceptions), so they are one table (projections.suppression). A plan's
    measures each count a kind of deadline of their own (domain.action_plan.MEASURE_NAMES),
    so measures are tables apart."""
    readings: dict[tuple[int, str], Reading] = {}
    for number, status in enumerate(statuses):
        readings[number, "actual"] = status.actual
        readings[number, "reporting"] = status.reporting
        for position, reading in enumerate(status.trend):
            readings[number, f"trend.{position}"] = reading
    withheld: set[Hashable] = set()
    for measure in {s.indicator.measure for s in statuses}:
        members = [(key, statuses[key[0]].indicator, reading)
                   for key, reading in readings.items()
                   if statuses[key[0]].indicator.measure == measure]
        withheld |= _deadline_table(members).withheld()
    for (number, name), reading in readings.items():
        hidden = frozenset(part for part in ("within", "total")
                           if (number, name, part) in withheld)
        if hidden:
            readings[number, name] = replace(reading, withheld=hidden)
    for number, status in enumerate(statuses):
        status.actual = readings[number, "actual"]
        status.reporting = readings[number, "reporting"]
        status.trend = [readings[number, f"trend.{i}"] for i in range(len(status.trend))]


def _deadline_table(members: list[tuple[tuple[int, str], Indicator, Reading]]) -> Table:
    """Readings of one measure as counts over atoms: (segment of the clock's start, segment
    of completion, within or late, exception or not, disputed or not, provider, team), the
    segments cut at every reading's start and end, providers and teams at every filter's
    value."""
    cuts = sorted({day for _, _, r in members for day in (r.start, r.end + timedelta(1))})
    providers = [*sorted({i.filters.provider for _, i, _ in members if i.filters.provider}),
                 None]  # None: every other provider
    teams = [*sorted({i.filters.team for _, i, _ in members if i.filters.team}), None]
    segments = range(len(cuts) + 1)
    atoms = [(started, done, within, excepted, disputed, provider, team)
             for started in segments for done in segments if started <= done
             for within in (True, False) for excepted in (True, False)
             for disputed in (True, False) for provider in providers for team in teams]
    table = Table()
    for key, indicator, reading in members:
        first, last = bisect_right(cuts, reading.start), bisect_right(cuts, reading.end)
        axis = 0 if indicator.filters.cohort == "requested" else 1
        filters = indicator.filters
        counted = [a for a in atoms if first <= a[axis] <= last
                   and (indicator.exceptions == "including" or not a[3])
                   and (filters.disputes == "included" or not a[4])
                   and (filters.provider is None or a[5] == filters.provider)
                   and (filters.team is None or a[6] == filters.team)]
        table.count((*key, "total"), reading.total, counted)
        table.count((*key, "within"), reading.within, [a for a in counted if a[2]])
    return table


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
    return Reading(period.label, value.within, value.total, period.start, period.end)


def _forecast(status: IndicatorStatus, store: ReadStore, period: Period, today: date) -> None:
    """Only the 20-week measure by completion has a forecast (from the breach forecast)."""
    indicator = status.indicator
    if indicator.measure != "final_plans_within_20_weeks" or indicator.filters != (
            IndicatorFilters()):
        status.notes.append("no forecast for this measure or filter")
        return
    projection = project_final_plans(store, today, period)
    status.forecast = {name: result["percent"] for name, result in projection.items()}  # type: ignore[misc]
    status.forecast_counts = {
        name: (int(result["issued_within"]) + int(result["projected_within"]),  # type: ignore[call-overload]
               int(result["issued"]) + int(result["projected"]))  # type: ignore[call-overload]
        for name, result in projection.items()}
