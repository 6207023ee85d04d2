"""`/forecast/what-if` and `/forecast/backtest`: run in the heavy-reads process; managers see
everything, the board counts and rates only (no case), bad input is 422 naming its rule."""

from __future__ import annotations

import json
from datetime import date

import pytest
from conftest import settings_for
from fastapi.testclient import TestClient

from scenarios.generator import GeneratorSettings, generate_cases, save_in_batches
from service.api.app import create_app
from service.stores import open_application, open_projection
from service.tokens import TokenStore

TODAY = date(2026, 5, 20)
ROLES = ("manager", "board", "auditor", "caseworker")


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    folder = tmp_path_factory.mktemp("forecast-api")
    settings = settings_for("sqlite", folder / "data")
    application = open_application(settings)
    config = GeneratorSettings(cases=150, seed=2, today=TODAY, years=2, plan_years=False)
    save_in_batches(application.save, generate_cases(config))
    open_projection(settings, application, today=lambda: TODAY).rebuild()
    tokens = TokenStore(folder / "tokens.json")
    headers = {role: {"Authorization": "Bearer " + tokens.add(
        role, f"A {role}", "North" if role == "caseworker" else None)} for role in ROLES}
    client = TestClient(create_app(settings, folder / "tokens.json", lambda: TODAY),
                        raise_server_exceptions=False)
    return client, headers


WHAT_IF = "/forecast/what-if?period=2026&advice=health=4w&drafts_by_week=14&runs=200"


def test_a_manager_sees_baseline_scenario_and_the_cases_that_move(api):
    client, headers = api
    response = client.get(WHAT_IF, headers=headers["manager"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["period"] == "2026" and body["runs"] == 200
    for name in ("baseline", "scenario"):
        figure = body[name]["percent"]
        assert figure["p10"] <= figure["median"] <= figure["p90"]
    assert body["scenario"]["plans_within"]["median"] >= body["baseline"]["plans_within"][
        "median"]
    for moved in body["moved_to_on_time"]:
        assert moved["case_ref"].startswith("LA-2-") and moved["reasons"]
    assert client.get(WHAT_IF, headers=headers["manager"]).json() == body  # same seed


def test_the_board_sees_counts_and_rates_only(api):
    client, headers = api
    body = client.get(WHAT_IF, headers=headers["board"]).json()
    text = json.dumps(body)
    assert "LA-2-" not in text and "case_ref" not in text and "reasons" not in text
    moved = body["moved_to_on_time"]
    assert moved is None or (isinstance(moved, int) and moved >= 5)
    for count in body["history"].values():
        assert count is None or count == 0 or count >= 5
    backtest = client.get("/forecast/backtest?from=2025-06&runs=20", headers=headers["board"])
    assert backtest.status_code == 200
    for row in backtest.json()["months"]:
        assert row["plans"] is None or row["plans"] == 0 or row["plans"] >= 5


def test_who_may_ask(api):
    client, headers = api
    assert client.get(WHAT_IF, headers=headers["caseworker"]).status_code == 403
    assert client.get(WHAT_IF, headers=headers["auditor"]).status_code == 403
    assert client.get(WHAT_IF).status_code == 401
    back = "/forecast/backtest?from=2025-09&runs=10"
    assert client.get(back, headers=headers["caseworker"]).status_code == 403
    assert client.get(back, headers=headers["auditor"]).status_code == 200


def test_a_manager_sees_the_backtest_table(api):
    client, headers = api
    body = client.get("/forecast/backtest?from=2025-06&runs=20",
                      headers=headers["manager"]).json()
    assert [row["forecast_on"] for row in body["months"]][:3] == [
        "2025-06-01", "2025-07-01", "2025-08-01"]
    assert body["months"][-1]["quarter"] == "2026-Q1"  # Q2 is not over on 20 May 2026
    assert set(body["summary"]) >= {"mean_absolute_error", "bias", "in_range_percent"}


@pytest.mark.parametrize(("query", "rule"), [
    ("period=2026&advice=dentist=4w", "unknown_provider"),
    ("period=2026&advice=health=-4w", "advice_lever_invalid"),
    ("period=2026&drafts_by_week=-2", "weeks_out_of_range"),
    ("period=2026&decisions_by_week=400", "weeks_out_of_range"),
    ("period=2025", "period_closed"),
    ("period=2026-13", "period_invalid"),
    ("period=2026&runs=10001", "runs_out_of_range"),
    ("period=2026&capacity=-10", "capacity_out_of_range"),
    ("period=2026&cohort=everyone", "cohort_invalid"),
])
def test_bad_what_if_input_is_422_with_its_rule(api, query, rule):
    client, headers = api
    response = client.get(f"/forecast/what-if?{query}", headers=headers["manager"])
    assert response.status_code == 422, response.text
    assert response.json()["rule"] == rule


@pytest.mark.parametrize(("query", "rule"), [
    ("from=2025-13", "from_invalid"), ("from=2027-01", "from_in_future"),
    ("from=2025-01&runs=0", "runs_out_of_range"),
])
def test_bad_backtest_input_is_422_with_its_rule(api, query, rule):
    client, headers = api
    response = client.get(f"/forecast/backtest?{query}", headers=headers["manager"])
    assert response.status_code == 422, response.text
    assert response.json()["rule"] == rule


@pytest.mark.parametrize(("query", "rule"), [
    ("period=2026%00", "invalid_request"),
    ("period=2026&advice=health%07=4w", "invalid_request"),
    ("period=2026&seed=-1", "seed_out_of_range"),
    ("period=2026&capacity=nan", "capacity_out_of_range"),
    ("period=2026&runs=" + "9" * 400, "runs_out_of_range"),
])
def test_hostile_what_if_input_is_422_never_a_500(api, query, rule):
    client, headers = api
    response = client.get(f"/forecast/what-if?{query}", headers=headers["manager"])
    assert response.status_code == 422, response.text
    assert response.json()["rule"] == rule
