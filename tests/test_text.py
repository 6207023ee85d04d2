"""One rule for free text and names on every store: line breaks stored as LF, other control
characters (NUL included) refused with a message naming the field and the character, and a
store already holding a NUL (written before the rule) still rebuilds and serves."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from fastapi.testclient import TestClient

from domain.assessment import EhcAssessment
from domain.errors import InvalidValue
from domain.history import build_fact
from domain.text import TextRefused, clean_text
from service.api.app import create_app
from service.stores import open_application, open_projection
from service.tokens import TokenStore

TODAY = date(2025, 7, 1)
REQUEST = {"type": "request_received", "on": "2025-02-03", "requester": "parent"}
ADVICE = {"type": "advice_requested", "on": "2025-03-11", "provider": "health"}
EXCEPTION = {"type": "exception_recorded", "on": "2025-03-20", "reason": "school_closure",
             "from": "2025-03-12", "to": "2025-03-14", "attested_by": "Head teacher"}
READ_ROUTES = ("/caseloads", "/caseloads/balance", "/forecast", "/kpis?period=2025",
               "/kpis/bands?period=2025", "/kpis/advice?period=2025",
               "/plans/action-plan/status?period=2025-Q2")


@pytest.fixture
def api(store_settings, tmp_path):
    tokens = TokenStore(tmp_path / "tokens.json")
    headers = {
        "amina": {"Authorization": f"Bearer {tokens.add('caseworker', 'Amina', 'North')}"},
        "manager": {"Authorization": f"Bearer {tokens.add('manager', 'Head of SEN')}"},
    }
    client = TestClient(create_app(store_settings, tmp_path / "tokens.json", lambda: TODAY),
                        raise_server_exceptions=False)
    assert client.post("/cases", json={"case_ref": "N-1"}, headers=headers["amina"]
                       ).status_code == 201
    assert client.post("/cases/N-1/events", json={**REQUEST, "id": "r1"},
                       headers=headers["amina"]).status_code == 201
    return client, headers


def _read_models_serve(client, headers) -> None:
    for route in READ_ROUTES:
        response = client.get(route, headers=headers["manager"])
        assert response.status_code == 200, (route, response.text)


@pytest.mark.parametrize(("body", "words"), [
    ({"case_ref": "N-2", "caseworker": "a\u0000b"}, "the caseworker's name"),
    ({"case_ref": "N-2", "team": "North\u0000"}, "the team's name"),
    ({"case_ref": "N-2", "caseworker": "a\u001bb"}, "the caseworker's name"),
])
def test_opening_a_case_refuses_control_characters(api, body, words):
    client, headers = api
    response = client.post("/cases", json=body, headers=headers["amina"])
    assert response.status_code == 422, response.text
    assert words in response.json()["detail"]
    assert "control character" in response.json()["detail"]
    _read_models_serve(client, headers)


def test_the_message_names_the_field_and_the_character(api):
    client, headers = api
    detail = client.post("/cases", json={"case_ref": "N-2", "caseworker": "a\u0000b"},
                         headers=headers["amina"]).json()["detail"]
    assert ("the caseworker's name contains a control character (NUL, U+0000): remove it"
            in detail)


def test_an_assignment_refuses_control_characters(api):
    client, headers = api
    for body in ({"caseworker": "Ben", "team": "a\u0000b"},
                 {"caseworker": "B\u0000en", "team": "North"},
                 {"caseworker": "Ben\nCarter", "team": "North"}):
        response = client.put("/cases/N-1/assignment", json=body, headers=headers["manager"])
        assert response.status_code == 422, response.text
    assert client.get("/cases/N-1/history", headers=headers["manager"]).json()["version"] == 2
    _read_models_serve(client, headers)


@pytest.mark.parametrize(("event", "field"), [
    ({**ADVICE, "setting": "Oak\u0000 Primary"}, "setting"),
    ({**ADVICE, "id": "a\u0000"}, "id"),
    ({**EXCEPTION, "attested_by": "Head\u0000"}, "attested_by"),
    ({"type": "case_withdrawn", "on": "2025-03-20", "reason": "moved\u0000"}, "reason"),
    ({"type": "case_withdrawn", "on": "2025-03-20", "reason": "moved\u0007"}, "reason"),
    ({"type": "case_withdrawn", "on": "2025-03-20", "reason": "moved\ud800"}, "reason"),
])
def test_every_event_text_field_refuses_control_characters(api, event, field):
    client, headers = api
    response = client.post("/cases/N-1/events", content=json.dumps(event),  # escapes \ud800
                           headers={**headers["amina"], "Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["rule"] == "invalid_value"
    assert field in response.json()["detail"]
    assert client.get("/cases/N-1/history", headers=headers["amina"]).json()["version"] == 2
    _read_models_serve(client, headers)


def test_corrections_refuse_control_characters_in_reason_corrects_and_values(api):
    client, headers = api
    for body in ({"corrects": "r1", "set": {"on": "2025-02-04"}, "reason": "typo\u0000"},
                 {"corrects": "r\u00001", "set": {"on": "2025-02-04"}, "reason": "typo"}):
        response = client.post("/cases/N-1/corrections", json=body, headers=headers["amina"])
        assert response.status_code == 422, response.text
    client.post("/cases/N-1/events", json={**ADVICE, "id": "a1"}, headers=headers["amina"])
    response = client.post("/cases/N-1/corrections", json={
        "corrects": "a1", "set": {"setting": "x\u0000"}, "reason": "typo"},
        headers=headers["amina"])
    assert response.status_code == 422, response.text
    _read_models_serve(client, headers)


def test_line_breaks_are_stored_as_lf(api):
    client, headers = api
    reason = "moved away\r\nto Leeds\rin May\n"
    response = client.post("/cases/N-1/events", json={
        "type": "case_withdrawn", "on": "2025-03-20", "reason": reason},
        headers=headers["amina"])
    assert response.status_code == 201, response.text
    assert response.json()["event"]["fact"]["reason"] == "moved away\nto Leeds\nin May\n"
    refused = client.post("/cases/N-1/events", json={**ADVICE, "setting": "Oak\r\nPrimary"},
                          headers=headers["amina"])
    assert refused.status_code == 422 and "line break" in refused.json()["detail"]


def test_query_parameters_with_a_nul_are_refused_not_a_500(api):
    client, headers = api
    for route in ("/caseloads?caseworker=a%00b", "/caseloads?team=a%00b",
                  "/kpis?period=2025&provider=a%00b"):
        response = client.get(route, headers=headers["manager"])
        assert response.status_code == 422, (route, response.text)
    _read_models_serve(client, headers)


def test_a_store_already_holding_a_nul_rebuilds_and_serves(api, store_settings):
    """Written before the rule (straight through the aggregate): the read models get U+FFFD
    in its place and every route still answers."""
    client, headers = api
    application = open_application(store_settings)
    case = EhcAssessment("OLD-1", team="North\u0000", caseworker="Old\u0000name")
    case.record(build_fact({**REQUEST, "recorded": TODAY}), "setup")
    application.save(case)
    _read_models_serve(client, headers)
    listed = client.get("/caseloads?include_closed=true", headers=headers["manager"]).json()
    old = next(c for c in listed["cases"] if c["case_ref"] == "OLD-1")
    assert (old["team"], old["caseworker"]) == ("North\ufffd", "Old\ufffdname")
    projection = open_projection(store_settings, application, today=lambda: TODAY)
    try:
        projection.rebuild()
        assert projection.store.tracking().rebuild_target is None
        rows = projection.store.table_rows("ehc_case_summary")
        assert not any("\x00" in str(value) for row in rows for value in row)
    finally:
        projection.close()
    _read_models_serve(client, headers)
    history = client.get("/cases/OLD-1/history", headers=headers["manager"]).json()
    assert history["events"][0]["fact"]["caseworker"] == "Old\u0000name"  # the truth, kept


def test_token_names_and_teams_follow_the_rule(tmp_path):
    tokens = TokenStore(tmp_path / "tokens.json")
    with pytest.raises(ValueError, match=r"control character \(NUL, U\+0000\)"):
        tokens.add("manager", "Head\u0000")
    with pytest.raises(ValueError, match="control character"):
        tokens.add("caseworker", "Amina", "North\u0007")


def test_the_rule_itself():
    assert clean_text("a\r\nb\rc", "the reason", multiline=True) == "a\nb\nc"
    assert clean_text("tab-free name", "the name") == "tab-free name"
    for text, name in (("a\x00", "NUL, U+0000"), ("a\tb", "TAB, U+0009"),
                       ("a\x7f", "DEL, U+007F"), ("a\x1f", "US, U+001F")):
        with pytest.raises(TextRefused, match=re.escape(f"contains a control character ({name})")):
            clean_text(text, "the reason", multiline=True)
    with pytest.raises(TextRefused, match="line break"):
        clean_text("a\nb", "the team's name")
    with pytest.raises(InvalidValue, match="setting"):
        build_fact({**ADVICE, "setting": "a\x00"})
