"""KPIs read from the stored projection equal the scenario files' expected values: the same
events through the persistent store, the projection and the SQL-narrowed pandas KPIs."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.errors import RuleBroken
from domain.facts import fact_date
from domain.history import effective_facts
from projections.queries import kpi_table
from scenarios.loader import load_scenario
from service.stores import open_application, open_projection

SCENARIOS = sorted(Path(__file__).resolve().parents[1].joinpath("scenarios").glob("*kpi*.yaml"))


def test_there_are_kpi_scenarios():
    assert len(SCENARIOS) >= 5


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_projection_kpis_equal_the_scenario_file(store_settings, path):
    scenario = load_scenario(str(path))
    application = open_application(store_settings, calendar=scenario.calendar)
    for case in scenario.cases:
        application.open_case(case.name)
        for event in case.events:
            try:
                application.record(case.name, event.payload, "scenario")
            except RuleBroken:
                assert event.expect_error
    latest = max(fact_date(f)
                 for c in scenario.cases for f in effective_facts(application.facts(c.name)))
    checked = 0
    for check in scenario.kpis:
        day = check.as_of or latest
        projection = open_projection(store_settings, application, today=lambda d=day: d)
        projection.rebuild()
        [result] = kpi_table(projection.store, check.period, (check.measure,), check.cohort,
                             check.provider, disputes=check.disputes)
        for key, expected in check.expect.items():
            assert str(getattr(result, key)) == expected, (check.index, key)
            checked += 1
    assert checked > 0
