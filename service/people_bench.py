"""Benchmarks for people and the SEN2 export: commands that print their figures."""

from __future__ import annotations

import random
import resource
import statistics
import time
from pathlib import Path

from scenarios.generator import GeneratorSettings, generate_cases, save_in_batches
from scenarios.people import child_details
from service.people import People, add_demo_people
from service.reports import export_sen2
from service.settings import StoreSettings
from service.stores import open_application, open_source
from service.tokens import Principal


def _authority(cases: int, folder: Path, seed: int = 1) -> tuple[StoreSettings, float]:
    """A synthetic authority of `cases` cases and their children in a SQLite folder, made
    once and reused; returns its settings and the seconds spent making it now."""
    settings = StoreSettings(data_dir=folder / f"bench-people-{cases}-seed-{seed}")
    marker = settings.data_dir / "generated"
    started = time.perf_counter()
    if not marker.exists():
        config = GeneratorSettings(cases=cases, seed=seed)
        application = open_application(settings)
        save_in_batches(application.save, generate_cases(config))
        add_demo_people(settings, application, config)
        marker.write_text(str(cases))
    return settings, time.perf_counter() - started


def _cpu_seconds() -> float:
    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                        resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def bench_sen2(cases: int, year: int, workers: int, folder: Path) -> dict[str, str]:
    """Time `ehc export sen2` (all five modules, module 1 decrypted and audited)."""
    settings, generated_s = _authority(cases, folder)
    application = open_application(settings)
    out = settings.data_dir / f"sen2-{year}"
    started, cpu = time.perf_counter(), _cpu_seconds()
    export_sen2(open_source(settings), application, year, out, None, workers=workers)
    elapsed, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    counts = {path.stem: sum(1 for _ in path.open()) - 1 for path in out.glob("module*.csv")}
    return {"cases": str(cases), "year": str(year), "workers": str(workers),
            "generate_s": f"{generated_s:.1f}", "export_s": f"{elapsed:.1f}",
            "export_cpu_s": f"{cpu:.1f}", "cases_per_s": f"{cases / elapsed:.0f}",
            **{name: str(rows) for name, rows in sorted(counts.items())}}


def bench_search(cases: int, searches: int, folder: Path) -> dict[str, str]:
    """Time person search by surname, forename, date of birth, local id and case reference
    at `cases` cases (a child each, some with two), as a manager (who sees every hit)."""
    settings, generated_s = _authority(cases, folder)
    people = People(settings, open_application(settings))
    config = GeneratorSettings(cases=cases)
    rng = random.Random(7)
    manager = Principal("manager", "Benchmark")
    timings: dict[str, list[float]] = {kind: [] for kind in (
        "surname_forename", "date_of_birth", "local_id", "case_ref")}
    hits = 0
    for _ in range(searches):
        number = rng.randrange(cases)
        child = child_details(config, number)
        queries = {"surname_forename": f"{child.forename} {child.surname}",
                   "date_of_birth": child.date_of_birth.strftime("%d/%m/%Y"),
                   "local_id": child.local_id or "",
                   "case_ref": f"{config.prefix}-{config.seed}-{number:07d}"}
        for kind, query in queries.items():
            started = time.perf_counter()
            hits += len(people.search(manager, query))
            timings[kind].append((time.perf_counter() - started) * 1000)
    people.close()
    figures = {"cases": str(cases), "searches": str(searches * len(timings)),
               "hits": str(hits), "generate_s": f"{generated_s:.1f}"}
    for kind, values in timings.items():
        values.sort()
        figures[f"{kind}_p50_ms"] = f"{statistics.median(values):.1f}"
        figures[f"{kind}_p95_ms"] = f"{values[int(len(values) * 0.95)]:.1f}"
    return figures
