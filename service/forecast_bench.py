"""`ehc bench what-if` and `ehc bench backtest`: the simulator's speed, printed as figures.

The authorities are generated in memory (the generator is deterministic for a seed), so the
figures time the simulator and the engine, not the store."""

from __future__ import annotations

import resource
import time

from calendars.periods import period_containing
from projections.backtest import backtest, months_back
from projections.simulation import Settings, known_authority, levers_from, what_if
from scenarios.generator import GeneratorSettings, generate_cases
from service.application import today_in_england

OPEN_SHARE = 0.30  # of a one-year generated authority's requests, still open on its today


def _cases(config: GeneratorSettings) -> list[tuple[str, tuple]]:
    return [(case.case_ref, tuple(case.facts)) for case in generate_cases(config)]


def bench_what_if(open_assessments: int = 5000, runs: int = 1000,
                  seed: int = 1) -> dict[str, str]:
    today = today_in_england()
    config = GeneratorSettings(cases=round(open_assessments / OPEN_SHARE), seed=seed,
                               today=today, years=1, plan_years=False)
    started = time.perf_counter()
    cases = _cases(config)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    known = known_authority(cases, today)
    read = time.perf_counter() - started
    cpu = time.process_time()
    started = time.perf_counter()
    levers = levers_from(["health=4w"], drafts_by_week=14)
    period = period_containing(today, "academic_year").label
    result = what_if(known, Settings(period, runs, seed), levers)
    simulated = time.perf_counter() - started
    return {
        "requests generated": f"{len(cases):,} in {generated:.1f} s (not timed below)",
        "open assessments": f"{len(known.open_cases):,}",
        "engine over every case (history, open assessments)": f"{read:.2f} s",
        "runs": f"{runs:,} for {period}, baseline and scenario (health advice in 4 weeks, "
                "drafts by week 14)",
        "simulation, both scenarios": f"{simulated:.2f} s (CPU {time.process_time() - cpu:.2f} s)",
        "total (engine over every case + simulation)": f"{read + simulated:.2f} s (target < 60 s)",
        "engine verdicts asked (distinct case and date)": f"{result['engine_verdicts_asked']:,}",
        "figure, baseline": _figure(result["baseline"]["percent"]),
        "figure, scenario": _figure(result["scenario"]["percent"]),
        "peak RSS": f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB",
    }


def bench_backtest(cases: int = 3000, months: int = 24, runs: int = 200,
                   seed: int = 1) -> dict[str, str]:
    """The demo authority (`ehc serve --demo`: 3,000 requests over three years and half as
    many plans in place, seed 1), replayed month by month."""
    today = today_in_england()
    config = GeneratorSettings(cases=cases, seed=seed, today=today, plans_in_place=cases // 2)
    started = time.perf_counter()
    authority = _cases(config)
    generated = time.perf_counter() - started
    first = months_back(today, months)
    cpu = time.process_time()
    started = time.perf_counter()
    result = backtest(authority, today, first, runs, seed)
    took = time.perf_counter() - started
    summary = result["summary"]
    return {
        "demo authority": f"{len(authority):,} cases generated in {generated:.1f} s "
                          "(not timed below)",
        "months replayed": f"{len(result['months'])} from {first:%Y-%m} (quarters now over), "
                           f"{runs} runs a month",
        "backtest": f"{took:.2f} s (CPU {time.process_time() - cpu:.2f} s; target < 60 s)",
        "mean absolute error": f"{summary['mean_absolute_error']} percentage points",
        "bias": f"{summary['bias']} (+: forecast too high)",
        "actual in the 10-90 range": f"{summary['in_range']} of {summary['months']} "
                                     f"({summary['in_range_percent']}%)",
    }


def _figure(figure: dict) -> str:
    return f"{figure['median']}% (10-90: {figure['p10']}-{figure['p90']})"


__all__ = ["bench_backtest", "bench_what_if"]
