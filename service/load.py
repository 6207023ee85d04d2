"""`ehc bench api`: the real server on the demo data, driven by concurrent clients on
loopback, bounded in time and requests; prints `name: value` lines."""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import time
from datetime import timedelta
from pathlib import Path

from scenarios.generator import GeneratorSettings
from service.application import today_in_england
from service.demo import ensure_demo_data
from service.local_server import LocalServer
from service.settings import StoreSettings
from service.tokens import TokenStore, tokens_path

MAX_REQUESTS = 500_000


def bench_api(clients: int, seconds: float, settings: StoreSettings,
              cases: int = 3000, rate: float | None = None) -> dict[str, str]:
    """Without `rate` the clients send without pause (closed loop: the server's capacity);
    with it they send `rate` requests a second between them, on a fixed schedule (open loop:
    latency at a given load; a late request is not skipped, so queueing shows)."""
    ensure_demo_data(settings, cases)
    store = TokenStore(tokens_path(settings))
    writer = store.add("caseworker", "Load test caseworker", "Load test", demo=True)
    reader = store.add("manager", "Load test manager", demo=True)
    server = LocalServer({"EHC_STORE": settings.backend,
                          "EHC_DATA_DIR": str(settings.data_dir)}).start()
    assert server.process is not None
    try:
        server_cpu, own_cpu = group_cpu_seconds(server.process.pid), time.process_time()
        figures = asyncio.run(
            _drive(server.base, clients, seconds, writer, reader, cases, rate))
        server_cpu = group_cpu_seconds(server.process.pid) - server_cpu
        own_cpu = time.process_time() - own_cpu
    finally:
        server.stop()
    return {**figures, **_cpu_figures(int(figures["requests"]), server_cpu, own_cpu)}


def bench_contention(exports: int, seconds: float, settings: StoreSettings,
                     cases: int = 3000) -> dict[str, str]:
    """A caseworker recording events one after another (no pause) while `exports` auditors
    download SEN2 exports over and over: the record latency, first alone, then beside the
    exports (the heavy reads must not take the writers' threads, nor their core)."""
    ensure_demo_data(settings, cases)
    store = TokenStore(tokens_path(settings))
    writer = store.add("caseworker", "Contention caseworker", "Load test", demo=True)
    auditor = store.add("auditor", "Contention auditor", demo=True)
    server = LocalServer({"EHC_STORE": settings.backend,
                          "EHC_DATA_DIR": str(settings.data_dir)}).start()
    try:
        alone = asyncio.run(_contend(server.base, writer, auditor, 0, seconds / 3))
        beside = asyncio.run(_contend(server.base, writer, auditor, exports, seconds))
    finally:
        server.stop()
    return {"exports_at_once": str(exports),
            **{f"alone_{k}": v for k, v in alone.items()},
            **{f"with_exports_{k}": v for k, v in beside.items()}}


async def _contend(base: str, writer: str, auditor: str, exports: int,
                   seconds: float) -> dict[str, str]:
    host, port = base.removeprefix("http://").split(":")
    stop_at = time.monotonic() + seconds
    records: list[float] = []
    downloads: list[float] = []
    errors = [0]
    year = today_in_england().year - 1

    async def recorder() -> None:
        connection = await asyncio.open_connection(host, int(port))
        script = _case_script(10_000)
        while time.monotonic() < stop_at:
            kind, (method, path, body) = next(script)
            started = time.perf_counter()
            status = await _exchange(connection, method, path, body, writer)
            if kind == "record":
                records.append((time.perf_counter() - started) * 1000)
            errors[0] += not 200 <= status < 300
        connection[1].close()

    async def exporter() -> None:
        connection = await asyncio.open_connection(host, int(port))
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            status = await _exchange(connection, "GET", f"/exports/sen2?year={year}", None,
                                     auditor)
            downloads.append(time.perf_counter() - started)
            errors[0] += status != 200
        connection[1].close()

    await asyncio.gather(recorder(), *(exporter() for _ in range(exports)))
    figures = {"errors": str(errors[0]), **_percentiles("record_event", records)}
    if downloads:
        figures |= {"exports_done": str(len(downloads)),
                    "export_mean_s": f"{statistics.fmean(downloads):.1f}"}
    return figures


def group_cpu_seconds(group: int) -> float:
    """CPU time (user + system) of every live process in a process group (Linux /proc)."""
    ticks = 0
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group:  # field 5 of stat: the process group
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _cpu_figures(requests: int, server_cpu: float, own_cpu: float) -> dict[str, str]:
    """What a request costs the machine: with zero think time the clients keep every core
    busy, so throughput is at most cores ÷ (server + client CPU per request), and each
    client's mean latency is clients ÷ throughput (Little's law)."""
    if not requests:
        return {}
    server_ms, client_ms = server_cpu / requests * 1000, own_cpu / requests * 1000
    cores = os.cpu_count() or 1
    return {"server_cpu_ms_per_request": f"{server_ms:.2f}",
            "client_cpu_ms_per_request": f"{client_ms:.2f}",
            "cpu_bound_requests_per_s": f"{cores * 1000 / (server_ms + client_ms):.0f}"}


async def _drive(base: str, clients: int, seconds: float, writer: str, reader: str,
                 cases: int, rate: float | None) -> dict[str, str]:
    """One keep-alive connection per client: a light asyncio HTTP/1.1 client so the load
    generator takes little of the machine's two cores from the server."""
    samples: dict[str, list[float]] = {"record": [], "read": [], "other": []}
    errors = [0]
    stop_at = time.monotonic() + seconds
    prefix = GeneratorSettings(cases=cases, seed=1).prefix
    host, port = base.removeprefix("http://").split(":")

    async def client(number: int) -> None:
        rng = random.Random(number)
        connection = await asyncio.open_connection(host, int(port))
        script = _case_script(number)
        interval = clients / rate if rate else 0.0
        next_at = time.monotonic() + interval * number / clients  # spread the clients
        while time.monotonic() < stop_at and sum(map(len, samples.values())) < MAX_REQUESTS:
            if interval:
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                next_at += interval
            if rng.random() < 0.5:
                kind, request = "read", ("GET", f"/cases/{prefix}-1-{rng.randrange(cases):07d}"
                                         "/timeline", None, reader)
            else:
                kind, (method, path, body) = next(script)
                request = (method, path, body, writer)
            started = time.perf_counter()
            try:
                status = await _exchange(connection, *request)
            except (OSError, ValueError, asyncio.IncompleteReadError):
                status = 0
                connection = await asyncio.open_connection(host, int(port))
            samples[kind].append((time.perf_counter() - started) * 1000)
            errors[0] += not 200 <= status < 300
        connection[1].close()

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    elapsed = time.perf_counter() - started
    total = sum(len(v) for v in samples.values())
    return {
        "clients": str(clients), "offered_requests_per_s": str(rate or "unpaced"),
        "seconds": f"{elapsed:.1f}", "requests": str(total),
        "errors": str(errors[0]), "requests_per_s": f"{total / elapsed:.0f}",
        **_percentiles("record_event", samples["record"]),
        **_percentiles("read_case", samples["read"]),
    }


async def _exchange(
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter], method: str, path: str,
    body: dict | None, token: str,
) -> int:
    reader, writer = connection
    payload = b"" if body is None else json.dumps(body).encode()
    head = (f"{method} {path} HTTP/1.1\r\nHost: loopback\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n")
    writer.write(head.encode() + payload)
    await writer.drain()
    status_line = await reader.readline()
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    await reader.readexactly(length)
    return int(status_line.split()[1])


def _case_script(number: int):  # type: ignore[no-untyped-def]
    """Endless new cases for one client: open, then a lawful run of events."""
    today = today_in_england()
    stamp = time.time_ns()
    serial = 0
    while True:
        serial += 1
        ref = f"LOAD-{stamp}-{number}-{serial}"
        received = today - timedelta(days=100)
        yield "other", ("POST", "/cases", {"case_ref": ref})
        for event in (
            {"type": "request_received", "on": received, "requester": "parent"},
            {"type": "decision_to_assess", "on": received + timedelta(30), "outcome": "assess"},
            {"type": "advice_requested", "on": received + timedelta(31), "provider": "health"},
            {"type": "advice_requested", "on": received + timedelta(31), "provider": "education"},
            {"type": "advice_received", "on": received + timedelta(60), "provider": "health"},
            {"type": "draft_plan_issued", "on": received + timedelta(90)},
        ):
            body = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in event.items()}
            yield "record", ("POST", f"/cases/{ref}/events", body)


def _percentiles(name: str, values: list[float]) -> dict[str, str]:
    if not values:
        return {f"{name}_count": "0"}
    values = sorted(values)
    pick = lambda share: values[min(len(values) - 1, int(len(values) * share))]  # noqa: E731
    return {f"{name}_count": str(len(values)),
            f"{name}_p50_ms": f"{statistics.median(values):.1f}",
            f"{name}_p95_ms": f"{pick(0.95):.1f}", f"{name}_p99_ms": f"{pick(0.99):.1f}"}
