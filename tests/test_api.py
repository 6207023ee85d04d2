"""The HTTP API through FastAPI's TestClient, on both stores: every endpoint by role, every
error class as problem+json, idempotency, conflicts, and nothing child-level for the board."""

from __future__ import annotations

import io
import json
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.tokens import Principal, TokenStore, hash_token

TODAY = date(2025, 7, 1)
PEOPLE = {
    "amina": ("caseworker", "Amina Shah", "North"),
    "grace": ("caseworker", "Grace Okafor", "South"),
    "manager": ("manager", "Head of SEN", None),
    "board": ("board", "Board", None),
    "auditor": ("auditor", "Audit", None),
}
REQUEST = {"type": "request_received", "on": "2025-02-03", "requester": "parent"}


@pytest.fixture
def api(store_settings, tmp_path):
    tokens = TokenStore(tmp_path / "tokens.json")
    headers = {key: {"Authorization": f"Bearer {tokens.add(*person)}"}
               for key, person in PEOPLE.items()}
    client = TestClient(create_app(store_settings, tmp_path / "tokens.json", lambda: TODAY),
                        raise_server_exceptions=False)
    client.post("/cases", json={"case_ref": "N-1"}, headers=headers["amina"])
    for event in (REQUEST, {"type": "decision_to_assess", "on": "2025-03-10", "outcome": "assess",
                            "id": "d1"}):
        assert client.post("/cases/N-1/events", json=event,
                           headers=headers["amina"]).status_code == 201
    client.post("/cases", json={"case_ref": "S-1"}, headers=headers["grace"])
    client.post("/cases/S-1/events", json=REQUEST, headers=headers["grace"])
    return client, headers


def is_problem(response, status: int, rule: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    if rule:
        assert body["rule"] == rule, body
    return body


ADVICE = {"type": "advice_requested", "on": "2025-03-11", "provider": "health"}
# (method, path, json) -> roles allowed; every other role gets 403, no token 401.
MATRIX = [
    ("GET", "/cases/N-1/timeline", None, {"caseworker", "manager", "auditor"}),
    ("GET", "/cases/N-1/history", None, {"caseworker", "manager", "auditor"}),
    ("POST", "/cases/N-1/events", ADVICE, {"caseworker"}),
    ("POST", "/cases/N-1/corrections", {"corrects": "d1", "set": {"on": "2025-03-09"},
                                        "reason": "typo"}, {"caseworker"}),
    ("POST", "/cases", {"case_ref": "NEW-{person}"}, {"caseworker"}),
    ("PUT", "/cases/N-1/assignment", {"caseworker": "Ben", "team": "North"}, {"manager"}),
    ("GET", "/caseloads", None, {"caseworker", "manager", "auditor"}),
    ("GET", "/caseloads/balance", None, {"manager"}),
    ("GET", "/forecast", None, {"manager", "board"}),
    ("GET", "/kpis?period=2025", None, {"manager", "board"}),
    ("GET", "/kpis/bands?period=2025", None, {"manager", "board"}),
    ("GET", "/kpis/advice?period=2025", None, {"manager", "board"}),
    ("GET", "/exports/sen2?year=2025", None, {"manager", "auditor"}),
    ("GET", "/plans", None, {"manager", "board"}),
    ("GET", "/plans/action-plan/status?period=2025-Q2", None, {"manager", "board"}),
]


@pytest.mark.parametrize(("method", "path", "body", "allowed"), MATRIX,
                         ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_access_matrix(api, method, path, body, allowed):
    client, headers = api
    is_problem(client.request(method, path, json=body), 401, "unauthorized")
    is_problem(client.request(method, path, json=body,
                              headers={"Authorization": "Bearer nope"}), 401)
    for person, (role, _, _) in PEOPLE.items():
        if person == "grace" and "N-1" in path:
            continue  # another team's case: test_caseworkers_keep_to_their_team
        sent = {k: v.format(person=person) for k, v in body.items()} if (
            body and "case_ref" in body) else body
        response = client.request(method, path, json=sent, headers=headers[person])
        if role in allowed:
            assert response.status_code in (200, 201), (person, response.text)
        else:
            is_problem(response, 403, "forbidden")


def test_caseworkers_keep_to_their_team(api):
    client, headers = api
    for method, path, body in (("GET", "/cases/N-1/timeline", None),
                               ("GET", "/cases/N-1/history", None),
                               ("POST", "/cases/N-1/events", ADVICE)):
        # As if it did not exist: another team's references are not to be learnt.
        is_problem(client.request(method, path, json=body, headers=headers["grace"]), 404,
                   "not_found")
    is_problem(client.post("/cases", json={"case_ref": "X", "team": "North"},
                           headers=headers["grace"]), 403, "other_team")
    cases = client.get("/caseloads", headers=headers["grace"]).json()["cases"]
    assert [c["case_ref"] for c in cases] == ["S-1"]


def test_the_board_never_receives_a_child_level_field(api):
    client, headers = api
    for path in ("/forecast", "/kpis?period=2025", "/kpis/bands?period=2025",
                 "/kpis/advice?period=2025", "/plans/action-plan/status?period=2025-Q2"):
        text = client.get(path, headers=headers["board"]).text
        for identifier in ("N-1", "S-1", "case_ref", "Amina", "Grace"):
            assert identifier not in text, (path, identifier)
    forecast = client.get("/forecast", headers=headers["board"]).json()
    for count in ("breach_certain", "at_risk"):  # a count (withheld when under five)
        assert forecast[count] is None or isinstance(forecast[count], int)


def test_timeline_shows_deadlines_with_citations_and_replays(api):
    client, headers = api
    timeline = client.get("/cases/N-1/timeline", headers=headers["amina"])
    assert timeline.headers["ETag"] == '"3"'
    deadlines = {d["key"]: d for d in timeline.json()["deadlines"]}
    assert deadlines["decision_to_assess"] | {} == deadlines["decision_to_assess"]
    assert (deadlines["decision_to_assess"]["status"], deadlines["final_plan"]["due"]) == (
        "met", "2025-06-23")
    assert deadlines["final_plan"]["citation"] == "reg 13(2)"
    assert deadlines["final_plan"]["explanation"] == (
        "20 weeks from the request received on 3 February 2025")
    body = timeline.json()
    assert (body["breach_certain"], body["breach_reasons"]) == (True, ["draft_too_late"])
    earlier = client.get("/cases/N-1/timeline?as_of=2025-03-01",
                         headers=headers["auditor"]).json()
    assert {d["key"]: d["status"] for d in earlier["deadlines"]}["decision_to_assess"] == (
        "pending")
    known = client.get("/cases/N-1/timeline?known_at=2025-06-30",
                       headers=headers["auditor"]).json()
    assert known["deadlines"] == []  # everything was recorded on 1 July


def test_history_has_effective_and_recorded_dates_and_actors(api):
    client, headers = api
    events = client.get("/cases/N-1/history", headers=headers["auditor"]).json()["events"]
    request = events[1]
    assert (request["actor"], request["fact"]["on"], request["fact"]["recorded"]) == (
        "Amina Shah", "2025-02-03", "2025-07-01")
    assert request["recorded_at"].startswith("20")


def test_a_refused_event_is_a_422_naming_the_rule_and_stores_nothing(api):
    client, headers = api
    response = client.post("/cases/N-1/events", json={"type": "final_plan_issued",
                                                      "on": "2025-06-01"},
                           headers=headers["amina"])
    body = is_problem(response, 422, "out_of_order")
    assert "reg 13(1)" in body["detail"]
    for event, rule in (({"type": "advice_requested", "on": "2025-03-11", "provider": "dentist"},
                         "invalid_value"),
                        ({"type": "tea_break", "on": "2025-03-11"}, "invalid_value"),
                        ({"type": "decision_to_assess", "on": "2025-03-11",
                          "outcome": "assess"}, "duplicate"),
                        ({**ADVICE, "on": "2025-07-02"}, "date"),
                        ({**ADVICE, "on": "1900-01-01"}, "date"),
                        ({**ADVICE, "on": "not a date"}, "invalid_value"),
                        ({**ADVICE, "recorded": "2025-03-11"}, "recorded_is_server_time"),
                        ({"type": "decision_to_assess", "on": "2025-03-11", "outcome": "assess",
                          "not_recorded": ["decision_date"]}, "not_recorded_is_for_imports")):
        is_problem(client.post("/cases/N-1/events", json=event, headers=headers["amina"]),
                   422, rule)
    history = client.get("/cases/N-1/history", headers=headers["amina"]).json()
    assert history["version"] == 3


def test_a_stale_version_is_a_409(api):
    client, headers = api
    ok = client.post("/cases/N-1/events", json=ADVICE, headers={**headers["amina"],
                                                                "If-Match": '"3"'})
    assert ok.status_code == 201 and ok.headers["ETag"] == '"4"'
    stale = client.post("/cases/N-1/events", json={**ADVICE, "provider": "education"},
                        headers={**headers["amina"], "If-Match": '"3"'})
    assert is_problem(stale, 409, "version_conflict")["current_version"] == 4
    is_problem(client.post("/cases/N-1/events", json=ADVICE,
                           headers={**headers["amina"], "If-Match": "three"}), 400)
    is_problem(client.post("/cases", json={"case_ref": "N-1"}, headers=headers["amina"]),
               409, "case_exists")


def test_an_idempotency_key_makes_a_retry_return_the_first_result(api):
    client, headers = api
    retry = {**headers["amina"], "Idempotency-Key": "7f8c-advice-1"}
    first = client.post("/cases/N-1/events", json=ADVICE, headers=retry)
    second = client.post("/cases/N-1/events", json=ADVICE, headers=retry)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert client.get("/cases/N-1/history", headers=headers["amina"]).json()["version"] == 4


def test_corrections_keep_the_original(api):
    client, headers = api
    response = client.post("/cases/N-1/corrections", json={
        "corrects": "d1", "set": {"on": "2025-03-20"}, "reason": "date from the wrong letter"},
        headers=headers["amina"])
    assert response.status_code == 201
    assert response.json()["event"]["fact"]["set"] == {"on": "2025-03-20"}
    timeline = client.get("/cases/N-1/timeline", headers=headers["amina"]).json()
    decision = next(d for d in timeline["deadlines"] if d["key"] == "decision_to_assess")
    assert (decision["status"], decision["completed_on"]) == ("late", "2025-03-20")
    facts = [e["fact"] for e in client.get("/cases/N-1/history",
                                           headers=headers["auditor"]).json()["events"]]
    assert any(f.get("id") == "d1" and f["on"] == "2025-03-10" for f in facts)
    is_problem(client.post("/cases/N-1/corrections", json={
        "corrects": "zz", "set": {"on": "2025-03-20"}, "reason": "x"}, headers=headers["amina"]),
        422, "correction")


def test_oversized_and_malformed_bodies(api):
    client, headers = api
    huge = {**ADVICE, "setting": "x" * 70000}
    is_problem(client.post("/cases/N-1/events", json=huge, headers=headers["amina"]), 413,
               "too_large")
    is_problem(client.post("/cases/N-1/events", content=b"{not json",
                           headers={**headers["amina"], "Content-Type": "application/json"}),
               422)
    is_problem(client.post("/cases", json={"case_ref": "<script>"}, headers=headers["amina"]),
               422, "invalid_request")
    is_problem(client.get("/kpis?period=2025-13", headers=headers["manager"]), 422,
               "invalid_period")
    is_problem(client.get("/cases/NOPE/timeline", headers=headers["manager"]), 404)


def test_html_in_free_text_is_stored_as_text(api):
    client, headers = api
    text = "<script>alert(1)</script>'; DROP TABLE stored_events; --"
    response = client.post("/cases/N-1/events", json={**ADVICE, "setting": text},
                           headers=headers["amina"])
    assert response.json()["event"]["fact"]["setting"] == text


def test_manager_reassigns_and_reads_caseloads(api):
    client, headers = api
    moved = client.put("/cases/N-1/assignment", json={"caseworker": "Ben Carter",
                                                       "team": "North"},
                       headers=headers["manager"])
    assert moved.json()["version"] == 4
    caseload = client.get("/caseloads?caseworker=Ben%20Carter", headers=headers["manager"])
    assert [c["case_ref"] for c in caseload.json()["cases"]] == ["N-1"]
    first = caseload.json()["cases"][0]
    assert (first["next_key"], first["breach_certain"]) == ("final_plan", 1)
    balance = client.get("/caseloads/balance", headers=headers["manager"]).json()
    assert {row["caseworker"] for row in balance["caseworkers"]} == {"Ben Carter",
                                                                      "Grace Okafor"}


def test_kpis_and_sen2_export(api):
    client, headers = api
    kpis = client.get("/kpis?period=2025&measure=decisions_within_6_weeks",
                      headers=headers["manager"]).json()
    assert kpis["kpis"][0]["including_exceptions"] == {"within": 1, "total": 1,
                                                       "percent": 100.0}
    export = client.get("/exports/sen2?year=2025", headers=headers["auditor"])
    assert export.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
        assert sorted(archive.namelist()) == [
            "module1_persons.csv", "module2_requests.csv", "module3_assessments.csv",
            "module4_plans.csv", "module5_active_plans.csv", "notes.txt", "phase_transfers.csv"]
        requests = archive.read("module2_requests.csv").decode()
    assert "N-1,N-1-R1,2025-02-03,,2025-03-10,Y" in requests


def test_plan_status(api):
    client, headers = api
    assert client.get("/plans", headers=headers["board"]).json() == {"plans": ["action-plan"]}
    status = client.get("/plans/action-plan/status?period=2025-Q2",
                        headers=headers["board"]).json()
    decisions = next(i for i in status["indicators"] if i["id"] == "3.1c")
    assert decisions["rag"] == "grey"  # no decision yet in 2026
    assert len(status["milestones"]) == 3
    is_problem(client.get("/plans/nope/status?period=2025-Q2", headers=headers["board"]), 404)
    is_problem(client.get("/plans/action-plan/status?period=Q2", headers=headers["board"]),
               422)


def test_health_and_openapi(api):
    client, _ = api
    assert client.get("/health").json()["status"] == "ok"
    schema = client.get("/openapi.json").json()
    assert "/cases/{case_ref}/events" in schema["paths"]
    assert client.get("/docs").status_code == 200
    json.dumps(schema)


# Holes a review found, kept closed: team scoping, idempotency, If-Match on assignment,
# bounded work per request, and 4xx (never 500) for odd inputs.


def test_a_caseworker_token_needs_a_team(tmp_path):
    with pytest.raises(ValueError, match="needs a team"):
        TokenStore(tmp_path / "tokens.json").add("caseworker", "Nobody")


def test_a_caseworker_without_a_team_or_a_case_without_one_is_refused(api, tmp_path):
    client, headers = api
    # A token file written by hand (or before teams were required) with no team.
    path = tmp_path / "tokens.json"
    entries = json.loads(path.read_text())
    entries[hash_token("ehc_no_team")] = {"role": "caseworker", "name": "Nobody", "team": None,
                                          "demo": False}
    path.write_text(json.dumps(entries))
    client.app.state.services.tokens = TokenStore(path)
    nobody = {"Authorization": "Bearer ehc_no_team"}
    is_problem(client.get("/cases/N-1/timeline", headers=nobody), 404, "not_found")
    is_problem(client.post("/cases/N-1/events", json=ADVICE, headers=nobody), 404, "not_found")
    is_problem(client.post("/cases", json={"case_ref": "X-1", "team": "North"}, headers=nobody),
               403, "other_team")
    assert client.get("/caseloads", headers=nobody).json()["cases"] == []
    # A case with no team is no caseworker's case until a manager assigns it.
    client.app.state.services.application.open_case("NT-1")
    is_problem(client.get("/cases/NT-1/history", headers=headers["amina"]), 404, "not_found")
    assert Principal("manager", "Head").works_on(None)


def test_a_caseload_keeps_to_the_caseworkers_own_team(api):
    client, headers = api
    moved = client.put("/cases/S-1/assignment", json={"caseworker": "Amina Shah",
                                                       "team": "South"},
                       headers=headers["manager"])
    assert moved.status_code == 200
    cases = client.get("/caseloads", headers=headers["amina"]).json()["cases"]
    assert [c["case_ref"] for c in cases] == ["N-1"]  # S-1 has her name but not her team


def test_assignment_takes_if_match(api):
    client, headers = api
    body = {"caseworker": "Ben Carter", "team": "North"}
    is_problem(client.put("/cases/N-1/assignment", json=body,
                          headers={**headers["manager"], "If-Match": '"1"'}), 409,
               "version_conflict")
    is_problem(client.put("/cases/N-1/assignment", json=body,
                          headers={**headers["manager"], "If-Match": "banana"}), 400)
    moved = client.put("/cases/N-1/assignment", json=body,
                       headers={**headers["manager"], "If-Match": '"3"'})
    assert (moved.status_code, moved.headers["ETag"]) == (200, '"4"')


def test_an_idempotency_key_names_one_request(api):
    client, headers = api
    keyed = {**headers["amina"], "Idempotency-Key": "k-1"}
    first = client.post("/cases/N-1/events", json=ADVICE, headers=keyed)
    assert first.status_code == 201
    other = {"type": "case_withdrawn", "on": "2025-04-01", "reason": "moved away"}
    is_problem(client.post("/cases/N-1/events", json=other, headers=keyed), 422,
               "idempotency_key_reused")
    history = client.get("/cases/N-1/history", headers=headers["amina"]).json()
    assert history["version"] == 4  # the withdrawal was not stored


def test_concurrent_retries_all_get_the_first_result(api):
    client, headers = api
    keyed = {**headers["amina"], "Idempotency-Key": "race-1"}
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(
            lambda _: client.post("/cases/N-1/events", json=ADVICE, headers=keyed), range(6)))
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["version"] for a in answers}) == 1
    assert client.get("/cases/N-1/history", headers=headers["amina"]).json()["version"] == 4


def test_opening_a_case_is_idempotent_with_a_key(api):
    client, headers = api
    keyed = {**headers["amina"], "Idempotency-Key": "open-7"}
    first = client.post("/cases", json={"case_ref": "N-7"}, headers=keyed)
    again = client.post("/cases", json={"case_ref": "N-7"}, headers=keyed)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    is_problem(client.post("/cases", json={"case_ref": "N-7"},
                           headers={**headers["amina"], "Idempotency-Key": "open-8"}),
               409, "case_exists")
    is_problem(client.post("/cases", json={"case_ref": "N-7"}, headers=headers["amina"]),
               409, "case_exists")


def test_repeated_measures_are_counted_once(api):
    client, headers = api
    query = "&".join(["measure=decisions_within_6_weeks"] * 500)
    kpis = client.get(f"/kpis?period=2025&{query}", headers=headers["board"]).json()
    assert len(kpis["kpis"]) == 1


def test_odd_dates_and_periods_are_4xx_not_500(api):
    client, headers = api
    is_problem(client.get("/cases/N-1/timeline?as_of=9999-12-31", headers=headers["manager"]),
               422, "as_of_too_far")
    is_problem(client.get("/cases/N-1/timeline?known_at=2030-01-01",
                          headers=headers["auditor"]), 422, "known_at_in_future")
    is_problem(client.get("/plans/action-plan/status?period=2015", headers=headers["board"]),
               422, "period_before_plan")


def test_event_ids_and_notes_are_bounded(api):
    client, headers = api
    is_problem(client.post("/cases/N-1/events", json={**ADVICE, "id": "z" * 65},
                           headers=headers["amina"]), 422)
    is_problem(client.post("/cases/N-1/events", json={**ADVICE, "setting": "s" * 201},
                           headers=headers["amina"]), 422)


def test_a_streamed_body_over_the_limit_is_413(api):
    client, headers = api

    def chunks():
        for _ in range(100):
            yield b" " * 1024

    response = client.post("/cases/N-1/events", content=chunks(),
                           headers={**headers["amina"], "Content-Type": "application/json"})
    is_problem(response, 413, "too_large")


def test_the_board_sees_no_count_under_five(api):
    client, headers = api
    kpis = client.get("/kpis?period=2025&measure=decisions_within_6_weeks",
                      headers=headers["board"]).json()
    shown = kpis["kpis"][0]["including_exceptions"]
    assert (shown["within"], shown["total"], shown["percent"]) == (None, None, None)
    assert "not shown to the board" in shown["withheld"]
    for path in ("/forecast", "/kpis/bands?period=2025", "/kpis/advice?period=2025",
                 "/plans/action-plan/status?period=2025-Q1"):
        body = client.get(path, headers=headers["board"]).json()
        assert not any(0 < n < 5 for n in _counts(body)), (path, body)


def _counts(figures) -> list[int]:
    """Every integer count in a response (the keys the board's tables use)."""
    from service.api.disclosure import COUNTS

    if isinstance(figures, list):
        return [n for item in figures for n in _counts(item)]
    if not isinstance(figures, dict):
        return []
    own = [v for k, v in figures.items() if k in COUNTS and isinstance(v, int)]
    return own + [n for v in figures.values() for n in _counts(v)]


def test_who_may_call_a_route_is_settled_before_its_body_is_read(api):
    client, headers = api
    malformed = {"Content-Type": "application/json"}
    is_problem(client.post("/cases/N-1/events", content=b"{bad", headers=malformed), 401,
               "unauthorized")
    is_problem(client.post("/cases/N-1/events", content=b"{bad",
                           headers={**malformed, **headers["board"]}), 403, "forbidden")
    is_problem(client.post("/cases/N-1/events", content=b"{bad",
                           headers={**malformed, **headers["amina"]}), 422, "invalid_request")


def test_a_token_added_while_the_server_runs_works_at_once(api, tmp_path):
    client, _ = api
    token = TokenStore(tmp_path / "tokens.json").add("manager", "New manager")  # another process
    assert client.get("/caseloads", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_caseworker_sees_a_team_mates_caseload_but_no_other_team(api):
    client, headers = api
    client.post("/cases", json={"case_ref": "N-2", "caseworker": "Finn Ward"},
                headers=headers["amina"])
    mate = client.get("/caseloads?caseworker=Finn%20Ward", headers=headers["amina"]).json()
    assert [c["case_ref"] for c in mate["cases"]] == ["N-2"]
    assert client.get("/caseloads?caseworker=Grace%20Okafor",
                      headers=headers["amina"]).json()["cases"] == []
    is_problem(client.get("/caseloads?team=South", headers=headers["amina"]), 403, "other_team")
    own = client.get("/caseloads", headers=headers["amina"]).json()["cases"]
    assert all(c["breach_certain"] in (None, 0, 1) and not isinstance(c["breach_certain"], float)
               for c in own)


def test_unknown_routes_and_methods_name_a_rule(api):
    client, headers = api
    is_problem(client.get("/nowhere", headers=headers["manager"]), 404, "not_found")
    is_problem(client.delete("/cases/N-1/timeline", headers=headers["manager"]), 405,
               "method_not_allowed")
