"""What if: the year's within-20-weeks figure projected by simulation, with levers.

Each open assessment's outstanding steps (the decision whether to assess, advice still
awaited, the draft, the final plan) take a duration drawn from the authority's own last 12
months (advice per provider): request -> decision, advice asked -> received, decision ->
draft, draft -> final. The draws give a date for the final plan in each run; whether that
final plan is within 20 weeks is the engine's verdict (`domain.timeline.final_plan_if_issued`,
the same rules `evaluate` applies), asked once per case and distinct date. Nothing simulated
is stored: the simulator reads facts and returns figures.

Draws are made with numpy from one seeded generator; the baseline and the scenario share the
same random numbers (so a lever's effect is not noise) and a lever only ever maps a drawn
duration to one no longer, so a lever that shortens steps never makes a case later.
Completion dates never fall before the forecast day ("today"): a step not done by then is
done on it at the earliest. A draw for a step already under way is conditioned on its having
taken at least as long as it has so far.

`mode="whole"` is the degenerate simulation behind the "local median pace" forecast: one
step, request -> final plan, not before the engine's earliest lawful final.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from calendars.authority_calendar import AuthorityCalendar
from calendars.periods import Period, parse_period
from domain.facts import PROVIDERS, Fact
from domain.history import effective_facts
from domain.timeline import NO_CALENDAR, CaseTimeline, earliest_final_after_draft, evaluate
from domain.timeline import final_plan_if_issued as engine_final_verdicts
from domain.wording import date_text, provider_label

MAX_RUNS = 10_000
MAX_WEEKS = 52  # a lever of more than a year is no lever: refused as absurd
HISTORY_DAYS = 364  # the last 12 months, as the median pace forecast reads them
OPEN_FINAL = ("pending", "overdue", "excepted")
STEP_NAMES = {"decision": "decision whether to assess", "draft": "draft plan",
              "final": "final plan"}
CaseFacts = tuple[str, Sequence[Fact]]


class SimulationRefused(ValueError):
    """Input the simulator cannot take; `rule` names which rule refused it."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


# ---- levers ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Levers:
    """Changes to the durations: each maps a drawn duration to one no longer."""

    advice_weeks: dict[str, int] = field(default_factory=dict)  # provider -> within N weeks
    advice_faster: dict[str, float] = field(default_factory=dict)  # provider -> % faster
    decisions_by_week: int | None = None
    drafts_by_week: int | None = None
    finals_first_lawful_day: bool = False
    capacity: float = 0.0  # % more capacity: the authority's own steps take 1/(1+c) as long

    @property
    def any(self) -> bool:
        return bool(self.advice_weeks or self.advice_faster or self.decisions_by_week
                    or self.drafts_by_week or self.finals_first_lawful_day or self.capacity)

    def described(self) -> list[str]:
        parts = [f"{provider_label(p)} advice within {w} weeks"
                 for p, w in sorted(self.advice_weeks.items())]
        parts += [f"{provider_label(p)} advice {f:g}% faster"
                  for p, f in sorted(self.advice_faster.items())]
        if self.decisions_by_week:
            parts.append(f"decisions by week {self.decisions_by_week}")
        if self.drafts_by_week:
            parts.append(f"drafts by week {self.drafts_by_week}")
        if self.finals_first_lawful_day:
            parts.append("final plans on the first lawful day after the draft")
        if self.capacity:
            parts.append(f"{self.capacity:g}% more capacity")
        return parts


ADVICE_LEVER = re.compile(r"([a-z_]+)=(\d{1,4})(w|%)")


def parse_advice_lever(text: str) -> tuple[str, int | None, float | None]:
    """`health=4w` (within 4 weeks) or `health=25%` (25% faster)."""
    match = ADVICE_LEVER.fullmatch(text.strip().lower())
    if match is None:
        raise SimulationRefused("advice_lever_invalid", f"advice lever {text!r}: write it as "
                                "PROVIDER=Nw (within N weeks) or PROVIDER=N% (N% faster)")
    provider, number, unit = match[1], int(match[2]), match[3]
    check_provider(provider)
    if unit == "w":
        return provider, check_weeks(number, f"advice from {provider}"), None
    if not 0 < number < 100:
        raise SimulationRefused("percent_out_of_range",
                                f"advice from {provider}: {number}% faster must be 1-99%")
    return provider, None, float(number)


def levers_from(advice: Iterable[str] = (), decisions_by_week: int | None = None,
                drafts_by_week: int | None = None, finals_first_lawful_day: bool = False,
                capacity: float = 0.0) -> Levers:
    """Levers from the words a manager types, each checked (SimulationRefused)."""
    weeks: dict[str, int] = {}
    faster: dict[str, float] = {}
    for text in advice:
        provider, within, percent = parse_advice_lever(text)
        if within is not None:
            weeks[provider] = within
        if percent is not None:
            faster[provider] = percent
    if decisions_by_week is not None:
        check_weeks(decisions_by_week, "decisions by week")
    if drafts_by_week is not None:
        check_weeks(drafts_by_week, "drafts by week")
    if not 0 <= capacity <= 500:
        raise SimulationRefused("capacity_out_of_range",
                                f"more capacity of {capacity:g}%: give 0-500%")
    return Levers(weeks, faster, decisions_by_week, drafts_by_week, finals_first_lawful_day,
                  capacity)


def check_provider(provider: str) -> str:
    if provider not in PROVIDERS:
        raise SimulationRefused("unknown_provider", f"unknown provider {provider!r}: one of "
                                + ", ".join(PROVIDERS))
    return provider


def check_weeks(weeks: int, what: str) -> int:
    if not 1 <= weeks <= MAX_WEEKS:
        raise SimulationRefused("weeks_out_of_range",
                                f"{what}: {weeks} weeks must be 1 to {MAX_WEEKS}")
    return weeks


def check_runs(runs: int) -> int:
    if not 1 <= runs <= MAX_RUNS:
        raise SimulationRefused("runs_out_of_range", f"{runs} runs: give 1 to {MAX_RUNS:,}")
    return runs


def check_seed(seed: int) -> int:
    if not 0 <= seed < 2**63:
        raise SimulationRefused("seed_out_of_range", f"seed {seed}: give 0 to {2**63 - 1}")
    return seed


def check_cohort(cohort: str) -> str:
    if cohort not in ("completed", "requested"):
        raise SimulationRefused("cohort_invalid", f"cohort {cohort!r}: completed or requested")
    return cohort


def open_period(label: str, today: date) -> Period:
    """A period to forecast: a valid label, not already over."""
    try:
        period = parse_period(label)
    except ValueError as error:
        raise SimulationRefused("period_invalid", str(error)) from None
    if period.end < today:
        raise SimulationRefused("period_closed", f"period {label} ended on {period.end}: "
                                "there is nothing left to forecast (see the backtest)")
    return period


# ---- the authority as known -----------------------------------------------------------------

@dataclass(frozen=True)
class OpenCase:
    """An open assessment as the engine reads it on the forecast day."""

    case_ref: str
    facts: tuple[Fact, ...]  # as known, corrections applied
    request: date
    decision_on: date | None
    advice: tuple[tuple[str, date], ...]  # awaited: (provider, asked on)
    advice_received_on: date | None  # the last advice already received
    draft_on: date | None
    earliest_final: date


@dataclass(frozen=True)
class Known:
    """Everything the simulator reads: the history of step durations, the open assessments,
    and final plans already issued (date, within) per request date."""

    today: date
    history: dict[str, np.ndarray]  # step -> sorted durations in days
    advice: dict[str, np.ndarray]  # provider -> sorted durations
    open_cases: list[OpenCase]
    issued: list[tuple[date, date, bool]]  # (request, issued on, within: the engine's "met")
    # The authority's pace month by month: each month's median request -> final plan over
    # the year's. A run takes one month's pace for all its cases, so what moves many cases
    # at once (a team short-staffed, a backlog) widens the range, not only each case's luck.
    pace: np.ndarray = field(default_factory=lambda: np.ones(1))
    first_request: date | None = None  # the earliest request known

    @property
    def young(self) -> bool:
        """Too little history for a year of steps: requests began less than a year and 20
        weeks before the forecast day, so the slow cases of the year are missing from it."""
        return self.first_request is None or (self.today - self.first_request).days < 365 + 140


def known_authority(cases: Iterable[CaseFacts], today: date, known_at: date | None = None,
                    calendar: AuthorityCalendar = NO_CALENDAR) -> Known:
    """Evaluate every case with the engine on `today`, as known at `known_at` (default: as
    known on `today`, which is what a forecast made that day would have seen)."""
    known_at = known_at or today
    window = today - timedelta(days=HISTORY_DAYS)
    steps: dict[str, list[int]] = {"decision": [], "draft": [], "write": [], "final": [],
                                   "whole": [], "whole_month": []}
    advice: dict[str, list[int]] = {p: [] for p in PROVIDERS}
    open_cases: list[OpenCase] = []
    issued: list[tuple[date, date, bool]] = []
    for case_ref, events in cases:
        facts = effective_facts(events, known_at)
        if not facts or facts[0].type != "request_received":
            continue  # a plan already in place has no 20-week clock
        timeline = evaluate(facts, today, None, calendar)
        _read_history(timeline, window, today, steps, advice)
        final = timeline.deadlines.get("final_plan")
        if final is None:
            continue
        if final.completed_on is not None:
            issued.append((final.clock_start, final.completed_on, final.status == "met"))
        elif timeline.status == "open" and final.status in OPEN_FINAL:
            open_cases.append(_open_case(case_ref, tuple(facts), timeline))
    open_cases.sort(key=lambda case: case.case_ref)  # draws follow the reference, not storage
    first_request = min((request for request, _, _ in issued), default=today)
    pace = monthly_pace(steps.pop("whole"), steps.pop("whole_month"),
                        (today - first_request).days)
    history = {k: np.sort(np.array(v, dtype=np.int64)) for k, v in steps.items()}
    history["whole"] = np.sort(np.array(pace[1], dtype=np.int64))
    return Known(today, history,
                 {k: np.sort(np.array(v, dtype=np.int64)) for k, v in advice.items()},
                 open_cases, issued, pace[0], min(
                     [first_request, *(case.request for case in open_cases)]))


PACE_MONTH_MIN = 10  # plans a month needs before its pace counts


def monthly_pace(days: list[int], months: list[int],
                 known_days: int = 10**6) -> tuple[np.ndarray, list[int]]:
    """Each month's median request -> final plan over the whole year's. Left out: months
    with fewer than 10 plans, and months too soon after the first request known (`known_days`
    ago) for their slow plans to have finished (9 in 10 plans take longer than the gap would
    allow); none left: a pace of 1."""
    if not days:
        return np.ones(1), days
    values, month = np.array(days, dtype=float), np.array(months)
    overall = float(np.median(values))
    slow = float(np.percentile(values, 90))
    factors = [float(np.median(values[month == m])) / overall for m in np.unique(month)
               if (month == m).sum() >= PACE_MONTH_MIN and known_days - 30 * (m + 1) >= slow]
    return (np.array(factors) if factors and overall > 0 else np.ones(1)), days


def _read_history(timeline: CaseTimeline, window: date, today: date,
                  steps: dict[str, list[int]], advice: dict[str, list[int]]) -> None:
    """Durations of the steps this case completed in the last 12 months."""
    def recent(day: date | None) -> bool:
        return day is not None and window <= day <= today

    deadlines = timeline.deadlines
    decision = deadlines.get("decision_to_assess")
    if decision is not None and recent(decision.completed_on):
        steps["decision"].append((decision.completed_on - decision.clock_start).days)
    for deadline in deadlines.values():
        if deadline.kind == "advice" and recent(deadline.completed_on):
            advice[deadline.provider or "other"].append(
                (deadline.completed_on - deadline.clock_start).days)
    round1 = timeline.state.round1 if timeline.state is not None else None
    if round1 is None:
        return
    if round1.drafts and round1.decision is not None and recent(round1.drafts[0].on):
        first_draft = round1.drafts[0].on
        steps["draft"].append((first_draft - round1.decision.on).days)
        received = _last_advice(timeline, first_draft)
        if received is not None:
            steps["write"].append((first_draft - received).days)
    final = deadlines.get("final_plan")
    if final is not None and recent(final.completed_on):
        steps["whole"].append((final.completed_on - final.clock_start).days)
        steps["whole_month"].append((today - final.completed_on).days // 30)
        if timeline.latest_draft is not None:
            steps["final"].append((final.completed_on - timeline.latest_draft).days)


def _last_advice(timeline: CaseTimeline, by: date | None = None) -> date | None:
    """The last advice received (by a day): the draft is written after it."""
    received = [d.completed_on for d in timeline.deadlines.values()
                if d.kind == "advice" and d.completed_on is not None
                and (by is None or d.completed_on <= by)]
    return max(received, default=None)


def _open_case(case_ref: str, facts: tuple[Fact, ...], timeline: CaseTimeline) -> OpenCase:
    state = timeline.state
    assert state is not None and state.round1 is not None
    decision = state.round1.decision
    awaited = tuple((state.advice[i].provider, state.advice[i].on)
                    for i in state.unanswered_advice)
    return OpenCase(case_ref, facts, timeline.request_received,  # type: ignore[arg-type]
                    decision.on if decision else None, awaited, _last_advice(timeline),
                    timeline.latest_draft, timeline.earliest_final)  # type: ignore[arg-type]


# ---- draws ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Draws:
    """The random numbers of every run, shared by the baseline and every scenario."""

    decision: np.ndarray  # runs x cases
    draft: np.ndarray
    final: np.ndarray
    advice: np.ndarray  # runs x awaited advice requests (all cases, flattened)
    pace: np.ndarray  # runs: which month's pace the run takes


def uniforms(known: Known, runs: int, seed: int) -> Draws:
    rng = np.random.default_rng(seed)
    cases = len(known.open_cases)
    awaited = sum(len(c.advice) for c in known.open_cases)
    return Draws(rng.random((runs, cases)), rng.random((runs, cases)),
                 rng.random((runs, cases)), rng.random((runs, awaited)), rng.random(runs))


def draw(history: np.ndarray, u: np.ndarray, elapsed: np.ndarray, spread: bool,
         pace: np.ndarray | None = None) -> np.ndarray:
    """Durations from the history: with spread, the empirical distribution of those at
    least `elapsed` long (a step under way for 50 days takes at least 50); without, the
    median (the median pace forecast's own reading). No history: the step takes what it
    has taken so far (it ends on the forecast day)."""
    if history.size == 0:
        return np.broadcast_to(elapsed, u.shape).astype(np.int64)
    if not spread:
        return np.full(u.shape, int(np.median(history)), dtype=np.int64)
    first = np.searchsorted(history, elapsed, side="left")
    left = history.size - first
    index = np.minimum(first + np.floor(u * left).astype(np.int64), history.size - 1)
    drawn = history[index] if pace is None else np.floor(history[index] * pace)
    return np.where(left > 0, drawn, elapsed).astype(np.int64)


def run_pace(known: Known, draws: Draws) -> np.ndarray:
    """Each run's month of pace (runs x 1), the same for all its cases and steps."""
    size = known.pace.size
    which = np.minimum((draws.pace * size).astype(np.int64), size - 1)
    return known.pace[which][:, None]


def _ordinal(days: Iterable[date | None]) -> np.ndarray:
    return np.array([d.toordinal() if d is not None else -1 for d in days], dtype=np.int64)


def _weeks_cap(duration: np.ndarray, start: np.ndarray, request: np.ndarray,
               weeks: int | None) -> np.ndarray:
    """A step done by week N (from the request) at the latest: never longer than drawn."""
    if weeks is None:
        return duration
    return np.minimum(duration, request + 7 * weeks - start)


def _faster(duration: np.ndarray, capacity: float) -> np.ndarray:
    if not capacity:
        return duration
    return np.floor(duration / (1 + capacity / 100)).astype(np.int64)


@dataclass
class Paths:
    """Simulated completion dates (ordinals), runs x cases; advice runs x awaited."""

    decision: np.ndarray
    advice: np.ndarray
    draft: np.ndarray
    final: np.ndarray


def simulate_paths(known: Known, draws: Draws, levers: Levers, spread: bool = True,
                   mode: str = "steps") -> Paths:
    cases = known.open_cases
    today = known.today.toordinal()
    request = _ordinal(c.request for c in cases)
    lawful = _ordinal(c.earliest_final for c in cases)
    pace = run_pace(known, draws) if spread else None
    if mode == "whole":  # the median pace forecast: request -> final in one step
        whole = draw(known.history["whole"], draws.final, today - request, spread, pace)
        final = np.maximum(request + whole, lawful)
        empty = np.empty((final.shape[0], 0), dtype=np.int64)
        return Paths(final, empty, final, final)
    decided = _ordinal(c.decision_on for c in cases)
    has_decision = decided >= 0
    took = _weeks_cap(_faster(draw(known.history["decision"], draws.decision, today - request,
                                   spread, pace), levers.capacity),
                      request, request, levers.decisions_by_week)
    decision = np.where(has_decision, decided, np.maximum(request + took, today))
    advice, advice_done = _advice_paths(known, draws, levers, spread, decision.shape, pace)
    served = _ordinal(c.draft_on for c in cases)
    has_draft = served >= 0
    draft = np.where(has_draft, served, np.maximum(
        _draft_dates(known, draws, levers, spread, request, decision, advice_done, pace),
        today))
    since_draft = np.where(has_draft, today - served, 0)
    to_final = _faster(draw(known.history["final"], draws.final, since_draft, spread, pace),
                       levers.capacity)
    first_lawful = _first_lawful(draft)
    final = first_lawful if levers.finals_first_lawful_day else np.maximum(
        draft + to_final, first_lawful)
    final = np.maximum(final, np.maximum(lawful, today))
    return Paths(decision, advice, draft, final)


def _draft_dates(known: Known, draws: Draws, levers: Levers, spread: bool,
                 request: np.ndarray, decision: np.ndarray, advice_done: np.ndarray,
                 pace: np.ndarray | None) -> np.ndarray:
    """Once advice is asked for, the draft is written after the last advice arrives (the
    history of last advice -> draft); before, decision -> draft (the wait for advice within
    it). A draft never comes before the advice it needs, whatever the levers."""
    cases = known.open_cases
    today = known.today.toordinal()
    decided = _ordinal(c.decision_on for c in cases)
    since_decision = np.where(decided >= 0, today - decided, 0)
    to_draft = _faster(draw(known.history["draft"], draws.draft, since_decision, spread, pace),
                       levers.capacity)
    by_decision = decision + _weeks_cap(to_draft, decision, request, levers.drafts_by_week)
    received = _ordinal(c.advice_received_on for c in cases)
    asked = (decided >= 0) & np.array([bool(c.advice) or c.advice_received_on is not None
                                       for c in cases], dtype=bool)
    last = np.where(asked, np.maximum(advice_done, received), decision)
    since_advice = np.where(last <= today, today - last, 0)
    to_write = _faster(draw(known.history["write"], draws.draft, since_advice, spread, pace),
                       levers.capacity)
    to_write = np.maximum(_weeks_cap(to_write, last, request, levers.drafts_by_week), 0)
    return np.where(asked, last + to_write, by_decision)


def _advice_paths(known: Known, draws: Draws, levers: Levers, spread: bool,
                  shape: tuple[int, ...],
                  pace: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Awaited advice's arrival (runs x requests), and per case the last to arrive."""
    today = known.today.toordinal()
    owner, providers, asked = [], [], []
    for index, case in enumerate(known.open_cases):
        for provider, on in case.advice:
            owner.append(index)
            providers.append(provider)
            asked.append(on.toordinal())
    arrival = np.empty((shape[0], len(owner)), dtype=np.int64)
    pooled = np.sort(np.concatenate(list(known.advice.values())))
    asked_on = np.array(asked, dtype=np.int64)
    provider_of = np.array(providers, dtype=object)
    for provider in set(providers):
        columns = np.flatnonzero(provider_of == provider)
        history = known.advice.get(provider, pooled)
        history = history if history.size else pooled
        took = draw(history, draws.advice[:, columns], today - asked_on[columns], spread, pace)
        if provider in levers.advice_faster:
            took = np.floor(took * (1 - levers.advice_faster[provider] / 100)).astype(np.int64)
        if provider in levers.advice_weeks:
            took = np.minimum(took, 7 * levers.advice_weeks[provider])
        arrival[:, columns] = np.maximum(asked_on[columns] + took, today)
    last = np.full(shape, np.iinfo(np.int64).min, dtype=np.int64)
    if owner:
        np.maximum.at(last.T, np.array(owner), arrival.T)
    return arrival, last


def _first_lawful(draft: np.ndarray) -> np.ndarray:
    """The engine's first lawful day for a final after each draft date (reg 13(1))."""
    days, where = np.unique(draft, return_inverse=True)
    lawful = np.array([earliest_final_after_draft(date.fromordinal(int(d))).toordinal()
                       for d in days], dtype=np.int64)
    return lawful[where].reshape(draft.shape)


# ---- verdicts -------------------------------------------------------------------------------

class Verdicts:
    """The engine's verdict on each case's final plan for each distinct simulated date,
    asked once and kept (a case's runs repeat the same dates)."""

    def __init__(self, known: Known, calendar: AuthorityCalendar = NO_CALENDAR) -> None:
        self.known = known
        self.calendar = calendar
        self.cache: dict[int, dict[int, bool]] = {}
        self.asked = 0

    def within(self, final: np.ndarray) -> np.ndarray:
        """runs x cases of booleans: the final plan issued on that day is within 20 weeks
        (the engine's status `met`, as the KPI counts it)."""
        result = np.zeros(final.shape, dtype=bool)
        for index, case in enumerate(self.known.open_cases):
            column = final[:, index]
            days, where = np.unique(column, return_inverse=True)
            known = self.cache.setdefault(index, {})
            missing = [int(d) for d in days if int(d) not in known]
            if missing:
                self.asked += len(missing)
                answers = engine_final_verdicts(
                    case.facts, [date.fromordinal(d) for d in missing], self.calendar)
                for day, deadline in zip(missing, answers, strict=True):
                    known[day] = deadline is not None and deadline.status == "met"
            result[:, index] = np.array([known[int(d)] for d in days], dtype=bool)[where]
        return result


# ---- figures --------------------------------------------------------------------------------

@dataclass
class Outcome:
    """One scenario's runs: the figure and the plans within 20 weeks, per run."""

    percent: np.ndarray  # runs
    within: np.ndarray  # runs: plans within 20 weeks (issued and projected)
    plans: np.ndarray  # runs: plans counted
    case_within: np.ndarray  # per open case: share of runs within
    case_counted: np.ndarray  # per open case: share of runs in which the period counts it
    paths: Paths

    def summary(self) -> dict[str, Any]:
        return {"percent": _spread(self.percent, 1), "plans_within": _spread(self.within, 0),
                "plans": _spread(self.plans, 0)}


def _spread(values: np.ndarray, digits: int) -> dict[str, float | int | None]:
    finite = values[~np.isnan(values)] if values.dtype.kind == "f" else values
    if finite.size == 0:
        return {"p10": None, "median": None, "p90": None}
    p10, median, p90 = np.percentile(finite, [10, 50, 90])
    shape = (lambda v: round(float(v), 1)) if digits else (lambda v: round(float(v)))
    return {"p10": shape(p10), "median": shape(median), "p90": shape(p90)}


def outcome(known: Known, paths: Paths, verdicts: Verdicts, period: Period,
            cohort: str = "completed") -> Outcome:
    """The period's figure in each run: plans already issued plus those the run projects.
    Cohort "completed": final plans issued in the period; "requested": requests made in it."""
    start, end = period.start.toordinal(), period.end.toordinal()
    within = verdicts.within(paths.final)
    if cohort == "requested":
        request = _ordinal(c.request for c in known.open_cases)
        counted = np.broadcast_to((request >= start) & (request <= end), within.shape)
        done = [w for r, _, w in known.issued if period.start <= r <= period.end]
    else:
        counted = (paths.final >= start) & (paths.final <= end)
        done = [w for _, i, w in known.issued if period.start <= i <= period.end]
    plans = counted.sum(axis=1) + len(done)
    within_count = (counted & within).sum(axis=1) + sum(done)
    with np.errstate(invalid="ignore", divide="ignore"):
        percent = np.where(plans > 0, 100 * within_count / np.maximum(plans, 1), np.nan)
    return Outcome(percent, within_count, plans, within.mean(axis=0), counted.mean(axis=0),
                   paths)


@dataclass(frozen=True)
class Settings:
    period: str
    runs: int = 1000
    seed: int = 1
    cohort: str = "completed"
    spread: bool = True
    mode: str = "steps"  # steps | whole


def what_if(known: Known, settings: Settings, levers: Levers = Levers(),
            calendar: AuthorityCalendar = NO_CALENDAR) -> dict[str, Any]:
    """The baseline and the scenario side by side, and the cases that move from late to on
    time with their reasons. JSON-ready."""
    check_runs(settings.runs)
    check_seed(settings.seed)
    check_cohort(settings.cohort)
    period = open_period(settings.period, known.today)
    draws = uniforms(known, settings.runs, settings.seed)
    verdicts = Verdicts(known, calendar)
    base = outcome(known, simulate_paths(known, draws, Levers(), settings.spread,
                                         settings.mode), verdicts, period, settings.cohort)
    result: dict[str, Any] = {
        "period": period.label, "cohort": settings.cohort, "forecast_on": known.today.isoformat(),
        "runs": settings.runs, "seed": settings.seed, "open_assessments": len(known.open_cases),
        "history": history_sizes(known), "young_history": known.young,
        "baseline": base.summary(),
    }
    if levers.any:
        scenario = outcome(known, simulate_paths(known, draws, levers, settings.spread,
                                                 settings.mode), verdicts, period,
                           settings.cohort)
        result["levers"] = levers.described()
        result["scenario"] = scenario.summary()
        result["moved_to_on_time"] = moved_cases(known, base, scenario)
    result["engine_verdicts_asked"] = verdicts.asked
    return result


def history_sizes(known: Known) -> dict[str, int]:
    sizes = {name: int(values.size) for name, values in known.history.items() if name != "whole"}
    sizes.update({f"advice.{p}": int(v.size) for p, v in known.advice.items() if v.size})
    return sizes


def moved_cases(known: Known, base: Outcome, scenario: Outcome) -> list[dict[str, Any]]:
    """Cases the period counts, late in most baseline runs and on time in most scenario
    runs, each with the steps the levers brought forward (median dates)."""
    moved = []
    for index, case in enumerate(known.open_cases):
        counted = max(base.case_counted[index], scenario.case_counted[index]) >= 0.5
        if counted and base.case_within[index] < 0.5 <= scenario.case_within[index]:
            moved.append({"case_ref": case.case_ref,
                          "on_time_share": {"baseline": round(float(base.case_within[index]), 2),
                                            "scenario": round(float(
                                                scenario.case_within[index]), 2)},
                          "reasons": _reasons(known, index, base.paths, scenario.paths)})
    return moved


def _reasons(known: Known, index: int, base: Paths, scenario: Paths) -> list[str]:
    reasons = []
    steps = [("decision", base.decision[:, index], scenario.decision[:, index])]
    offset = sum(len(c.advice) for c in known.open_cases[:index])
    for number, (provider, _) in enumerate(known.open_cases[index].advice):
        steps.append((f"{provider_label(provider)} advice", base.advice[:, offset + number],
                      scenario.advice[:, offset + number]))
    steps += [("draft", base.draft[:, index], scenario.draft[:, index]),
              ("final", base.final[:, index], scenario.final[:, index])]
    for name, before, after in steps:
        was, now = int(np.median(before)), int(np.median(after))
        if now < was:
            label = STEP_NAMES.get(name, name)
            reasons.append(f"{label[0].upper()}{label[1:]} by {date_text(date.fromordinal(now))}"
                           f" instead of {date_text(date.fromordinal(was))}")
    return reasons


# ---- what the board sees --------------------------------------------------------------------

def what_if_for_board(result: dict[str, Any]) -> dict[str, Any]:
    """Counts and rates only: the cases that move become their number; every count from 1 to
    4 is withheld with what would give it away (projections.suppression), and a percentage
    goes only with the counts it rests on."""
    from projections.suppression import WITHHELD_NOTE, Table, rate_shown

    moved = len(result.get("moved_to_on_time", []))
    table = Table()
    table.count("open_assessments", result["open_assessments"], ["moved", "stays"])
    if "moved_to_on_time" in result:
        table.count("moved_to_on_time", moved, ["moved"])
    for step, count in result["history"].items():
        table.count(("history", step), count, [("history", step)])
    figures = [name for name in ("baseline", "scenario") if name in result]
    for name in figures:
        for quantile in ("p10", "median", "p90"):
            plans = result[name]["plans"][quantile] or 0
            within = result[name]["plans_within"][quantile] or 0
            atoms = [(name, quantile, "within"), (name, quantile, "late")]
            table.count((name, quantile, "plans"), plans, atoms)
            table.count((name, quantile, "within"), within, atoms[:1])
    withheld = table.withheld()
    shown = {key: value for key, value in result.items() if key != "moved_to_on_time"}
    shown["open_assessments"] = None if "open_assessments" in withheld else result[
        "open_assessments"]
    if "moved_to_on_time" in result:
        shown["moved_to_on_time"] = None if "moved_to_on_time" in withheld else moved
    shown["history"] = {step: None if ("history", step) in withheld else count
                        for step, count in result["history"].items()}
    for name in figures:
        figure = {"percent": {}, "plans_within": {}, "plans": {}}
        for quantile in ("p10", "median", "p90"):
            plans, within = (name, quantile, "plans"), (name, quantile, "within")
            figure["plans"][quantile] = None if plans in withheld else result[name]["plans"][
                quantile]
            figure["plans_within"][quantile] = None if within in withheld else result[name][
                "plans_within"][quantile]
            figure["percent"][quantile] = result[name]["percent"][quantile] if rate_shown(
                withheld, within, plans) else None
        shown[name] = figure
    if withheld:
        shown["withheld"] = WITHHELD_NOTE
    return shown
