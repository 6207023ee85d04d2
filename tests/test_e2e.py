"""End to end: the real server process (`ehc serve`, uvicorn) driven over HTTP from a request
to a final plan, with tokens made by `ehc tokens add`."""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta

import httpx
import pytest

from service.application import today_in_england
from service.local_server import EHC, LocalServer


@pytest.fixture
def server(store_settings):
    environment = {**os.environ, "EHC_STORE": store_settings.backend,
                   "EHC_DATA_DIR": str(store_settings.data_dir)}

    def token(role: str, name: str, team: str | None = None) -> str:
        command = [EHC, "tokens", "add", "--role", role, "--name", name]
        command += ["--team", team] if team else []
        return subprocess.run(command, env=environment, check=True, capture_output=True,
                              text=True).stdout.strip()

    tokens = {"caseworker": token("caseworker", "Amina Shah", "North"),
              "manager": token("manager", "Head of SEN")}
    log_path = store_settings.data_dir / "server.log"
    with log_path.open("w") as log:
        server = LocalServer(environment, log=log).start()
        yield server.base, tokens, log_path
        server.stop()


def test_a_case_from_request_to_final_plan_over_http(server):
    base, tokens, log_path = server
    today = today_in_england()
    received = today - timedelta(days=130)
    caseworker = httpx.Client(base_url=base, headers={
        "Authorization": f"Bearer {tokens['caseworker']}"})
    assert caseworker.post("/cases", json={"case_ref": "E2E-1"}).status_code == 201
    steps = [
        {"type": "request_received", "on": received, "requester": "school"},
        {"type": "decision_to_assess", "on": received + timedelta(40), "outcome": "assess"},
        {"type": "advice_requested", "on": received + timedelta(41), "provider": "health"},
        {"type": "advice_received", "on": received + timedelta(80), "provider": "health"},
        {"type": "draft_plan_issued", "on": received + timedelta(100)},
        {"type": "final_plan_issued", "on": received + timedelta(125)},
    ]
    version = 1
    for step in steps:
        body = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in step.items()}
        response = caseworker.post("/cases/E2E-1/events", json=body,
                                   headers={"If-Match": f'"{version}"'})
        assert response.status_code == 201, response.text
        version = response.json()["version"]
    timeline = caseworker.get("/cases/E2E-1/timeline").json()
    statuses = {d["key"]: d["status"] for d in timeline["deadlines"]}
    assert statuses == {"decision_to_assess": "met", "advice.health": "met",
                        "not_to_issue_notice": "not_applicable", "final_plan": "met",
                        "review.1": "pending"}  # the plan is in force: its first review
    assert (timeline["status"], timeline["breach_reasons"]) == ("plan_issued", [])
    assert timeline["next_review_due"] is not None
    manager = httpx.Client(base_url=base, headers={
        "Authorization": f"Bearer {tokens['manager']}"})
    issued = received + timedelta(125)
    kpis = manager.get("/kpis", params={"period": str(issued.year)}).json()
    plans = next(k for k in kpis["kpis"] if k["measure"] == "final_plans_within_20_weeks")
    assert plans["including_exceptions"]["within"] >= 1
    refused = caseworker.post("/cases/E2E-1/events", json={
        "type": "final_plan_issued", "on": today.isoformat()})
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    server_log = log_path.read_text()
    assert "/cases/{case_ref}/events" in server_log
    assert "E2E-1" not in server_log  # no child identifier in the logs
