"""Bearer tokens per deployment: stored hashed (SHA-256) with a role, a name, a team, the day
made and the day they expire; revoked tokens stay listed (who had access, and until when).

Roles and what they may do (least privilege):
- caseworker: open cases, record and correct events, read cases of their own team;
- manager: read every case, caseloads, forecasts, KPIs, exports; reassign caseworkers;
- board: aggregates only (KPIs, forecasts as counts and percentages, plan status);
- auditor: read-only, any case's full history, replays, exports.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from domain.text import TextRefused, clean_text
from projections.files import private_file
from service.settings import StoreSettings

ROLES = ("caseworker", "manager", "board", "auditor")
DEFAULT_DAYS = 90  # a token lasts this long unless `ehc tokens add --days N` says otherwise
MAX_DAYS = 366 * 2
ID_LENGTH = 12  # a token's public id: the start of its hash (names it in lists and revoking)


def _today() -> date:
    return datetime.now(ZoneInfo("Europe/London")).date()


@dataclass(frozen=True)
class Principal:
    role: str
    name: str
    team: str | None = None

    def works_on(self, case_team: str | None) -> bool:
        """Caseworkers work on their own team's cases only: a caseworker without a team, or
        a case not yet given one (a manager assigns it), is no caseworker's case."""
        return self.role != "caseworker" or (self.team is not None and case_team == self.team)

    def own_caseload(self, caseworker: str | None = None) -> tuple[str, str]:
        """(caseworker, team) a caseworker's caseload view is filtered by: their own name, or
        a team-mate's, always within their own team (a case reassigned to another team leaves
        it); "" matches no team."""
        return caseworker or self.name, self.team or ""


@dataclass(frozen=True)
class TokenInfo:
    """A token as `ehc tokens list` shows it: never the secret, nor its hash."""

    id: str
    role: str
    name: str
    team: str | None
    made: str | None
    expires: str | None
    revoked: str | None
    demo: bool

    def state(self, today: date) -> str:
        if self.revoked:
            return f"revoked {self.revoked}"
        if self.expires is None:
            return "no expiry (made before tokens expired): revoke it and make a new one"
        if date.fromisoformat(self.expires) < today:
            return f"expired {self.expires}"
        return f"valid to {self.expires}"


def tokens_path(settings: StoreSettings) -> Path:
    """EHC_TOKENS_FILE, else tokens.json beside the data."""
    configured = os.environ.get("EHC_TOKENS_FILE")
    return Path(configured) if configured else settings.data_dir / "tokens.json"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    """A JSON file of hashed tokens; the plain token is shown once, when it is made. Every
    change is made under a lock on a file beside it (read, change, write whole, swap in), so
    two `ehc tokens add` at once both keep their token."""

    def __init__(self, path: Path, today: Callable[[], date] = _today) -> None:
        self.path = path
        self.today = today
        self._entries: dict[str, dict] = {}
        self._read_version: tuple[int, int, int] | None = None
        self._reload()

    def _reload(self) -> None:
        """Read the file again if it changed (`ehc tokens add` while the server runs): a
        stat per request, so a new token works at once and a revoked one stops."""
        try:
            status = self.path.stat()
        except FileNotFoundError:
            self._entries, self._read_version = {}, None
            return
        version = (status.st_mtime_ns, status.st_size, status.st_ino)
        if version != self._read_version:
            self._entries, self._read_version = json.loads(self.path.read_text()), version

    def add(self, role: str, name: str, team: str | None = None, demo: bool = False,
            days: int = DEFAULT_DAYS) -> str:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if role == "caseworker" and not team:
            raise ValueError("a caseworker token needs a team (--team): caseworkers work on "
                             "their own team's cases only")
        if not 1 <= days <= MAX_DAYS:
            raise ValueError(f"a token lasts 1 to {MAX_DAYS} days, not {days}")
        name = _checked(name, "the token's name")
        team = None if team is None else _checked(team, "the team's name")
        token = f"ehc_{secrets.token_urlsafe(24)}"
        today = self.today()
        with self._changing():
            self._entries[hash_token(token)] = {
                "role": role, "name": name, "team": team, "demo": demo,
                "made": today.isoformat(), "expires": (today + timedelta(days)).isoformat()}
        return token

    def revoke(self, token_id: str) -> TokenInfo:
        """Revoke the token whose id (from `list`) is `token_id`; it stops at once."""
        with self._changing():
            found = [h for h in self._entries if h.startswith(token_id.lower())]
            if len(token_id) < 6 or len(found) != 1:
                raise KeyError(f"no single token has the id {token_id!r}: see ehc tokens list")
            self._entries[found[0]]["revoked"] = self.today().isoformat()
        return self._info(found[0])

    def remove_demo(self) -> None:
        with self._changing():
            self._entries = {h: e for h, e in self._entries.items() if not e.get("demo")}

    def list(self) -> list[TokenInfo]:
        self._reload()
        return sorted((self._info(h) for h in self._entries),
                      key=lambda t: (t.made or "", t.name))

    def principal(self, token: str) -> Principal | None:
        self._reload()
        return self._valid(self._entries.get(hash_token(token)))

    def _valid(self, entry: dict | None) -> Principal | None:
        """The entry's holder, unless it is unknown, revoked or expired."""
        if entry is None or entry.get("revoked"):
            return None
        expires = entry.get("expires")
        if expires is not None and date.fromisoformat(expires) < self.today():
            return None
        return Principal(entry["role"], entry["name"], entry.get("team"))

    def principal_by_hash(self, digest: str) -> Principal | None:
        """The holder of a token known by its hash (a page session keeps only the hash),
        while the token is neither expired nor revoked."""
        self._reload()
        return self._valid(self._entries.get(digest))

    def teams(self) -> list[str]:
        """Every team a token names, for the pages' lists of teams."""
        self._reload()
        return sorted({e["team"] for e in self._entries.values() if e.get("team")})

    def _info(self, token_hash: str) -> TokenInfo:
        entry = self._entries[token_hash]
        return TokenInfo(token_hash[:ID_LENGTH], entry["role"], entry["name"],
                         entry.get("team"), entry.get("made"), entry.get("expires"),
                         entry.get("revoked"), bool(entry.get("demo")))

    @contextmanager
    def _changing(self) -> Iterator[None]:
        """Read the file afresh, let the caller change the entries, write them: all under an
        exclusive lock, so changes made at once by several processes all survive."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock = private_file(self.path.with_name(f".{self.path.name}.lock"))
        with open(lock, "ab") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            self._read_version = None
            self._reload()
            yield
            self._save()

    def _save(self) -> None:
        """Written whole (0600) and swapped in, so a server reading it never sees half a
        file."""
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}.partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(json.dumps(self._entries, indent=1))
        os.chmod(partial, 0o600)
        os.replace(partial, self.path)


def _checked(text: str, words: str) -> str:
    try:
        return clean_text(text, words)
    except TextRefused as error:
        raise ValueError(str(error)) from None
