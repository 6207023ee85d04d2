"""Nothing lost, nothing duplicated, on both stores: 8 processes writing the same cases
through the API, and kill -9 of the server and the projection worker in the middle of a load.
"""

from __future__ import annotations

import multiprocessing
import random
import signal
import subprocess
import time
from collections import Counter
from datetime import timedelta

import httpx
import pytest

from service.application import today_in_england
from service.local_server import EHC, LocalServer
from service.stores import open_application, open_projection
from service.tokens import TokenStore

TODAY = today_in_england()
PROVIDERS = ("health", "social_care", "educational_psychology", "education", "early_years")
CASES = [f"REL-{n}" for n in range(12)]


@pytest.fixture
def cases_on_server(store_settings):
    application = open_application(store_settings)
    received = TODAY - timedelta(days=60)
    for ref in CASES:
        application.open_case(ref, team="North")
        application.record(ref, {"type": "request_received", "on": received,
                                 "requester": "parent"}, "setup", today=TODAY)
        application.record(ref, {"type": "decision_to_assess", "on": received + timedelta(20),
                                 "outcome": "assess"}, "setup", today=TODAY)
    token = TokenStore(store_settings.data_dir / "tokens.json").add("caseworker", "Load",
                                                                   "North")
    server = LocalServer({"EHC_STORE": store_settings.backend,
                          "EHC_DATA_DIR": str(store_settings.data_dir)}).start()
    yield store_settings, server, token
    server.stop()


def writer(base: str, token: str, number: int, count: int) -> list[tuple]:
    """One process: `count` writes on shared cases, each with its own idempotency key and
    the version it last saw (so some are stale on purpose)."""
    rng = random.Random(number)
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"},
                          timeout=30)
    seen: dict[str, int] = {}
    outcomes = []
    for i in range(count):
        ref = rng.choice(CASES)
        if ref not in seen or rng.random() < 0.3:
            seen[ref] = int(client.get(f"/cases/{ref}/timeline").headers["ETag"].strip('"'))
        kind = "advice_requested" if rng.random() < 0.75 else "advice_received"
        event = {"type": kind, "on": (TODAY - timedelta(days=rng.randrange(0, 30))).isoformat(),
                 "provider": rng.choice(PROVIDERS)}
        key = f"p{number}-{i}"
        response = client.post(f"/cases/{ref}/events", json=event, headers={
            "If-Match": f'"{seen[ref]}"', "Idempotency-Key": key})
        if response.status_code == 201:
            seen[ref] = response.json()["version"]
        outcomes.append((ref, key, response.status_code,
                         response.headers.get("content-type", "")))
    return outcomes


def histories(base: str, token: str) -> dict[str, list[dict]]:
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"})
    return {ref: client.get(f"/cases/{ref}/history").json()["events"] for ref in CASES}


def test_eight_writers_every_accepted_event_stored_exactly_once(cases_on_server):
    settings, server, token = cases_on_server
    context = multiprocessing.get_context("fork")
    with context.Pool(8) as pool:
        results = pool.starmap(writer, [(server.base, token, n, 500) for n in range(8)])
        pool.close()
        pool.join()  # every writer process has ended
    outcomes = [o for batch in results for o in batch]
    statuses = Counter(status for _, _, status, _ in outcomes)
    assert set(statuses) <= {201, 409, 422}, statuses
    assert statuses[201] > 0 and statuses[409] > 0  # real contention happened
    assert all(kind == "application/problem+json" for _, _, s, kind in outcomes if s != 201)
    stored = histories(server.base, token)
    for ref, events in stored.items():
        assert [e["version"] for e in events] == list(range(1, len(events) + 1)), ref
    keys = Counter(e["idempotency_key"] for events in stored.values() for e in events
                   if e["idempotency_key"])
    accepted = {key for _, key, status, _ in outcomes if status == 201}
    assert set(keys) == accepted
    assert max(keys.values()) == 1  # nothing stored twice
    projection = open_projection(settings, open_application(settings))
    projection.catch_up()
    followed = projection.store.table_rows("ehc_deadline_fact")
    projection.rebuild()
    assert projection.store.table_rows("ehc_deadline_fact") == followed


def _follow(environment: dict) -> subprocess.Popen:
    return subprocess.Popen([EHC, "follow", "--interval", "0.05"], env=environment,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _end(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait()


def test_kill_9_mid_load_loses_nothing_acknowledged(cases_on_server):
    settings, server, token = cases_on_server
    followers = [_follow(server.environment)]
    try:
        _load_with_kills(settings, server, token, followers)
    finally:  # whatever happened, no follower outlives the test
        for follower in followers:
            _end(follower)


def _load_with_kills(settings, server, token, followers: list[subprocess.Popen]) -> None:
    acknowledged: set[str] = set()
    rng = random.Random(7)
    client = httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=5)
    kills = {60: "server", 120: "follower", 180: "both"}
    attempt = 0
    while attempt < 240:
        key = f"crash-{attempt}"
        event = {"type": "advice_requested", "provider": rng.choice(PROVIDERS),
                 "on": (TODAY - timedelta(days=rng.randrange(0, 30))).isoformat()}
        ref = rng.choice(CASES)
        while True:  # a client retries with the same key until it gets an answer
            try:
                response = client.post(f"{server.base}/cases/{ref}/events", json=event,
                                       headers={"Idempotency-Key": key})
                break
            except httpx.TransportError:
                server.start()
        if response.status_code == 201:
            acknowledged.add(key)
        attempt += 1
        victim = kills.get(attempt)
        if victim in ("server", "both"):
            server.kill()
        if victim in ("follower", "both"):
            _end(followers[-1])
            followers.append(_follow(server.environment))
    if server.process.poll() is not None:
        server.start()
    stored = histories(server.base, token)
    keys = Counter(e["idempotency_key"] for events in stored.values() for e in events
                   if e["idempotency_key"])
    assert acknowledged <= set(keys)  # nothing acknowledged is missing
    assert max(keys.values()) == 1  # and nothing is stored twice
    assert len(acknowledged) > 200
    watcher = open_projection(settings, open_application(settings))
    target = watcher.source.max_position()
    for _ in range(300):  # the restarted follower converges
        if watcher.store.tracking().position >= target:
            break
        time.sleep(0.1)
    _end(followers[-1])
    assert watcher.store.tracking().position == target
    followed = watcher.store.table_rows("ehc_deadline_fact")
    watcher.rebuild()
    assert watcher.store.table_rows("ehc_deadline_fact") == followed
