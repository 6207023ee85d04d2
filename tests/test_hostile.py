"""Hostile input: schemathesis against the OpenAPI schema with a token for each role (bounded:
about 2,000 generated requests), and free text holding SQL or HTML."""

from __future__ import annotations

import pathlib
import tempfile
from datetime import date

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from service.api.app import create_app
from service.settings import StoreSettings
from service.stores import open_application
from service.tokens import ROLES, TokenStore

TODAY = date(2025, 7, 1)
DATA = pathlib.Path(tempfile.mkdtemp(prefix="ehc-hostile-"))
STORE = StoreSettings(data_dir=DATA)
TOKENS = TokenStore(DATA / "tokens.json")
TOKEN = {role: TOKENS.add(role, f"Fuzz {role}", "North" if role == "caseworker" else None)
         for role in ROLES}
_application = open_application(STORE)
_application.open_case("C1", team="North")
_application.record("C1", {"type": "request_received", "on": "2025-02-03",
                           "requester": "parent"}, "setup", today=TODAY)
APP = create_app(STORE, DATA / "tokens.json", lambda: TODAY)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_5xx_and_every_4xx_is_a_problem(role, case):
    response = case.call(headers={"Authorization": f"Bearer {TOKEN[role]}"})
    assert response.status_code < 500, (case.method, case.path, response.text[:500])
    if response.status_code >= 400:
        kind = response.headers["content-type"]  # schemathesis keeps every header's values
        assert (kind[0] if isinstance(kind, list) else kind) == "application/problem+json", (
            response.text)
        body = response.json()
        assert body["status"] == response.status_code and body["detail"]


def test_sql_and_html_in_free_text_are_stored_as_text_and_escaped_on_pages():
    text = "<script>alert('x')</script>'); DROP TABLE stored_events; --"
    client = TestClient(APP)
    caseworker = {"Authorization": f"Bearer {TOKEN['caseworker']}"}
    recorded = client.post("/cases/C1/events", headers=caseworker, json={
        "type": "advice_requested", "on": "2025-03-01", "provider": "education",
        "setting": text})
    assert recorded.json()["event"]["fact"]["setting"] == text
    client.post("/app/sign-in", data={"token": TOKEN["auditor"]},
                headers={"Origin": "http://testserver"})
    page = client.get("/app/audit/C1").text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    history = client.get("/cases/C1/history", headers={
        "Authorization": f"Bearer {TOKEN['auditor']}"}).json()["events"]
    assert history[-1]["fact"]["setting"] == text  # stored as text, byte for byte
