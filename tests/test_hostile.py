"""Hostile input on both stores: schemathesis against the OpenAPI schema with a token for each
role (bounded: a few thousand generated requests in all; its strings include NUL bytes), and
hand-made worst cases for every field of every write (NUL and other control characters,
unpaired surrogates, integers of thousands of digits, nesting a thousand deep): never a 5xx,
every 4xx a problem+json, and the read models still serve afterwards."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
import schemathesis
from conftest import reset_postgres, settings_for
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.api.app import create_app
from service.stores import open_application
from service.tokens import ROLES, TokenStore

TODAY = date(2025, 7, 1)


def _app_over(folder: Path, backend: str) -> tuple[FastAPI, dict[str, str]]:
    """A store of the kind with a case, a token for each role, and the app over it."""
    store = settings_for(backend, folder / "data")
    if backend == "postgres":
        reset_postgres(store)
    tokens = TokenStore(folder / "tokens.json")
    token = {role: tokens.add(role, f"Fuzz {role}", "North" if role == "caseworker" else None)
             for role in ROLES}
    application = open_application(store)
    application.open_case("C1", team="North")
    application.record("C1", {"type": "request_received", "on": "2025-02-03",
                              "requester": "parent", "id": "r1"}, "setup", today=TODAY)
    return create_app(store, folder / "tokens.json", lambda: TODAY), token


class Dispatch:
    """The app schemathesis calls: it passes each request to the store under test (the
    schema is read once, when this module loads; the stores are made when their tests run,
    as other modules' tests reset the PostgreSQL tables)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        await self.app(scope, receive, send)


DISPATCH = Dispatch(_app_over(Path(tempfile.mkdtemp(prefix="ehc-hostile-")), "sqlite")[0])
schema = schemathesis.openapi.from_asgi("/openapi.json", DISPATCH)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def hostile(request, tmp_path_factory):
    app, token = _app_over(tmp_path_factory.mktemp(f"hostile-{request.param}"), request.param)
    DISPATCH.app = app
    return app, token


def _is_problem(response_status: int, content_type: object, body: dict) -> None:
    kind = content_type[0] if isinstance(content_type, list) else content_type
    assert kind == "application/problem+json", body
    assert body["status"] == response_status and body["detail"]


@schema.parametrize()
@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_5xx_and_every_4xx_is_a_problem(case, hostile):
    """Each generated request is sent with each role's token."""
    _, token = hostile
    for role in ROLES:
        response = case.call(headers={"Authorization": f"Bearer {token[role]}"})
        assert response.status_code < 500, (role, case.method, case.path, response.text[:500])
        if response.status_code >= 400:
            _is_problem(response.status_code, response.headers["content-type"],
                        response.json())


# Hand-made worst cases, sent raw (json.dumps escapes a lone surrogate as \ud800).
NASTY_TEXT = st.sampled_from(["a\u0000b", "\u0000", "x\u0007", "\ud800", "line\r\nbreak",
                              "\u202e\u0000", "\t"])
HUGE = "9" * 5000  # an integer of 5,000 digits, written into the body as raw JSON
NASTY = st.one_of(NASTY_TEXT, st.just(HUGE), st.just(-(10 ** 400)),
                  st.just(1e308), st.just([[[[]]]]), st.just({"\u0000": 1}),
                  st.text(alphabet=st.characters(max_codepoint=0x1f), max_size=5))


def _body(sent: dict) -> bytes:
    """JSON with HUGE as a bare number (Python would not even print it as an int)."""
    return json.dumps(sent).replace(f'"{HUGE}"', HUGE).encode()
WRITES = [
    ("POST", "/cases", {"case_ref": "X-1", "team": "North", "caseworker": "Amina"}),
    ("POST", "/cases/C1/events", {"type": "advice_requested", "on": "2025-03-11",
                                  "provider": "health", "setting": "Oak", "id": "a1"}),
    ("POST", "/cases/C1/events", {"type": "exception_recorded", "on": "2025-03-20",
                                  "reason": "school_closure", "from": "2025-03-12",
                                  "to": "2025-03-14", "attested_by": "Head"}),
    ("POST", "/cases/C1/events", {"type": "case_withdrawn", "on": "2025-03-20",
                                  "reason": "moved"}),
    ("POST", "/cases/C1/corrections", {"corrects": "r1", "set": {"on": "2025-02-04"},
                                       "reason": "typo"}),
    ("PUT", "/cases/C1/assignment", {"caseworker": "Ben", "team": "North"}),
]
READS = ["/caseloads?caseworker={}", "/caseloads?team={}", "/kpis?period=2025&provider={}",
         "/cases/{}/timeline", "/plans/{}/status?period=2025", "/kpis?period={}",
         "/exports/sen2?year={}"]


@given(st.sampled_from(range(len(WRITES))), st.data())
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_worst_values_in_every_field_are_4xx_never_5xx(hostile, write, data):
    app, token = hostile
    client = TestClient(app, raise_server_exceptions=False)
    method, path, body = WRITES[write]
    field = data.draw(st.sampled_from(sorted(body)))
    value = data.draw(NASTY)
    sent = {**body, field: value}
    if field == "set":
        sent["set"] = {"on": value}
    role = "manager" if method == "PUT" else "caseworker"
    response = client.request(method, path, content=_body(sent), headers={
        "Authorization": f"Bearer {token[role]}", "Content-Type": "application/json"})
    assert response.status_code < 500, (sent, response.text[:300])
    if response.status_code >= 400:
        _is_problem(response.status_code, response.headers["content-type"], response.json())
    manager = {"Authorization": f"Bearer {token['manager']}"}
    assert client.get("/caseloads", headers=manager).status_code == 200
    for template in READS:
        text = data.draw(NASTY_TEXT)
        read = client.get(template.format(quote(text, safe="", errors="surrogatepass")),
                          headers=manager)
        assert read.status_code < 500, (template, text, read.text[:300])


def test_sql_and_html_in_free_text_are_stored_as_text_and_escaped_on_pages(hostile):
    app, token = hostile
    text = "<script>alert('x')</script>'); DROP TABLE stored_events; --"
    client = TestClient(app)
    caseworker = {"Authorization": f"Bearer {token['caseworker']}"}
    recorded = client.post("/cases/C1/events", headers=caseworker, json={
        "type": "advice_requested", "on": "2025-03-01", "provider": "education",
        "setting": text})
    assert recorded.json()["event"]["fact"]["setting"] == text
    client.post("/app/sign-in", data={"token": token["auditor"]},
                headers={"Origin": "http://testserver"})
    page = client.get("/app/audit/C1").text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    history = client.get("/cases/C1/history", headers={
        "Authorization": f"Bearer {token['auditor']}"}).json()["events"]
    assert history[-1]["fact"]["setting"] == text  # stored as text, byte for byte
