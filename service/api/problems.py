"""Errors as RFC 9457 problem details (application/problem+json), each naming its rule."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.errors import RuleBroken
from service.application import (
    CaseExists,
    CaseNotFound,
    IdempotencyKeyReused,
    VersionConflict,
)

PROBLEM_JSON = "application/problem+json"
HTTP_RULES = {400: "malformed_request", 404: "not_found", 405: "method_not_allowed"}
log = logging.getLogger("ehc.api")


class Problem(Exception):
    def __init__(self, status: int, title: str, detail: str, rule: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.rule = status, title, detail, rule
        self.headers = headers or {}


def problem_response(status: int, title: str, detail: str, rule: str | None = None,
                     headers: dict[str, str] | None = None, **extra: object) -> JSONResponse:
    body = {"type": f"https://ehc-timeline.invalid/problems/{rule or status}", "title": title,
            "status": status, "detail": detail, **extra}
    if rule:
        body["rule"] = rule
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(_: Request, error: Problem) -> JSONResponse:
        return problem_response(error.status, error.title, error.detail, error.rule,
                                error.headers)

    @app.exception_handler(RuleBroken)
    async def _rule(_: Request, error: RuleBroken) -> JSONResponse:
        return problem_response(422, "Event refused", error.message, error.rule)

    @app.exception_handler(VersionConflict)
    async def _conflict(_: Request, error: VersionConflict) -> JSONResponse:
        return problem_response(409, "Version conflict", str(error), "version_conflict",
                                current_version=error.actual)

    @app.exception_handler(IdempotencyKeyReused)
    async def _key_reused(_: Request, error: IdempotencyKeyReused) -> JSONResponse:
        return problem_response(422, "Idempotency key reused", str(error),
                                "idempotency_key_reused")

    @app.exception_handler(CaseExists)
    async def _exists(_: Request, error: CaseExists) -> JSONResponse:
        return problem_response(409, "Case already open", "a case with this reference is "
                                "already open", "case_exists")

    @app.exception_handler(CaseNotFound)
    async def _missing(_: Request, error: CaseNotFound) -> JSONResponse:
        return problem_response(404, "Not found", "no such case", "not_found")

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        refused = _unauthorised(request)
        if refused is not None:
            return refused
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc'])}: {item['msg']}" for item in error.errors())
        return problem_response(422, "Invalid request", problems, "invalid_request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        if error.status_code == 400:  # a body FastAPI could not parse (deep, not UTF-8, ...)
            refused = _unauthorised(request)
            if refused is not None:
                return refused
        rule = HTTP_RULES.get(error.status_code, "http_error")
        return problem_response(error.status_code, str(error.detail), str(error.detail), rule,
                                headers=getattr(error, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        route = request.scope.get("route")
        log.error("unexpected %s on %s", type(error).__name__, getattr(route, "path", "?"))
        return problem_response(500, "Internal error", "the server could not complete this")


def _unauthorised(request: Request) -> JSONResponse | None:
    """FastAPI parses a body before it runs the route's dependencies, so a malformed body
    would answer 422 to anyone; who may call the route is settled first (401, then 403)."""
    roles = _roles(getattr(request.scope.get("route"), "dependant", None))
    if roles is None:
        return None  # an open route (health, documentation)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    tokens = request.app.state.services.tokens
    who = tokens.principal(token) if scheme.lower() == "bearer" else None
    if who is None:
        return problem_response(401, "Unauthorized", "send a valid bearer token", "unauthorized",
                                {"WWW-Authenticate": "Bearer"})
    if who.role not in roles:
        return problem_response(403, "Forbidden", f"the {who.role} role cannot do this",
                                "forbidden")
    return None


def _roles(dependant: Any) -> tuple[str, ...] | None:
    """The roles an `allow(...)` dependency of the route admits, if it has one."""
    for dependency in getattr(dependant, "dependencies", ()):
        roles = getattr(dependency.call, "roles", None) or _roles(dependency)
        if roles:
            return roles
    return None
