"""The benchmark commands run end to end on a small store and print every figure the issues
name. Their timings are read by people, never asserted: only counts and consistency are."""

from __future__ import annotations

import os

import pytest

from service.benchmarks import bench_evaluate, bench_rebuild, bench_refresh
from service.load import bench_api, group_cpu_seconds
from service.settings import StoreSettings


def test_bench_rebuild_prints_every_figure(tmp_path):
    figures = bench_rebuild(cases=40, workers=2, folder=tmp_path)
    for name in ("events", "raw_select_rows_per_s", "rebuild_events_per_s",
                 "ratio_to_raw_select", "rebuild_cpu_us_per_event", "index_build_s",
                 "peak_rss_mb", "kpi_year_s", "record_event_p95_ms"):
        assert float(figures[name]) >= 0, name
    assert int(figures["events"]) > 40  # every case has at least its opening and its request
    again = bench_rebuild(cases=40, workers=2, folder=tmp_path, profile=True)  # reuses the store
    assert again["generate_s"] == "0.0"
    assert int(again["events"]) >= int(figures["events"])
    # --profile: the CPU per event split by step, the steps adding up to the whole.
    split = {k: float(v) for k, v in again.items() if k.startswith("cpu_us_per_event_")}
    assert {"cpu_us_per_event_read", "cpu_us_per_event_evaluate", "cpu_us_per_event_write",
            "cpu_us_per_event_index", "cpu_us_per_event_rest"} <= split.keys()
    assert split["cpu_us_per_event_evaluate"] > 0
    assert abs(sum(split.values()) - float(again["rebuild_cpu_us_per_event"])) < 0.2
    assert float(again["engine_cpu_us_per_event"]) + float(
        again["outside_engine_cpu_us_per_event"]) == pytest.approx(
        float(again["rebuild_cpu_us_per_event"]), abs=0.2)
    assert "cpu_us_per_event_read" not in figures  # only when asked for


def test_bench_api_drives_the_real_server_without_errors(tmp_path):
    settings = StoreSettings(data_dir=tmp_path / "data")
    figures = bench_api(clients=3, seconds=2, settings=settings, cases=20)
    assert int(figures["requests"]) > 0
    assert figures["errors"] == "0"
    assert int(figures["record_event_count"]) > 0 and int(figures["read_case_count"]) > 0
    assert float(figures["server_cpu_ms_per_request"]) > 0
    paced = bench_api(clients=2, seconds=2, settings=settings, cases=20, rate=20)
    assert paced["errors"] == "0"
    assert int(paced["requests"]) <= 2 * 20 + 2  # the schedule holds the clients back


def test_group_cpu_counts_this_process_group():
    assert group_cpu_seconds(os.getpgrp()) > 0


def test_bench_refresh_re_evaluates_plans_in_force_on_a_new_day(tmp_path):
    figures = bench_refresh(cases=60, folder=tmp_path)
    assert int(figures["cases"]) == 90  # 60 requests and 30 plans already in place
    assert 30 <= int(figures["plans_in_force"]) <= int(figures["cases_refreshed"]) <= 90
    assert float(figures["refresh_s"]) >= 0


def test_bench_evaluate_times_a_plan_history_apart():
    figures = bench_evaluate(repeat=8)
    assert int(figures["plan_history_events"]) >= 35
    assert float(figures["plan_history_evaluate_mean_us"]) > 0
