"""People over HTTP on both stores: opening a case for a new or a known child (POST /cases
stays backward compatible), the child of a case, search, erasure, the audit store, and the
board never receiving a personal field."""

from __future__ import annotations

import io
import logging
import zipfile
from datetime import date

import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.tokens import TokenStore

TODAY = date(2025, 7, 1)
ROLES = {
    "amina": ("caseworker", "Amina Shah", "North"),
    "grace": ("caseworker", "Grace Okafor", "South"),
    "manager": ("manager", "Head of SEN", None),
    "board": ("board", "Board", None),
    "auditor": ("auditor", "Audit", None),
}
TOBI = {"surname": "Okafor", "forename": "Tóbi", "date_of_birth": "2016-07-13", "sex": "M",
        "ethnicity": "BAFR", "postcode": "N1 9GU", "upn": "A123456789012",
        "local_id": "C104233"}
PERSONAL_VALUES = ("Okafor", "Tóbi", "2016-07-13", "N1 9GU", "A123456789012", "C104233",
                   "BAFR")


@pytest.fixture
def api(store_settings, tmp_path):
    tokens = TokenStore(tmp_path / "tokens.json")
    headers = {key: {"Authorization": f"Bearer {tokens.add(*role)}"}
               for key, role in ROLES.items()}
    client = TestClient(create_app(store_settings, tmp_path / "tokens.json", lambda: TODAY),
                        raise_server_exceptions=False)
    opened = client.post("/cases", json={"case_ref": "N-1", "person": TOBI},
                         headers=headers["amina"])
    assert opened.status_code == 201, opened.text
    for event in ({"type": "request_received", "on": "2025-02-03", "requester": "parent"},
                  {"type": "decision_to_assess", "on": "2025-03-10", "outcome": "assess"}):
        assert client.post("/cases/N-1/events", json=event,
                           headers=headers["amina"]).status_code == 201
    return client, headers, opened.json()["person_id"]


def test_opening_a_case_with_or_without_a_child(api):
    client, headers, tobi = api
    plain = client.post("/cases", json={"case_ref": "N-2"}, headers=headers["amina"])
    assert plain.status_code == 201 and plain.json() == {
        "case_ref": "N-2", "version": 1, "team": "North", "caseworker": "Amina Shah"}
    assert client.get("/cases/N-2/person", headers=headers["amina"]).json() == {
        "case_ref": "N-2", "person": None}
    # A second request for the same child, typed again with other capitals: joined.
    again = client.post("/cases", json={"case_ref": "S-1", "person": {
        **TOBI, "surname": "OKAFOR", "upn": None, "postcode": None}}, headers=headers["grace"])
    assert again.status_code == 201
    assert again.json()["person_id"] == tobi and again.json()["joined_known_child"] is True
    by_id = client.post("/cases", json={"case_ref": "N-3", "person_id": tobi},
                        headers=headers["amina"])
    assert by_id.json()["person_id"] == tobi
    person = client.get(f"/people/{tobi}", headers=headers["manager"]).json()
    assert person["cases"] == ["N-1", "S-1", "N-3"]
    assert person["details"]["forename"] == "Tóbi"


def test_a_retried_opening_makes_one_child(api):
    client, headers, _ = api
    body = {"case_ref": "N-9", "person": {**TOBI, "surname": "Adeyemi", "upn": None}}
    key = {**headers["amina"], "Idempotency-Key": "open-N-9"}
    first, second = (client.post("/cases", json=body, headers=key) for _ in range(2))
    assert first.status_code == second.status_code == 201
    assert first.json()["person_id"] == second.json()["person_id"]
    assert client.post("/cases", json=body, headers=headers["amina"]).status_code == 409


def test_refusals(api):
    client, headers, tobi = api
    both = client.post("/cases", json={"case_ref": "N-5", "person_id": tobi, "person": TOBI},
                       headers=headers["amina"])
    assert both.status_code == 422
    bad = client.post("/cases", json={"case_ref": "N-6", "person": {**TOBI, "ethnicity": "X"}},
                      headers=headers["amina"])
    assert bad.status_code == 422 and "ethnicity" in bad.json()["detail"]
    assert client.get("/cases/N-6/timeline", headers=headers["amina"]).status_code == 404
    # Grace (South) may not read Tobi, so may not name him either.
    other = client.post("/cases", json={"case_ref": "S-5", "person_id": tobi},
                        headers=headers["grace"])
    assert other.status_code == 403 and other.json()["rule"] == "person_forbidden"
    assert client.get(f"/people/{tobi}", headers=headers["grace"]).status_code == 403
    assert client.get("/cases/N-1/person", headers=headers["grace"]).status_code == 403
    missing = client.get("/people/00000000-0000-0000-0000-000000000000",
                         headers=headers["manager"])
    assert missing.status_code == 404


def test_search_scoped_by_role(api):
    client, headers, tobi = api
    for query in ("okafor", "TOBI", "13 July 2016", "c104233", "N-1"):
        found = client.get("/search", params={"q": query}, headers=headers["amina"]).json()
        assert [r["case_ref"] for r in found["results"]] == ["N-1"], query
        assert client.get("/search", params={"q": query},
                          headers=headers["grace"]).json()["count"] == 0
    hit = client.get("/search?q=tobi", headers=headers["auditor"]).json()["results"][0]
    assert hit["person"]["person_id"] == tobi and hit["team"] == "North"
    assert client.get("/search?q=tobi", headers=headers["board"]).status_code == 403


def test_the_board_never_receives_a_personal_field(api):
    client, headers, tobi = api
    for path in (f"/people/{tobi}", "/search?q=tobi", "/cases/N-1/person",
                 "/people/due-for-erasure", "/audit/people", "/exports/sen2?year=2025"):
        response = client.get(path, headers=headers["board"])
        assert response.status_code == 403, path
        assert not any(value in response.text for value in PERSONAL_VALUES), path
    for path in ("/kpis?period=2025", "/forecast", "/kpis/bands?period=2025"):
        response = client.get(path, headers=headers["board"])
        assert response.status_code == 200
        assert not any(value in response.text for value in PERSONAL_VALUES), path


def test_erasure_and_the_audit_store(api):
    client, headers, tobi = api
    client.get(f"/people/{tobi}", headers=headers["amina"])
    assert client.post(f"/people/{tobi}/erasure", headers=headers["amina"]).status_code == 403
    erased = client.post(f"/people/{tobi}/erasure", headers=headers["manager"])
    assert erased.json() == {"person_id": tobi, "erased": True, "erased_on": "2025-07-01"}
    person = client.get(f"/people/{tobi}", headers=headers["auditor"]).json()
    assert person["erased"] is True and person["details"] is None
    assert client.get("/cases/N-1/timeline", headers=headers["amina"]).json()[
        "request_received"] == "2025-02-03"  # the case still replays
    assert client.get("/search?q=tobi", headers=headers["manager"]).json()["count"] == 0
    assert client.get("/audit/people", headers=headers["manager"]).status_code == 403
    trail = client.get(f"/audit/people?person_id={tobi}", headers=headers["auditor"]).json()
    assert [(e["actor"], e["action"]) for e in trail["entries"]][:3] == [
        ("Audit", "read"), ("Head of SEN", "erase"), ("Amina Shah", "read")]
    due = client.get("/people/due-for-erasure", headers=headers["manager"]).json()
    assert due["retention_years"] == 31 and due["people"] == []


def test_sen2_export_module_1_for_those_who_may_see_it(api):
    client, headers, tobi = api
    export = client.get("/exports/sen2?year=2025", headers=headers["manager"])
    with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
        persons = archive.read("module1_persons.csv").decode().splitlines()
        requests = archive.read("module2_requests.csv").decode().splitlines()
    assert persons[1] == (f"{tobi},Okafor,Tóbi,2016-07-13,M,BAFR,N1 9GU,A123456789012,,")
    assert requests[1].startswith(f"{tobi},N-1-R1,2025-02-03,,2025-03-10,Y,")


def test_the_application_log_holds_no_identifier(api, caplog):
    client, headers, tobi = api
    with caplog.at_level(logging.INFO, logger="ehc.access"):
        client.get(f"/people/{tobi}", headers=headers["manager"])
        client.get("/search", params={"q": "Okafor"}, headers=headers["manager"])
        client.get("/cases/N-1/person", headers=headers["amina"])
    assert "/people/{person_id}" in caplog.text and "/search" in caplog.text
    for identifier in (tobi, "N-1", *PERSONAL_VALUES):
        assert identifier not in caplog.text
