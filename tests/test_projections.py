"""Projections on both stores: incremental equals rebuild, resume after kill -9, refresh."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from projections.read_store import ProjectionBusy, Tracking
from scenarios.generator import GeneratorSettings, generate_cases, save_in_batches
from service.api.context import Services
from service.api.problems import Problem
from service.application import today_in_england
from service.stores import open_application, open_projection
from service.tokens import TokenStore

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


# Holes a review found, kept closed: one writer at a time, refresh and the day change.


def test_one_projection_writer_at_a_time_across_processes(store_settings):
    today = date(2026, 11, 23)
    application = populate(store_settings, 30, today)
    rebuilding = open_projection(store_settings, application, today=lambda: today)
    following = open_projection(store_settings, application, today=lambda: today)
    # As a running `ehc rebuild` holds it:
    with rebuilding.store.writer_turn(), pytest.raises(ProjectionBusy):
        following.catch_up(wait=0.2)
    assert following.catch_up(wait=5) > 0  # free again
    rebuilding.close()
    following.close()


def test_the_api_refuses_half_built_figures_while_another_process_rebuilds(store_settings):
    today = date(2026, 11, 23)
    application = populate(store_settings, 20, today)
    other = open_projection(store_settings, application, today=lambda: today)
    other.rebuild()
    services = Services(application, open_projection(store_settings, application,
                                                     today=lambda: today),
                        TokenStore(store_settings.data_dir / "tokens.json"), lambda: today,
                        store_settings)
    with other.store.transaction() as cursor:  # a rebuild started by another process
        other.store.save_tracking(cursor, Tracking(0, 10, today.isoformat()))
    with other.store.writer_turn(), pytest.raises(Problem) as refused:
        services.read_models()
    assert (refused.value.status, refused.value.rule) == (503, "rebuilding")
    other.close()
    services.projection.close()


def test_a_refresh_killed_half_way_is_done_again_in_full(store_settings):
    today = date(2026, 11, 23)
    application = populate(store_settings, 120, today)
    projection = open_projection(store_settings, application, today=lambda: today,
                                 batch_cases=10)
    projection.rebuild()
    tomorrow = today + timedelta(days=1)
    dying = open_projection(store_settings, application, today=lambda: tomorrow, batch_cases=10)
    writes = []

    def write_then_die(*arguments):
        if writes:
            raise KeyboardInterrupt  # killed after the first chunk was committed
        writes.append(True)
        type(dying)._write(dying, *arguments)

    dying._write = write_then_die
    with pytest.raises(KeyboardInterrupt):
        dying.catch_up()
    dying.close()
    resumed = open_projection(store_settings, application, today=lambda: tomorrow)
    resumed.catch_up()
    after_kill = snapshot(resumed)
    resumed.rebuild()
    assert after_kill == snapshot(resumed)
    resumed.close()
    projection.close()


# A closed case (plan issued) whose health advice, excepted, never came: it runs late daily.
CLOSED_WITH_EXCEPTED_ADVICE = (
    {"type": "request_received", "on": "2025-02-03", "requester": "parent"},
    {"type": "decision_to_assess", "on": "2025-03-03", "outcome": "assess"},
    {"type": "advice_requested", "on": "2025-03-04", "provider": "health"},
    {"type": "exception_recorded", "on": "2025-03-20", "reason": "personal_circumstances",
     "from": "2025-03-10", "to": "2025-04-30", "attested_by": "Team manager",
     "applies_to": ["advice.health"]},
    {"type": "draft_plan_issued", "on": "2025-05-30"},
    {"type": "final_plan_issued", "on": "2025-06-20"},
)


def closed_case_with_excepted_advice(store_settings, case_ref: str):
    application = open_application(store_settings)
    application.open_case(case_ref)
    for event in CLOSED_WITH_EXCEPTED_ADVICE:
        application.record(case_ref, event, "amina", today=date(2026, 11, 23))
    return application


def followed_into_a_later_day(store_settings, application, later: date, on_the_day=None):
    """Catch up on 23 Nov 2026, then on `later` (after `on_the_day` runs); returns what was
    followed, checked equal to a full rebuild."""
    day = [date(2026, 11, 23)]
    projection = open_projection(store_settings, application, today=lambda: day[0])
    projection.catch_up()
    day[0] = later
    if on_the_day is not None:
        on_the_day()
    projection.catch_up()
    followed = snapshot(projection)
    projection.rebuild()
    assert followed == snapshot(projection)
    projection.close()
    return followed


def test_an_event_dated_today_is_seen_on_the_first_catch_up_of_the_day(store_settings):
    application = closed_case_with_excepted_advice(store_settings, "RV-2")
    tomorrow = date(2026, 11, 24)
    followed = followed_into_a_later_day(
        store_settings, application, tomorrow, lambda: application.record(
            "RV-2", {"type": "advice_received", "on": "2026-11-24", "provider": "health"},
            "amina", today=tomorrow))
    health = next(r for r in followed["ehc_deadline_fact"] if r[1] == "advice.health")
    assert health[6] == "2026-11-24"  # completed_on: the receipt dated today was read


def test_a_closed_case_with_an_excepted_deadline_still_open_moves_with_the_days(store_settings):
    application = closed_case_with_excepted_advice(store_settings, "RV-1")
    followed = followed_into_a_later_day(store_settings, application, date(2027, 1, 22))
    health = next(r for r in followed["ehc_deadline_fact"] if r[1] == "advice.health")
    assert health[7] == "excepted" and health[8] > 300  # days late kept growing
