"""Signing in to the pages: a server-side session per sign-in.

The browser holds only a random session id (HttpOnly, SameSite=Strict, Secure over TLS); the
server keeps, under the id's hash, the hash of the token that signed in (so removing the token
ends its sessions at once), a CSRF token for the forms, and a one-time message for the next
page. Sessions end on sign-out, after IDLE without a request, and LIFETIME after sign-in.
They live in a small SQLite file beside the tokens file, shared by every server worker.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request

from service.tokens import Principal, hash_token

COOKIE = "ehc_session"
CSRF_FIELD = "csrf_token"
IDLE_S = 2 * 3600
LIFETIME_S = 12 * 3600
TOUCH_EVERY_S = 60  # a page view refreshes the idle clock at most once a minute
HOMES = {"caseworker": "/app/caseload", "manager": "/app/dashboard", "board": "/app/board",
         "auditor": "/app/caseload"}


class SignInRequired(Exception):
    pass


class NotAllowed(Exception):
    pass


class PageNotFound(Exception):
    def __init__(self, title: str, message: str) -> None:
        super().__init__(message)
        self.title, self.message = title, message


class FormExpired(Exception):
    """A form posted without this session's CSRF token (another site's, or a stale page)."""


@dataclass(frozen=True)
class Session:
    key: str  # the hash of the cookie's id
    token_hash: str
    csrf: str
    seen: float
    flash: dict[str, Any] | None


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class SessionStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS web_session (key TEXT PRIMARY KEY, "
                       "token_hash TEXT NOT NULL, csrf TEXT NOT NULL, created REAL NOT NULL, "
                       "seen REAL NOT NULL, flash TEXT)")
        path.chmod(0o600)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """A connection per use: the server's handler threads never share one."""
        connection = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            yield connection
        finally:
            connection.close()

    def create(self, token: str) -> str:
        """A new session for `token`; returns the id for the cookie (never stored)."""
        session_id = secrets.token_urlsafe(32)
        now = time.time()
        with self._db() as db:
            db.execute("DELETE FROM web_session WHERE seen < ? OR created < ?",
                       (now - IDLE_S, now - LIFETIME_S))
            db.execute("INSERT INTO web_session VALUES (?, ?, ?, ?, ?, NULL)",
                       (_digest(session_id), hash_token(token), secrets.token_urlsafe(32),
                        now, now))
        return session_id

    def find(self, session_id: str) -> Session | None:
        key, now = _digest(session_id), time.time()
        with self._db() as db:
            row = db.execute("SELECT token_hash, csrf, created, seen, flash FROM web_session "
                             "WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            token_hash, csrf, created, seen, flash = row
            if seen < now - IDLE_S or created < now - LIFETIME_S:
                db.execute("DELETE FROM web_session WHERE key = ?", (key,))
                return None
            if seen < now - TOUCH_EVERY_S:
                db.execute("UPDATE web_session SET seen = ? WHERE key = ?", (now, key))
        return Session(key, token_hash, csrf, seen, json.loads(flash) if flash else None)

    def end(self, session_id: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM web_session WHERE key = ?", (_digest(session_id),))

    def set_flash(self, session: Session, message: Mapping[str, Any]) -> None:
        with self._db() as db:
            db.execute("UPDATE web_session SET flash = ? WHERE key = ?",
                       (json.dumps(dict(message)), session.key))

    def take_flash(self, session: Session) -> dict[str, Any] | None:
        """The one-time message for the next page, removed as it is read."""
        if session.flash is None:
            return None
        with self._db() as db:
            db.execute("UPDATE web_session SET flash = NULL WHERE key = ?", (session.key,))
        return session.flash


def sessions(request: Request) -> SessionStore:
    return request.app.state.web_sessions


def current_session(request: Request) -> Session | None:
    """The request's session, looked up once per request."""
    if "web_session" not in request.scope:
        session_id = request.cookies.get(COOKIE, "")
        request.scope["web_session"] = sessions(request).find(session_id) if session_id else None
    return request.scope["web_session"]


def current_user(request: Request) -> Principal:
    session = current_session(request)
    tokens = request.app.state.services.tokens
    found = tokens.principal_by_hash(session.token_hash) if session else None
    if found is None:
        raise SignInRequired
    return found


def require(request: Request, *roles: str) -> Principal:
    who = current_user(request)
    if who.role not in roles:
        raise NotAllowed
    return who


def check_csrf(request: Request, form: Mapping[str, Any]) -> None:
    """Every state-changing form carries the session's token (compared in constant time)."""
    session = current_session(request)
    sent = str(form.get(CSRF_FIELD, ""))
    if session is None or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
        raise FormExpired


def csrf_token(request: Request) -> str:
    session = current_session(request)
    return session.csrf if session else ""


def is_tls(request: Request) -> bool:
    """The request came over TLS: https itself, or X-Forwarded-Proto: https from a proxy that
    uvicorn trusts (FORWARDED_ALLOW_IPS, 127.0.0.1 unless set), which sets the scheme."""
    return request.url.scheme == "https"
