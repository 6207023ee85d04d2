"""A killed import (kill -9) leaves whole cases or nothing of them; running it again
completes it, with nothing imported twice. And the events import on PostgreSQL."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from conftest import reset_postgres

from service.imports.bench import write_extract
from service.imports.run import import_events
from service.people import People
from service.settings import StoreSettings
from service.stores import open_application

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "import-template.csv"
ROOT = Path(__file__).resolve().parents[1]


def _stored(events: Path) -> int:
    if not events.exists():
        return 0
    with sqlite3.connect(events) as connection:
        try:
            return connection.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def test_an_import_killed_midway_completes_when_run_again(tmp_path):
    extract = tmp_path / "extract.csv"
    rows = write_extract(extract, 8000)  # 1,000 cases of 8 rows
    cases = rows // 8
    data = tmp_path / "data"
    env = {**os.environ, "EHC_STORE": "sqlite", "EHC_DATA_DIR": str(data)}
    command = [str(Path(sys.executable).parent / "ehc"), "import", "events", str(extract),
               "--report", str(tmp_path / "report.csv"), "--no-progress"]
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    events = data / "events.sqlite"
    deadline = time.monotonic() + 120
    while _stored(events) < 500 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    partial = _stored(events)
    assert 0 < partial < rows + cases, "the import was not killed midway"
    # Whole cases only: every stored case has its opening and all 8 events.
    with sqlite3.connect(events) as connection:
        per_case = connection.execute(
            "SELECT COUNT(*) FROM stored_events GROUP BY originator_id").fetchall()
    assert {count for (count,) in per_case} == {9}

    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert f"{len(per_case) * 8} already present" in done.stdout
    assert _stored(events) == rows + cases  # an opening a case, every row once
    # Every case is linked to its child, each child found by search.
    settings = StoreSettings.from_environment({"EHC_STORE": "sqlite", "EHC_DATA_DIR": str(data)})
    people = People(settings, open_application(settings))
    try:
        linked = {people.store.person_of(f"BENCH-{n:07d}") for n in range(cases)}
        assert None not in linked and len(linked) == cases
        assert people.match(_details(cases - 1)) is not None
    finally:
        people.close()
    again = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True,
                           check=False)
    assert f"{rows} already present" in again.stdout
    assert _stored(events) == rows + cases


def _details(number: int):
    from domain.person import PersonDetails

    return PersonDetails(surname="Child", forename=f"Bench{number}",
                         date_of_birth="2015-05-01")


def test_the_events_import_on_postgresql(tmp_path, monkeypatch):
    from conftest import settings_for

    settings: StoreSettings = settings_for("postgres", tmp_path / "data")
    reset_postgres(settings)
    application = open_application(settings)
    people = People(settings, application)
    try:
        report = import_events(application, [EXAMPLE], "test", people=people)
        again = import_events(application, [EXAMPLE], "test", people=people)
        assert (report.imported, report.rejected) == (14, 0)
        assert (again.imported, again.already_present) == (0, 14)
        assert people.store.person_of("NS-2025-0001") is not None
        assert application.timeline("NS-2025-0001").deadlines["final_plan"].status == "met"
    finally:
        people.close()
