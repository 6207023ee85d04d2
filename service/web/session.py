"""Signing in to the pages with a token: the token rides in an HttpOnly, SameSite=Strict
cookie (so forms cannot be posted from another site), checked against the hashed store on
every request, exactly like the API's bearer header."""

from __future__ import annotations

from fastapi import Request

from service.tokens import Principal

COOKIE = "ehc_token"
HOMES = {"caseworker": "/app/caseload", "manager": "/app/dashboard", "board": "/app/board",
         "auditor": "/app/caseload"}


class SignInRequired(Exception):
    pass


class NotAllowed(Exception):
    pass


def current_user(request: Request) -> Principal:
    token = request.cookies.get(COOKIE, "")
    found = request.app.state.services.tokens.principal(token) if token else None
    if found is None:
        raise SignInRequired
    return found


def require(request: Request, *roles: str) -> Principal:
    who = current_user(request)
    if who.role not in roles:
        raise NotAllowed
    return who
