"""Regression tests for the hardening probe's smaller findings, on both stores where the store
matters: odd If-Match values, malformed bodies from strangers, idempotency keys reused across
teams, existence leaks, file modes, tokens (expiry, revocation, concurrent adds) and
exceptions running for centuries."""

from __future__ import annotations

import multiprocessing
import stat
import subprocess
from datetime import date, timedelta

import pytest
from conftest import settings_for
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.local_server import EHC
from service.stores import open_application, open_projection
from service.tokens import TokenStore

TODAY = date(2025, 7, 1)
REQUEST = {"type": "request_received", "on": "2025-02-03", "requester": "parent"}
EXCEPTION = {"type": "exception_recorded", "on": "2025-03-20", "reason": "school_closure",
             "from": "2025-03-12", "attested_by": "Head teacher", "id": "x1"}


@pytest.fixture
def api(store_settings, tmp_path):
    tokens = TokenStore(tmp_path / "tokens.json")
    headers = {
        "amina": {"Authorization": f"Bearer {tokens.add('caseworker', 'Amina', 'North')}"},
        "grace": {"Authorization": f"Bearer {tokens.add('caseworker', 'Grace', 'South')}"},
        "manager": {"Authorization": f"Bearer {tokens.add('manager', 'Head of SEN')}"},
    }
    client = TestClient(create_app(store_settings, tmp_path / "tokens.json", lambda: TODAY),
                        raise_server_exceptions=False)
    assert client.post("/cases", json={"case_ref": "N-1"}, headers=headers["amina"]
                       ).status_code == 201
    assert client.post("/cases/N-1/events", json=REQUEST, headers=headers["amina"]
                       ).status_code == 201
    return client, headers


def _problem(response, status: int, rule: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    if rule is not None:
        assert body["rule"] == rule, body
    return body


@pytest.mark.parametrize("if_match", [
    '"²"'.encode("latin-1"),  # the byte Starlette reads as "²", a digit to str.isdigit
    '"١"'.encode(), b'"' + b"9" * 5000 + b'"', b'W/"-1"', b'""'])
def test_odd_if_match_values_are_400_not_500(api, if_match):
    client, headers = api
    for method, path, body, who in (
            ("POST", "/cases/N-1/events", {"type": "decision_to_assess", "on": "2025-03-10",
                                           "outcome": "assess"}, "amina"),
            ("PUT", "/cases/N-1/assignment", {"caseworker": "Ben", "team": "North"},
             "manager")):
        response = client.request(method, path, json=body,
                                  headers={**headers[who], "If-Match": if_match})
        _problem(response, 400, "bad_if_match")


@pytest.mark.parametrize("body", [
    b"[" * 1000 + b"]" * 1000,
    b'{"type": "request_received", "on": "\xff\xfe"}',
    b'{"on": ' + b"7" * 4400 + b"}",
])
def test_malformed_bodies_from_strangers_are_401(api, body):
    client, headers = api
    malformed = {"Content-Type": "application/json"}
    for path in ("/cases/N-1/events", "/cases", "/cases/N-1/corrections"):
        _problem(client.post(path, content=body, headers=malformed), 401, "unauthorized")
    _problem(client.post("/cases/N-1/events", content=body,
                         headers={**malformed, "Authorization": "Bearer nope"}), 401)
    response = client.post("/cases/N-1/events", content=body,
                           headers={**malformed, **headers["amina"]})
    assert response.status_code in (400, 422), response.text
    _problem(client.put("/cases/N-1/assignment", content=body, headers=malformed), 401)


def test_an_opening_key_reused_by_another_team_returns_nothing_of_the_case(api):
    client, headers = api
    first = client.post("/cases", json={"case_ref": "N-7"},
                        headers={**headers["amina"], "Idempotency-Key": "open-7"})
    assert first.status_code == 201
    again = client.post("/cases", json={"case_ref": "N-7"},
                        headers={**headers["grace"], "Idempotency-Key": "open-7"})
    body = _problem(again, 422, "idempotency_key_reused")
    assert "North" not in again.text and "Amina" not in again.text, body
    other_body = client.post("/cases", json={"case_ref": "N-7", "caseworker": "Finn"},
                             headers={**headers["amina"], "Idempotency-Key": "open-7"})
    _problem(other_body, 422, "idempotency_key_reused")
    same = client.post("/cases", json={"case_ref": "N-7"},
                       headers={**headers["amina"], "Idempotency-Key": "open-7"})
    assert (same.status_code, same.json()) == (201, first.json())


def _same_kind(response) -> list[tuple[str, str]]:
    """A response's headers, but the policy's nonce (new for every response)."""
    return sorted((k, v) for k, v in response.headers.items()
                  if k != "content-security-policy")


def test_another_teams_case_answers_as_a_missing_case(api):
    client, headers = api
    for method, path, body in (
            ("GET", "/cases/{}/timeline", None), ("GET", "/cases/{}/history", None),
            ("POST", "/cases/{}/events", {"type": "decision_to_assess", "on": "2025-03-10",
                                          "outcome": "assess"}),
            ("POST", "/cases/{}/corrections", {"corrects": "ev2", "set": {"on": "2025-02-04"},
                                               "reason": "typo"})):
        other = client.request(method, path.format("N-1"), json=body, headers=headers["grace"])
        missing = client.request(method, path.format("NO-SUCH"), json=body,
                                 headers=headers["grace"])
        assert (other.status_code, other.json(), _same_kind(other)) == (
            missing.status_code, missing.json(), _same_kind(missing))
        _problem(other, 404, "not_found")


def test_an_exception_runs_at_most_five_years(api):
    client, headers = api
    amina = headers["amina"]
    _problem(client.post("/cases/N-1/events", json={**EXCEPTION, "to": "9999-12-31"},
                         headers=amina), 422, "exception_too_long")
    _problem(client.post("/cases/N-1/events", json={**EXCEPTION, "to": "2030-03-13"},
                         headers=amina), 422, "exception_too_long")
    ok = client.post("/cases/N-1/events", json={**EXCEPTION, "to": "2025-03-14"}, headers=amina)
    assert ok.status_code == 201, ok.text
    _problem(client.post("/cases/N-1/corrections", json={
        "corrects": "x1", "set": {"to": "9999-12-31"}, "reason": "typo"}, headers=amina),
        422, "exception_too_long")
    fixed = client.post("/cases/N-1/corrections", json={
        "corrects": "x1", "set": {"to": "2025-03-18"}, "reason": "typo"}, headers=amina)
    assert fixed.status_code == 201, fixed.text


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_and_token_files_are_private(tmp_path):
    settings = settings_for("sqlite", tmp_path / "data")
    application = open_application(settings)
    application.open_case("C1", team="North")
    projection = open_projection(settings, application, today=lambda: TODAY)
    projection.catch_up()
    tokens = TokenStore(settings.data_dir / "tokens.json")
    tokens.add("manager", "Head")
    made = sorted(p.name for p in settings.data_dir.iterdir())
    assert {"events.sqlite", "read-models.sqlite", "tokens.json",
            "read-models.sqlite.writer-lock", "events.sqlite.write-lock"} <= set(made), made
    for path in settings.data_dir.iterdir():
        assert _mode(path) & 0o077 == 0, (path.name, oct(_mode(path)))
    projection.close()


def test_a_world_readable_store_is_narrowed_when_opened(tmp_path):
    settings = settings_for("sqlite", tmp_path / "data")
    open_application(settings).open_case("C1")
    settings.events_path.chmod(0o644)
    open_application(settings)
    assert _mode(settings.events_path) == 0o600


def test_the_server_process_makes_private_files(tmp_path):
    """`ehc` sets the umask: what any command writes (here an export) is the owner's only."""
    environment = {"EHC_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    out = tmp_path / "sen2.zip"
    subprocess.run([EHC, "export", "sen2", "--year", "2025", str(out)], env=environment,
                   check=True, capture_output=True, timeout=120)
    assert _mode(out) & 0o077 == 0
    assert _mode(tmp_path / "data" / "events.sqlite") == 0o600


def _add_tokens(path: str, number: int) -> list[str]:
    store = TokenStore(__import__("pathlib").Path(path))
    return [store.add("manager", f"Manager {number}-{n}") for n in range(15)]


def test_concurrent_token_adds_lose_none(tmp_path):
    path = tmp_path / "tokens.json"
    with multiprocessing.get_context("fork").Pool(6) as pool:
        made = [t for batch in pool.starmap(_add_tokens, [(str(path), n) for n in range(6)])
                for t in batch]
        pool.close()
        pool.join()
    store = TokenStore(path)
    assert len(made) == 90 and all(store.principal(token) for token in made)
    assert len(store.list()) == 90


def test_tokens_expire_and_can_be_revoked(tmp_path):
    days = [TODAY]
    store = TokenStore(tmp_path / "tokens.json", today=lambda: days[0])
    lasting = store.add("manager", "Head")
    short = store.add("board", "Board", days=10)
    assert store.principal(lasting) and store.principal(short)
    days[0] = TODAY + timedelta(days=11)
    assert store.principal(short) is None and store.principal(lasting)
    days[0] = TODAY + timedelta(days=91)
    assert store.principal(lasting) is None
    days[0] = TODAY
    listed = {t.name: t for t in store.list()}
    assert listed["Head"].expires == (TODAY + timedelta(days=90)).isoformat()
    revoked = store.revoke(listed["Head"].id)
    assert revoked.revoked == TODAY.isoformat() and store.principal(lasting) is None
    assert TokenStore(tmp_path / "tokens.json", today=lambda: TODAY).principal(lasting) is None
    with pytest.raises(KeyError):
        store.revoke("zz")
    with pytest.raises(ValueError, match="1 to"):
        store.add("manager", "Forever", days=100000)


def test_tokens_commands_list_without_secrets_and_revoke(tmp_path):
    environment = {"EHC_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}

    def ehc(*arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run([EHC, "tokens", *arguments], env=environment, text=True,
                              capture_output=True, timeout=60)

    made = ehc("add", "--role", "manager", "--name", "Head of SEN", "--days", "30")
    token = made.stdout.strip()
    assert made.returncode == 0 and token.startswith("ehc_")
    listed = ehc("list")
    assert "Head of SEN" in listed.stdout and token not in listed.stdout
    assert "valid to" in listed.stdout
    token_id = listed.stdout.split()[listed.stdout.split().index("manager") - 1]
    assert ehc("revoke", token_id).returncode == 0
    assert "revoked" in ehc("list").stdout
    assert TokenStore(tmp_path / "data" / "tokens.json").principal(token) is None
    assert ehc("revoke", "nothing-like-it").returncode == 2
    assert ehc("add", "--role", "manager", "--name", "Bad\u0007name").returncode == 2


def _insert_unreadable_event(settings) -> None:
    """An event the projection cannot read (its state is not JSON), as a damaged row or a
    bug would leave one."""
    import sqlite3
    import uuid

    import psycopg

    row = (str(uuid.uuid4()), 1, "domain.assessment:EhcAssessment.Opened", b"not json")
    if settings.backend == "sqlite":
        with sqlite3.connect(settings.events_path) as connection:
            connection.execute("INSERT INTO stored_events (originator_id, originator_version, "
                               "topic, state) VALUES (?, ?, ?, ?)", row)
    else:
        with psycopg.connect(settings.postgres_conninfo(), autocommit=True) as connection:
            connection.execute("INSERT INTO ehcapplication_events (originator_id, "
                               "originator_version, topic, state) VALUES (%s, %s, %s, %s)",
                               row)


def test_health_is_503_when_the_projection_fails_on_an_event(api, store_settings):
    client, headers = api
    assert client.get("/health").json()["status"] == "ok"
    _insert_unreadable_event(store_settings)
    health = client.get("/health")
    assert health.status_code == 503
    assert health.json()["status"] == "unhealthy"
    assert "cannot take the events after position" in health.json()["reason"]
    _problem(client.get("/caseloads", headers=headers["manager"]), 503, "projection_failed")


def test_health_is_503_when_the_projection_is_stuck_behind_the_events(api, store_settings):
    client, headers = api
    services = client.app.state.services
    now = [1000.0]
    services.clock, services.stuck_after = (lambda: now[0]), 60.0
    assert client.get("/health").status_code == 200
    held = open_projection(store_settings, open_application(store_settings))
    try:
        with held.store.writer_turn():  # another writer that never finishes
            client.post("/cases", json={"case_ref": "N-2"}, headers=headers["amina"])
            first = client.get("/health")
            assert first.status_code == 200 and first.json()["events"] > first.json()[
                "projection_position"]
            now[0] += 61
            stuck = client.get("/health")
            assert stuck.status_code == 503, stuck.text
            assert "stuck" in stuck.json()["reason"]
        now[0] += 1
        assert client.get("/health").status_code == 200  # the writer let go: it catches up
    finally:
        held.close()
