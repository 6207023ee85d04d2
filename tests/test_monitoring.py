"""Plan monitoring: RAG by hand, plan-file errors with lines, the board pack end to end."""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from browser import chromium_page, screenshot
from test_queries import TODAY, authority  # noqa: F401 - the hand-checked authority fixture

from calendars.periods import parse_period
from domain.action_plan import (
    RagThresholds,
    Target,
    direction_of_travel,
    rag,
)
from projections.monitoring import monitor
from scenarios.generator import GeneratorSettings, generate_cases, save_in_batches
from service.board_pack import write_board_pack
from service.plan_files import InvalidPlan, load_plan
from service.settings import StoreSettings
from service.stores import open_application, open_projection

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "action-plan.yaml"


class TestRag:
    at_least_50 = Target(value=50, direction="at_least")

    @pytest.mark.parametrize(("actual", "rating"), [
        (50.0, "green"), (62.5, "green"), (45.0, "amber"), (49.9, "amber"), (44.9, "red"),
        (None, "grey"),
    ])
    def test_at_least_with_a_five_point_amber_margin(self, actual, rating):
        assert rag(actual, self.at_least_50, RagThresholds(amber_within=5))[0] == rating

    def test_at_most(self):
        ceiling = Target(value=10, direction="at_most")
        assert rag(10.0, ceiling, RagThresholds())[0] == "green"
        assert rag(15.0, ceiling, RagThresholds())[0] == "amber"
        assert rag(15.1, ceiling, RagThresholds())[0] == "red"

    def test_the_reason_says_why(self):
        assert rag(45.0, self.at_least_50, RagThresholds())[1] == (
            "45.0% against a target of at least 50%: 5.0 points short, within the amber "
            "margin of 5")

    def test_direction_of_travel(self):
        assert direction_of_travel(40, 45, self.at_least_50) == "improving"
        assert direction_of_travel(45, 40, self.at_least_50) == "worsening"
        assert direction_of_travel(45, 45.5, self.at_least_50) == "steady"
        assert direction_of_travel(None, 45, self.at_least_50) == "unknown"


def write_plan(tmp_path: Path, indicators: str) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(f"""\
title: Test plan
owner: Board
reporting: quarterly
starts: 2025-01-01
outcomes:
  - id: "1"
    title: Timely assessments
    objectives:
      - id: "1.1"
        title: Plans within 20 weeks
        lead: Head of SEN
        indicators:
{indicators}
""")
    return path


def test_plan_file_errors_name_their_line(tmp_path):
    path = write_plan(tmp_path, """\
          - id: a
            title: A
            measure: final_plans_within_20_weeks
            target: {value: 50, directon: at_least}
""")
    with pytest.raises(InvalidPlan) as raised:
        load_plan(path)
    assert f"{path}:16: outcomes.0.objectives.0.indicators.0.target.directon" in str(
        raised.value)
    assert "directon" in str(raised.value)
    bad_measure = write_plan(tmp_path, """\
          - id: a
            title: A
            measure: plans_on_time
            target: {value: 50}
""")
    with pytest.raises(InvalidPlan, match="unknown measure 'plans_on_time'"):
        load_plan(bad_measure)


def test_the_example_plan_is_valid():
    plan = load_plan(EXAMPLE)
    assert len(plan.indicators()) == 6
    assert any(i.filters.cohort == "requested" for i in plan.indicators())


def test_hand_checked_indicators(authority, tmp_path):  # noqa: F811
    _, _, store = authority
    plan = load_plan(write_plan(tmp_path, """\
          - id: excluding
            title: New plans within 20 weeks, 2025, excluding exceptions
            measure: final_plans_within_20_weeks
            target: {value: 50}
            period: "2025"
          - id: including-on-target
            title: The same including exceptions, target 50
            measure: final_plans_within_20_weeks
            exceptions: including
            target: {value: 50}
            period: "2025"
          - id: including-on-amber-edge
            title: The same including exceptions, target 55, amber within 5
            measure: final_plans_within_20_weeks
            exceptions: including
            target: {value: 55}
            rag: {amber_within: 5}
            period: "2025"
          - id: started-2024-25
            title: Assessments started in 2024/25 completed on time
            measure: final_plans_within_20_weeks
            filters: {cohort: requested}
            target: {value: 50}
            period: "2024/25"
          - id: started-2023-24
            title: Assessments started in 2023/24 completed on time (including exceptions)
            measure: final_plans_within_20_weeks
            filters: {cohort: requested}
            exceptions: including
            target: {value: 50}
            period: "2023/24"
"""))
    status = {s.indicator.id: s for s in monitor(plan, store, parse_period("2025-Q2"),
                                                 TODAY, board=False).indicators}
    # 2025: D issued within 20 weeks; E late but excepted (personal circumstances).
    assert (status["excluding"].actual.within, status["excluding"].actual.total) == (1, 1)
    assert status["including-on-target"].actual.percent == 50.0
    # Groups under 5 get no RAG and no direction of travel; managers still see the counts.
    for indicator in status.values():
        assert indicator.rating == "not_rated"
        assert indicator.reason.startswith("not rated: fewer than 5 cases (")
        assert indicator.travel in ("not rated", "unknown")
    assert status["including-on-target"].reason == "not rated: fewer than 5 cases (1 of 2)"
    # Requested 1 Sep 2024-31 Aug 2025 and completed: D only (E was requested in June 2024).
    started = status["started-2024-25"]
    assert (started.actual.within, started.actual.total) == (1, 1)
    assert "fewer than 5 cases: no rate, direction of travel or RAG" in started.notes
    assert started.running  # 2024/25 runs to 31 August 2025
    earlier = status["started-2023-24"]
    assert (earlier.actual.within, earlier.actual.total) == (0, 1)
    assert [r.period for r in status["excluding"].trend] == ["2025-Q1", "2025-Q2"]
    board = {s.indicator.id: s for s in monitor(plan, store, parse_period("2025-Q2"),
                                                TODAY).indicators}
    on_target = board["including-on-target"]
    assert on_target.actual.shown() == "fewer than 5 cases"
    assert on_target.actual.shown_percent is None and on_target.rating == "not_rated"
    assert on_target.reason == "not rated: fewer than 5 cases"  # no "(1 of 2)" for the board


@pytest.fixture(scope="module")
def demo_pack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pack")
    settings = StoreSettings(data_dir=folder / "data")
    today = date(2026, 11, 23)
    application = open_application(settings)
    save_in_batches(application.save, generate_cases(GeneratorSettings(800, 4, today)))
    projection = open_projection(settings, application, today=lambda: today)
    projection.rebuild()
    paths = write_board_pack(load_plan(EXAMPLE), projection.store, parse_period("2026-Q3"),
                             today, folder / "pack")
    return folder / "pack", paths


def test_the_board_pack_has_html_excel_and_csv_with_aggregates_only(demo_pack):
    folder, paths = demo_pack
    names = sorted(p.name for p in paths)
    assert names == sorted(["board-pack.html", "board-pack.xlsx", "indicators.csv", "trend.csv",
                            "bands.csv", "advice_by_provider.csv", "forecast.csv",
                            "milestones.csv"])
    workbook = openpyxl.load_workbook(folder / "board-pack.xlsx")
    assert workbook.sheetnames == ["indicators", "trend", "bands", "advice_by_provider",
                                   "forecast", "milestones"]
    for path in paths:
        if path.suffix in (".html", ".csv"):
            assert "LA-4-" not in path.read_text(), path  # no case reference anywhere


def test_the_board_pack_opens_in_chromium_with_charts(demo_pack):
    folder, _ = demo_pack
    with chromium_page() as page:
        page.goto((folder / "board-pack.html").as_uri())
        assert page.problems == []
        assert page.locator("h1").inner_text().startswith("SEND Local Area Action Plan")
        charts = page.locator("svg.chart")
        assert charts.count() == 4
        assert page.locator("svg.chart circle.point").count() >= 2  # the trend has points
        widths = page.eval_on_selector_all("svg.chart rect.bar",
                                           "bars => bars.map(b => b.getBBox().width)")
        assert sum(w > 0 for w in widths) >= 5
        assert page.locator(".card .rag").count() == 6
        image = screenshot(page, "board-pack")
    assert image.stat().st_size > 50_000


COUNT_COLUMNS = {"within", "total", "received", "plans", "issued", "issued_within", "projected",
                 "projected_within"}


def test_the_board_pack_shows_no_count_under_five(demo_pack):
    folder, _ = demo_pack
    for path in folder.glob("*.csv"):
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle):
                for column in COUNT_COLUMNS & row.keys():
                    value = row[column]
                    assert not (value.isdigit() and 0 < int(value) < 5), (path.name, row)
                for text in row.values():  # "25.0% (4/16)" would reveal a count of 4
                    assert not re.search(r"\((?:[1-4])/\d+\)", text), (path.name, row)
