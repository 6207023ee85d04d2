"""`ehc bench import`: a synthetic full extract (the events template) imported into a new
store, with the figures: rows a second, wall and CPU time, peak memory."""

from __future__ import annotations

import csv
import resource
import shutil
import time
from datetime import date, timedelta
from pathlib import Path

from service.imports.run import import_events
from service.settings import StoreSettings
from service.stores import open_application

# One case: a request through to its final plan, with two providers' advice (8 rows).
_CASE = (
    ("request_received", 0, {"requester": "parent"}),
    ("decision_to_assess", 38, {"outcome": "assess"}),
    ("advice_requested", 40, {"provider": "health"}),
    ("advice_requested", 40, {"provider": "education"}),
    ("advice_received", 75, {"provider": "education"}),
    ("advice_received", 84, {"provider": "health"}),
    ("draft_plan_issued", 110, {}),
    ("final_plan_issued", 133, {}),
)
COLUMNS = ("case_ref", "child_local_id", "type", "on", "recorded", "requester", "outcome",
           "provider", "team", "surname", "forename", "date_of_birth")


def write_extract(path: Path, rows: int, start: date = date(2022, 1, 3)) -> int:
    """A template CSV of about `rows` rows (whole cases); returns the rows written."""
    written = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        number = 0
        while written < rows:
            received = start + timedelta(days=number % 1000)
            ref = f"BENCH-{number:07d}"
            for index, (kind, offset, fields) in enumerate(_CASE):
                on = (received + timedelta(days=offset + number % 7)).isoformat()
                person = ("Child", f"Bench{number}", "2015-05-01") if index == 0 else ("",) * 3
                writer.writerow((ref, f"L{number}", kind, on, on, fields.get("requester", ""),
                                 fields.get("outcome", ""), fields.get("provider", ""),
                                 "North", *person))
            written += len(_CASE)
            number += 1
    return written


def bench_import(rows: int, folder: Path, people: bool = False) -> dict[str, str]:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    extract = folder / "extract.csv"
    written = write_extract(extract, rows)
    settings = StoreSettings("sqlite", folder / "store", {}, None)
    application = open_application(settings)
    helper = None
    if people:
        from service.people import People

        helper = People(settings, application)
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    report = import_events(application, [extract], "bench", people=helper, progress=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    if helper is not None:
        helper.close()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "rows": f"{written:,}",
        "imported": f"{report.imported:,} rows in {report.cases_imported:,} cases"
                    + (" (each with its child)" if people else ""),
        "rejected": str(report.rejected),
        "wall": f"{wall:.1f} s",
        "rows/s": f"{written / wall:,.0f}",
        "cpu": f"{cpu:.1f} s",
        "peak RSS": f"{after.ru_maxrss / 1024:.0f} MB",
        "file": f"{extract.stat().st_size / 1048576:.1f} MB",
    }
