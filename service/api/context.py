"""What every request needs: the application, the projection, tokens and the clock; plus
authentication, the body-size limit and an access log without child identifiers."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from projections.read_store import ProjectionBusy, ReadStore
from projections.runner import TimelineProjection
from service.api.heavy import HeavyPool
from service.api.problems import Problem, problem_response
from service.application import EhcApplication
from service.settings import StoreSettings
from service.tokens import Principal, TokenStore

MAX_BODY_BYTES = 64 * 1024
# The managers' import page takes a whole extract; its own limit (the importer's file limit
# and a little for the form around it), and a declared length only.
IMPORT_UPLOAD_PATH = "/app/import"
IMPORT_API_PREFIX = "/imports/"
IMPORT_UPLOAD_BYTES = 150 * 1024 * 1024 + 64 * 1024
CATCH_UP_WAIT_S = 10.0  # another writer's batch takes well under this
HEALTH_WAIT_S = 0.5
STUCK_AFTER_S = 120.0  # behind the events, without moving, for longer: unhealthy
log = logging.getLogger("ehc.health")
access_log = logging.getLogger("ehc.access")
T = TypeVar("T")


@dataclass
class Services:
    application: EhcApplication
    projection: TimelineProjection
    tokens: TokenStore
    today: Callable[[], date]
    settings: StoreSettings
    heavy: HeavyPool | None = None  # made beside the data when not given
    read_lock: threading.Lock = field(default_factory=threading.Lock)
    stuck_after: float = STUCK_AFTER_S
    clock: Callable[[], float] = time.monotonic
    projection_failure: str | None = None
    _progress: tuple[int, float] = (-1, 0.0)  # (position, when it was first seen)

    def __post_init__(self) -> None:
        if self.heavy is None:
            self.heavy = HeavyPool(self.settings.data_dir)

    async def read(self, work: Callable[[], T]) -> T:
        """A short read of one case. On SQLite it runs on the event loop: a few hundred
        microseconds of local file reads cost less than the trip through the thread pool
        (a timeline read went from 1.8 to 1.0-1.4 ms of server CPU on this machine). On
        PostgreSQL it runs in the pool, so waits on the network or for a connection never
        stall the loop."""
        if self.settings.backend == "sqlite":
            return work()
        return await run_in_threadpool(work)

    def read_models(self) -> ReadStore:
        """The read store, caught up with the event log (call under `read_lock`). While
        another process rebuilds it (`ehc rebuild`), half-built figures are refused: 503; so
        are figures the projection cannot bring up to date (it fails on an event)."""
        try:
            self.projection.catch_up(wait=CATCH_UP_WAIT_S)
        except ProjectionBusy:
            if self.projection.store.tracking().rebuild_target is not None:
                raise Problem(503, "Read models are being rebuilt", "the read models are being "
                              "rebuilt from the events: try again in a minute", "rebuilding",
                              {"Retry-After": "60"}) from None
            # Another process is applying the same events: serve what is there.
        except Exception as error:
            self.projection_failure = _failure(error, self.projection.store.tracking())
            raise Problem(503, "Read models cannot be brought up to date",
                          self.projection_failure, "projection_failed") from None
        self.projection_failure = None
        return self.projection.store

    def projection_health(self) -> tuple[bool, dict[str, Any]]:
        """(healthy, details): unhealthy when the projection fails on an event, or another
        writer holds it behind the events for longer than `stuck_after` seconds. Call under
        `read_lock`. Figures only: no case reference."""
        try:
            self.projection.catch_up(wait=HEALTH_WAIT_S)
        except ProjectionBusy:
            pass  # another process is writing: judged below by whether it gets anywhere
        except Exception as error:
            self.projection_failure = _failure(error, self.projection.store.tracking())
            return False, {"reason": self.projection_failure}
        else:
            self.projection_failure = None
        tracking = self.projection.store.tracking()
        latest = self.projection.source.max_position()
        details: dict[str, Any] = {"projection_position": tracking.position,
                                   "events": latest}
        if tracking.rebuild_target is not None:
            details["rebuilding"] = True
        behind = tracking.rebuild_target is None and tracking.position < latest
        now = self.clock()
        if not behind or self._progress[0] != tracking.position:
            self._progress = (tracking.position, now)
            return True, details
        waited = now - self._progress[1]
        if waited > self.stuck_after:
            details["reason"] = (f"the read models have been {latest - tracking.position} "
                                 f"events behind for {waited:.0f} s: their writer is stuck")
            return False, details
        return True, details


def _failure(error: Exception, tracking: Any) -> str:
    """What /health and the read routes say when the projection fails: where, and the kind
    of error (its text could quote a child's data, so it goes to no one)."""
    log.error("projection failed after position %s: %s", tracking.position,
              type(error).__name__)
    return (f"the read models cannot take the events after position {tracking.position} "
            f"({type(error).__name__}): see the server's log, fix the cause, then ehc rebuild")


def json_response(body: Any, status_code: int = 200,
                  headers: dict[str, str] | None = None) -> Response:
    """JSON encoded once, by orjson: the hot endpoints skip FastAPI's generic encoder."""
    return Response(orjson.dumps(body), status_code=status_code, headers=headers,
                    media_type="application/json")


async def services(request: Request) -> Services:
    """Dependencies are async: cheap and non-blocking, so they run on the event loop rather
    than each taking a trip through the thread pool."""
    return request.app.state.services


BEARER = HTTPBearer(auto_error=False, description="a token from `ehc tokens add`")


async def principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> Principal:
    """The token's holder. Declared as an HTTP bearer security scheme, so the OpenAPI
    document says how to authenticate and /docs offers "Authorize"."""
    tokens = request.app.state.services.tokens
    found = tokens.principal(credentials.credentials) if credentials is not None else None
    if found is None:
        raise Problem(401, "Unauthorized", "send a valid bearer token", "unauthorized",
                      {"WWW-Authenticate": "Bearer"})
    return found


def allow(*roles: str) -> Callable[..., Principal]:
    """A dependency admitting only `roles` (403 for any other valid token)."""

    async def check(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if who.role not in roles:
            raise Problem(403, "Forbidden", f"the {who.role} role cannot do this", "forbidden")
        return who

    check.roles = roles  # type: ignore[attr-defined]  # read when a body fails to parse
    return check


class HttpMiddleware:
    """ASGI middleware base: HTTP requests go to `handle`; other scopes (lifespan) pass."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "http":
            await self.handle(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def handle(self, scope: dict, receive: Callable, send: Callable) -> None:
        raise NotImplementedError


class BodyLimit(HttpMiddleware):
    """Refuse bodies over MAX_BODY_BYTES (declared or streamed) with 413."""

    async def handle(self, scope: dict, receive: Callable, send: Callable) -> None:
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        path = str(scope.get("path", ""))
        if scope.get("method") == "POST" and (
                path == IMPORT_UPLOAD_PATH or path.startswith(IMPORT_API_PREFIX)):
            await self._upload(scope, receive, send, declared)
            return
        if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            await _too_large(scope, receive, send)
            return
        if b"chunked" not in headers.get(b"transfer-encoding", b"").lower():
            await self.app(scope, receive, send)  # no body, or no more than declared
            return
        # Streamed (chunked) bodies are read here first, up to the limit, so an oversized one
        # is a 413 before any route parses it (a parser would call it malformed: 400).
        messages, seen = [], 0
        while True:
            message = await receive()
            messages.append(message)
            seen += len(message.get("body", b""))
            if seen > MAX_BODY_BYTES:
                await _too_large(scope, receive, send)
                return
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        replay = iter(messages)

        async def replayed() -> dict:
            return next(replay, None) or await receive()

        await self.app(scope, replayed, send)


    async def _upload(self, scope: dict, receive: Callable, send: Callable,
                      declared: bytes | None) -> None:
        """An import upload: its declared length within its own limit (a browser always
        declares a form's length); streamed on to the page, which spools it to disk. A body
        longer than it declared is cut off by the server (h11 refuses it)."""
        if declared is None or not declared.isdigit():
            response = problem_response(411, "Length required", "an upload must declare its "
                                        "Content-Length", "length_required")
            await response(scope, receive, send)
        elif int(declared) > IMPORT_UPLOAD_BYTES:
            await _too_large(scope, receive, send, IMPORT_UPLOAD_BYTES)
        else:
            await self.app(scope, receive, send)


async def _too_large(scope: dict, receive: Callable, send: Callable,
                     limit: int = MAX_BODY_BYTES) -> None:
    response = problem_response(413, "Request too large",
                                f"bodies are limited to {limit} bytes", "too_large")
    await response(scope, receive, send)


class AccessLog(HttpMiddleware):
    """Logs method, route template (never the path: it holds case references), status and
    time taken."""

    async def handle(self, scope: dict, receive: Callable, send: Callable) -> None:
        started = time.perf_counter()
        status = [500]

        async def capture(message: dict) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = scope.get("route")
            access_log.info("%s %s %s %.1fms", scope["method"],
                            getattr(route, "path", "(unmatched)"), status[0],
                            (time.perf_counter() - started) * 1000)
