"""Projections on both stores: incremental equals rebuild, resume after kill -9, refresh."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from scenarios.generator import GeneratorSettings, generate_cases, save_in_batches
from service.application import today_in_england
from service.stores import open_application, open_projection

READ_TABLES = ("ehc_case_summary", "ehc_deadline_fact")


def populate(settings, cases: int, today: date, seed: int = 5):
    application = open_application(settings)
    save_in_batches(application.save, generate_cases(GeneratorSettings(cases, seed, today)))
    return application


def snapshot(projection) -> dict[str, list[tuple]]:
    return {table: projection.store.table_rows(table) for table in READ_TABLES}


def test_following_the_log_ends_identical_to_a_full_rebuild(store_settings):
    today = date(2026, 11, 23)
    application = populate(store_settings, 120, today)
    projection = open_projection(store_settings, application, today=lambda: today,
                                 batch_events=97)
    assert projection.catch_up() > 0  # incremental, from position 0, in small batches
    followed = snapshot(projection)
    application.open_case("LATE-1")
    application.record("LATE-1", {"type": "request_received", "on": "2026-11-20",
                                  "requester": "school"}, "amina", today=today)
    assert projection.catch_up() == 2
    followed_more = snapshot(projection)
    projection.rebuild()
    assert snapshot(projection) == followed_more
    assert len(followed_more["ehc_case_summary"]) == len(followed["ehc_case_summary"]) + 1


def test_the_two_process_rebuild_equals_the_single_process_one(store_settings):
    today = date(2026, 11, 23)
    application = populate(store_settings, 150, today)
    single = open_projection(store_settings, application, today=lambda: today, batch_cases=40)
    single.rebuild()
    expected = snapshot(single)
    parallel = open_projection(store_settings, application, today=lambda: today,
                               batch_cases=40, workers=2)
    parallel.rebuild()
    assert snapshot(parallel) == expected
    assert len(expected["ehc_case_summary"]) == 150


def test_a_rebuild_killed_mid_way_resumes_and_equals_a_full_rebuild(store_settings):
    today = today_in_england()
    application = populate(store_settings, 1500, today, seed=9)
    environment = {**os.environ, "EHC_STORE": store_settings.backend,
                   "EHC_DATA_DIR": str(store_settings.data_dir)}
    command = [str(Path(sys.executable).with_name("ehc")), "rebuild", "--workers", "1",
               "--batch-cases", "10"]
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    watcher = open_projection(store_settings, application, today=lambda: today)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        tracking = watcher.store.tracking()
        if tracking.rebuild_target and watcher.store.rebuild_cursors():
            break
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    interrupted = watcher.store.tracking()
    assert interrupted.rebuild_target is not None, "the rebuild finished before the kill"
    written = len(watcher.store.table_rows("ehc_case_summary"))
    assert 0 < written < 1500
    watcher.catch_up()  # resumes the interrupted rebuild from its cursor
    assert watcher.store.tracking().rebuild_target is None
    resumed = snapshot(watcher)
    watcher.rebuild()
    assert snapshot(watcher) == resumed
    assert len(resumed["ehc_case_summary"]) == 1500


def test_a_new_day_turns_pending_into_overdue(store_settings):
    application = open_application(store_settings)
    application.open_case("C1")
    application.record("C1", {"type": "request_received", "on": "2025-02-03",
                              "requester": "parent"}, "amina", today=date(2025, 3, 17))
    day = [date(2025, 3, 17)]
    projection = open_projection(store_settings, application, today=lambda: day[0])
    projection.catch_up()
    decision = next(r for r in projection.store.table_rows("ehc_deadline_fact")
                if r[1] == "decision_to_assess")
    assert decision[7] == "pending"
    day[0] += timedelta(days=1)
    projection.catch_up()
    decision = next(r for r in projection.store.table_rows("ehc_deadline_fact")
                if r[1] == "decision_to_assess")
    assert (decision[7], decision[8]) == ("overdue", 1)
