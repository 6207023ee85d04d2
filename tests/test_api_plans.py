"""Part 2 through the HTTP API and the read models, on both stores: a plan's life after issue
and a disagreement, recorded, refused, corrected, replayed, counted and forecast."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from test_api import is_problem

from calendars.periods import parse_period
from projections.queries import breach_forecast, kpi_table
from service.api.app import create_app
from service.stores import open_application, open_projection
from service.tokens import TokenStore

TODAY = date(2026, 3, 2)


@pytest.fixture
def api(store_settings, tmp_path):
    tokens = TokenStore(tmp_path / "tokens.json")
    headers = {
        "caseworker": {"Authorization": f"Bearer {tokens.add('caseworker', 'Amina', 'North')}"},
        "manager": {"Authorization": f"Bearer {tokens.add('manager', 'Head of SEN', None)}"},
        "board": {"Authorization": f"Bearer {tokens.add('board', 'Board', None)}"},
    }
    today = [TODAY]
    app = create_app(store_settings, tmp_path / "tokens.json", lambda: today[0])
    client = TestClient(app, raise_server_exceptions=False)
    client.today = today  # type: ignore[attr-defined]  # tests move the server's day on
    return client, headers, store_settings


def record(client, headers, ref, *events):
    for event in events:
        response = client.post(f"/cases/{ref}/events", json=event, headers=headers)
        assert response.status_code == 201, response.text


TRANSFERRED = [  # the contract's example TI: moved in from Somerset, a school transfer
    {"type": "plan_in_place", "on": "2023-06-12", "last_reviewed": "2024-11-15",
     "transferred_in": {"from": "Somerset", "on": "2025-09-10"}, "id": "p"},
    {"type": "phase_transfer_expected", "on": "2025-09-15", "transfer": "school",
     "transfer_on": "2026-09-01"},
    {"type": "review_meeting_held", "on": "2025-11-17"},
    {"type": "review_decision_notified", "on": "2025-12-05", "outcome": "maintain", "id": "rd"},
    {"type": "amendment_proposed", "on": "2026-01-05"},
    {"type": "amended_plan_issued", "on": "2026-02-15", "names_next_setting": True},
]


def test_a_plans_life_is_recorded_and_read_back(api):
    client, headers, _ = api
    client.post("/cases", json={"case_ref": "TI-1"}, headers=headers["caseworker"])
    record(client, headers["caseworker"], "TI-1", *TRANSFERRED)
    body = client.get("/cases/TI-1/timeline", headers=headers["caseworker"]).json()
    deadlines = {d["key"]: d for d in body["deadlines"]}
    assert (deadlines["review.1"]["due"], deadlines["review.1"]["status"]) == ("2025-12-09", "met")
    assert deadlines["phase_transfer"]["days_late"] == 1
    assert deadlines["phase_transfer"]["completed_by"] == "amended_plan_issued"
    assert body["flags"] == ["phase_transfer_on_deadline_day:phase_transfer"]
    assert (body["plan_status"], body["next_review_due"]) == ("in_force", "2026-12-04")
    assert body["plan"]["transferred_in_from"] == "Somerset"
    assert body["request_received"] is None and body["earliest_final"] is None


def test_a_refused_plan_event_is_422_naming_its_rule_and_stores_nothing(api):
    client, headers, _ = api
    client.post("/cases", json={"case_ref": "TI-2"}, headers=headers["caseworker"])
    record(client, headers["caseworker"], "TI-2", TRANSFERRED[0])
    before = client.get("/cases/TI-2/history", headers=headers["caseworker"]).json()
    response = client.post("/cases/TI-2/events", json={
        "type": "review_decision_notified", "on": "2025-12-05", "outcome": "maintain"},
        headers=headers["caseworker"])
    body = is_problem(response, 422, "out_of_order")
    assert "record the meeting first (reg 20)" in body["detail"]
    is_problem(client.post("/cases/TI-2/events", json={
        "type": "plan_ceased", "on": "2025-12-05", "reason": "bored"},
        headers=headers["caseworker"]), 422, "invalid_value")
    after = client.get("/cases/TI-2/history", headers=headers["caseworker"]).json()
    assert after["version"] == before["version"]


def test_a_correction_of_a_review_decision_replays_as_known(api):
    client, headers, _ = api
    client.post("/cases", json={"case_ref": "TI-3"}, headers=headers["caseworker"])
    record(client, headers["caseworker"], "TI-3", *TRANSFERRED[:4])
    client.today[0] = date(2026, 3, 9)  # the correction is made a week later
    response = client.post("/cases/TI-3/corrections", json={
        "corrects": "rd", "set": {"on": "2025-12-16"}, "reason": "notice sent later"},
        headers=headers["caseworker"])
    assert response.status_code == 201, response.text
    now = client.get("/cases/TI-3/timeline", headers=headers["caseworker"]).json()
    then = client.get("/cases/TI-3/timeline?known_at=2026-03-08",
                      headers=headers["caseworker"]).json()
    status = {t: {d["key"]: d["status"] for d in b["deadlines"]}
              for t, b in (("now", now), ("then", then))}
    assert status["now"]["review.1"] == "late"  # 16 Dec > Tue 9 Dec
    assert status["then"]["review.1"] == "met"  # the correction was made on 9 March 2026


def test_an_order_after_a_refusal_opens_the_case_and_counts_in_the_read_models(api):
    client, headers, settings = api
    client.post("/cases", json={"case_ref": "AP-1"}, headers=headers["caseworker"])
    record(client, headers["caseworker"], "AP-1",
           {"type": "request_received", "on": "2025-06-02", "requester": "parent"},
           {"type": "decision_to_assess", "on": "2025-07-14", "outcome": "refuse"},
           {"type": "appeal_registered", "on": "2025-09-01", "about": "request"},
           {"type": "tribunal_order", "on": "2026-01-09", "order": "assess"})
    is_problem(client.post("/cases/AP-1/events", json={
        "type": "tribunal_order", "on": "2026-01-10", "order": "assess"},
        headers=headers["caseworker"]), 422, "out_of_order")
    body = client.get("/cases/AP-1/timeline", headers=headers["caseworker"]).json()
    deadlines = {d["key"]: d for d in body["deadlines"]}
    assert body["status"] == "open"
    assert (deadlines["order.decision"]["due"], deadlines["order.decision"]["status"]) == (
        "2026-01-23", "overdue")  # Fri 9 Jan + 14
    assert body["disputes"][0]["answer"] == "assess"
    projection = open_projection(settings, open_application(settings), today=lambda: TODAY)
    projection.rebuild()
    forecast = breach_forecast(projection.store, TODAY)
    assert forecast["orders_certain_late"] == ["AP-1"]
    board = client.get("/forecast", headers=headers["board"]).json()
    assert "AP-1" not in str(board)


def test_read_models_follow_plans_from_day_to_day_and_count_the_new_measures(store_settings):
    application = open_application(store_settings)
    application.open_case("TI-9", team="North")
    for event in TRANSFERRED[:2]:
        application.record("TI-9", event, "test", today=TODAY)
    day = [date(2025, 12, 9)]
    projection = open_projection(store_settings, application, today=lambda: day[0])
    projection.rebuild()
    next_due = projection.store.scalar(
        "SELECT next_due FROM ehc_case_summary WHERE case_ref = 'TI-9'")
    assert next_due == "2025-12-09"  # review.1 is the next thing due
    day[0] = date(2025, 12, 10)  # a new day: the review becomes overdue without any event
    projection.catch_up()
    assert projection.store.scalar(
        "SELECT status FROM ehc_deadline_fact WHERE case_ref = 'TI-9' AND key = 'review.1'"
    ) == "overdue"
    assert breach_forecast(projection.store, day[0])["reviews_certain_late"] == ["TI-9"]
    for event in TRANSFERRED[2:]:
        application.record("TI-9", event, "test", today=TODAY)
    day[0] = TODAY
    projection.catch_up()
    [reviews, transfers] = kpi_table(projection.store, parse_period("2026"),
                                     ("reviews_on_time", "phase_transfers_on_time"))
    assert (str(reviews.including_exceptions), str(transfers.including_exceptions)) == (
        "0/0", "0/1")
    [decided] = kpi_table(projection.store, parse_period("2025"), ("reviews_on_time",))
    assert str(decided.including_exceptions) == "1/1"  # decided Fri 5 Dec, due Tue 9 Dec
