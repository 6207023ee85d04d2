"""Benchmarks that print `name: value` lines (never timed unit tests)."""

from __future__ import annotations

import resource
import statistics
import time
from datetime import date, timedelta
from pathlib import Path

from calendars.periods import parse_period
from domain.facts import Fact
from domain.history import build_fact
from domain.timeline import evaluate
from projections.profile import STEPS
from projections.queries import kpi_table
from projections.read_store import ReadStore
from scenarios.generator import GeneratorSettings, generate_cases, save_in_batches
from service.application import EhcApplication
from service.settings import StoreSettings
from service.stores import open_application, open_projection

_PROVIDERS = ("health", "social_care", "educational_psychology", "education", "early_years")


def typical_case(events: int = 20, start: date = date(2025, 2, 3)) -> list[Fact]:
    """A busy but ordinary case: advice from every provider, an exception, corrections."""
    day = start.__add__
    payloads: list[dict] = [
        {"type": "request_received", "on": start, "requester": "parent", "id": "r"},
        {"type": "decision_to_assess", "on": day(timedelta(35)), "outcome": "assess", "id": "d"},
    ]
    for n, provider in enumerate(_PROVIDERS):
        payloads.append({"type": "advice_requested", "on": day(timedelta(36 + n)),
                         "provider": provider, "setting": "Oak Primary"})
    for n, provider in enumerate(_PROVIDERS):
        payloads.append({"type": "advice_received", "on": day(timedelta(70 + 5 * n)),
                         "provider": provider})
    payloads.append({"type": "exception_recorded", "on": day(timedelta(80)),
                     "reason": "personal_circumstances", "from": day(timedelta(75)),
                     "to": day(timedelta(90)), "attested_by": "Team manager"})
    payloads.append({"type": "draft_plan_issued", "on": day(timedelta(110)), "id": "s"})
    payloads.append({"type": "final_plan_issued", "on": day(timedelta(128))})
    fillers = max(0, events - len(payloads))
    for n in range(fillers):
        payloads.append({"type": "correction", "on": day(timedelta(129 + n)), "corrects": "d",
                         "set": {"on": day(timedelta(34 - n % 3))}, "reason": "typo"})
    return [build_fact(p) for p in payloads[:events]]


def plan_history_case(years: int = 6) -> list[Fact]:
    """A plan's six years after a 20-week assessment: yearly reviews (every other one amending
    the plan), a phase transfer, a reassessment with its own round (about 40 events)."""
    facts = typical_case(15)  # the assessment to its final plan, Wed 11 Jun 2025
    anchor = facts[-1].on
    payloads: list[dict] = []
    for year in range(years):
        meeting = anchor + timedelta(days=330)
        decided = meeting + timedelta(days=25 + 4 * (year % 3))
        outcome = "amend" if year % 2 else "maintain"
        payloads += [{"type": "review_meeting_held", "on": meeting},
                     {"type": "review_decision_notified", "on": decided, "outcome": outcome}]
        if outcome == "amend":
            payloads.append({"type": "amended_plan_issued", "on": decided + timedelta(days=45)})
        if year == 2:
            payloads += [
                {"type": "phase_transfer_expected", "on": decided + timedelta(days=60),
                 "transfer": "school", "transfer_on": date(decided.year + 1, 9, 1)},
                {"type": "amendment_proposed", "on": date(decided.year + 1, 1, 6)},
                {"type": "amended_plan_issued", "on": date(decided.year + 1, 2, 9),
                 "names_next_setting": True}]
        if year == 4:
            asked = decided + timedelta(days=90)
            payloads += [
                {"type": "reassessment_requested", "on": asked, "requester": "parent"},
                {"type": "reassessment_decision", "on": asked + timedelta(days=12),
                 "outcome": "reassess"},
                {"type": "advice_requested", "on": asked + timedelta(days=14),
                 "provider": "educational_psychology"},
                {"type": "advice_received", "on": asked + timedelta(days=50),
                 "provider": "educational_psychology"},
                {"type": "draft_plan_issued", "on": asked + timedelta(days=80)},
                {"type": "final_plan_issued", "on": asked + timedelta(days=100)}]
            decided = asked + timedelta(days=100)
        anchor = decided
    return facts + [build_fact(p) for p in sorted(payloads, key=lambda p: p["on"])]


def _time_evaluations(case: list[Fact], as_of: date, repeat: int) -> list[int]:
    evaluate(case, as_of)  # warm up
    samples = []
    for _ in range(repeat):
        started = time.perf_counter_ns()
        evaluate(case, as_of)
        samples.append(time.perf_counter_ns() - started)
    samples.sort()
    return samples


def bench_evaluate(events: int = 20, repeat: int = 20000) -> dict[str, str]:
    """The engine over a busy 20-week case and, separately, over a plan's six years."""
    case = typical_case(events)
    samples = _time_evaluations(case, case[0].on + timedelta(days=200), repeat)
    plan = plan_history_case()
    plan_samples = _time_evaluations(plan, plan[-1].on + timedelta(days=30),
                                     max(1, repeat // 4))
    return {
        "events": str(len(case)),
        "evaluations": str(repeat),
        "evaluate_mean_us": f"{statistics.fmean(samples) / 1000:.1f}",
        "evaluate_p50_us": f"{samples[len(samples) // 2] / 1000:.1f}",
        "evaluate_p95_us": f"{samples[int(len(samples) * 0.95)] / 1000:.1f}",
        "evaluate_p99_us": f"{samples[int(len(samples) * 0.99)] / 1000:.1f}",
        "evaluations_per_s": f"{1e9 / statistics.fmean(samples):.0f}",
        "plan_history_events": str(len(plan)),
        "plan_history_evaluate_mean_us": f"{statistics.fmean(plan_samples) / 1000:.1f}",
        "plan_history_evaluate_p95_us":
            f"{plan_samples[int(len(plan_samples) * 0.95)] / 1000:.1f}",
    }


def bench_rebuild(
    cases: int, workers: int, folder: Path, seed: int = 1, profile: bool = False
) -> dict[str, str]:
    """Generate (or reuse) `cases` synthetic cases in a SQLite file, then time a raw SELECT
    of every stored event and a full rebuild of every projection, in the same run. With
    `profile`, the rebuild's CPU per event split by step as well."""
    settings = StoreSettings(data_dir=folder / f"bench-{cases}-seed-{seed}")
    # 20-week cases only, as every earlier run measured, so figures compare across commits.
    config = GeneratorSettings(cases=cases, seed=seed, plan_years=False)
    marker = settings.data_dir / "generated"
    application = open_application(settings)
    started = time.perf_counter()
    if not marker.exists():
        save_in_batches(application.save, generate_cases(config))
        marker.write_text(str(cases))
    generated_s = time.perf_counter() - started
    projection = open_projection(settings, application, today=lambda: config.today,
                                 workers=workers)
    started = time.perf_counter()
    events = projection.source.count_raw()
    raw_s = time.perf_counter() - started
    started, cpu_before = time.perf_counter(), _cpu_seconds()
    projection.rebuild()
    rebuild_s = time.perf_counter() - started
    rebuild_cpu_s = _cpu_seconds() - cpu_before
    split = _cpu_split(projection.last_profile, rebuild_cpu_s, events)
    index_s = _index_build_seconds(projection.store)
    started = time.perf_counter()
    kpi_table(projection.store, parse_period(str(config.today.year - 1)))
    kpi_s = time.perf_counter() - started
    record_ms = _record_latencies(application, config.today)
    return {
        "cases": str(cases),
        "events": str(events),
        "workers": str(workers),
        "generate_s": f"{generated_s:.1f}",
        "raw_select_s": f"{raw_s:.2f}",
        "raw_select_rows_per_s": f"{events / raw_s:.0f}",
        "rebuild_s": f"{rebuild_s:.2f}",
        "rebuild_events_per_s": f"{events / rebuild_s:.0f}",
        "ratio_to_raw_select": f"{raw_s / rebuild_s:.3f}",
        "rebuild_cpu_us_per_event": f"{rebuild_cpu_s / events * 1e6:.1f}",
        "engine_cpu_us_per_event": f"{split['evaluate']:.1f}",
        "outside_engine_cpu_us_per_event":
            f"{rebuild_cpu_s / events * 1e6 - split['evaluate']:.1f}",
        **({f"cpu_us_per_event_{step}": f"{us:.2f}" for step, us in split.items()}
           if profile else {}),
        "index_build_s": f"{index_s:.2f}",
        "kpi_year_s": f"{kpi_s:.2f}",
        "record_event_p50_ms": f"{statistics.median(record_ms):.2f}",
        "record_event_p95_ms": f"{record_ms[int(len(record_ms) * 0.95)]:.2f}",
        "peak_rss_mb": f"{_peak_rss_mb():.0f}",
    }


def _record_latencies(application: EhcApplication, today: date, count: int = 300) -> list[float]:
    """Milliseconds to record one event through the application (load, check, save)."""
    timings = []
    stamp = time.time_ns()
    for number in range(count // 3):
        case_ref = f"BENCH-{stamp}-{number}"
        application.open_case(case_ref)
        for payload in (
            {"type": "request_received", "on": today - timedelta(days=60), "requester": "parent"},
            {"type": "decision_to_assess", "on": today - timedelta(days=30), "outcome": "assess"},
            {"type": "advice_requested", "on": today - timedelta(days=29), "provider": "health"},
        ):
            started = time.perf_counter()
            application.record(case_ref, payload, "benchmark", today=today)
            timings.append((time.perf_counter() - started) * 1000)
    return sorted(timings)


def _cpu_split(spent: dict[str, int], cpu_s: float, events: int) -> dict[str, float]:
    """CPU µs per event by step (projections.profile), and the rest: what no step covers
    (the workers' starts and ends, their connections, the tasks passed to them)."""
    split = {step: spent.get(step, 0) / 1000 / max(1, events) for step in STEPS}
    split["rest"] = cpu_s * 1e6 / max(1, events) - sum(split.values())
    return split


def _cpu_seconds() -> float:
    """User + system CPU of this process and its finished children (the rebuild's workers)."""
    return sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))


def _index_build_seconds(store: ReadStore) -> float:
    """The rebuild's last step on its own: the read store's indexes, dropped and built again
    (one writer, so it runs on one core while the other waits)."""
    with store.transaction() as cursor:
        store.drop_indexes(cursor)
    started = time.perf_counter()
    with store.transaction() as cursor:
        store.create_indexes(cursor)
    return time.perf_counter() - started


def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def bench_refresh(cases: int, folder: Path, seed: int = 1) -> dict[str, str]:
    """The daily refresh over a demo-like authority (requests over three years, half as many
    plans already in place, every plan's years after issue): the first catch-up of a new day
    re-evaluates every case whose statuses can still move, plans in force included."""
    settings = StoreSettings(data_dir=folder / f"bench-refresh-{cases}-seed-{seed}")
    config = GeneratorSettings(cases=cases, seed=seed, plans_in_place=cases // 2)
    application = open_application(settings)
    marker = settings.data_dir / "generated"
    if not marker.exists():
        save_in_batches(application.save, generate_cases(config))
        marker.write_text(str(cases))
    day = [config.today]
    projection = open_projection(settings, application, today=lambda: day[0])
    projection.rebuild()
    in_force = projection.store.scalar(
        "SELECT COUNT(DISTINCT case_ref) FROM ehc_deadline_fact WHERE kind = 'review' "
        "AND status IN ('pending', 'overdue')")
    day[0] = config.today + timedelta(days=1)
    started, cpu_before = time.perf_counter(), _cpu_seconds()
    refreshed = projection.refresh()
    elapsed = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_before
    projection.close()
    return {
        "cases": str(cases + config.plans_in_place),
        "plans_in_force": str(in_force),
        "cases_refreshed": str(refreshed),
        "refresh_s": f"{elapsed:.2f}",
        "refresh_cpu_ms_per_case": f"{1000 * cpu / max(1, refreshed):.2f}",
    }
