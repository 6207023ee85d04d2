"""Bearer tokens per deployment: stored hashed (SHA-256) with a role, a name and a team.

Roles and what they may do (least privilege):
- caseworker: open cases, record and correct events, read cases of their own team;
- manager: read every case, caseloads, forecasts, KPIs, exports; reassign caseworkers;
- board: aggregates only (KPIs, forecasts as counts and percentages, plan status);
- auditor: read-only, any case's full history, replays, exports.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

from service.settings import StoreSettings

ROLES = ("caseworker", "manager", "board", "auditor")


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


def tokens_path(settings: StoreSettings) -> Path:
    """EHC_TOKENS_FILE, else tokens.json beside the data."""
    configured = os.environ.get("EHC_TOKENS_FILE")
    return Path(configured) if configured else settings.data_dir / "tokens.json"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    """A JSON file of hashed tokens; the plain token is shown once, when it is made."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, dict] = {}
        self._read_version: tuple[int, int] | None = None
        self._reload()

    def _reload(self) -> None:
        """Read the file again if it changed (`ehc tokens add` while the server runs): a
        stat per request, so a new token works at once and a removed one stops."""
        try:
            status = self.path.stat()
        except FileNotFoundError:
            self._entries, self._read_version = {}, None
            return
        version = (status.st_mtime_ns, status.st_size)
        if version != self._read_version:
            self._entries, self._read_version = json.loads(self.path.read_text()), version

    def add(self, role: str, name: str, team: str | None = None, demo: bool = False) -> str:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if role == "caseworker" and not team:
            raise ValueError("a caseworker token needs a team (--team): caseworkers work on "
                             "their own team's cases only")
        token = f"ehc_{secrets.token_urlsafe(24)}"
        self._reload()  # keep what another process added meanwhile
        self._entries[hash_token(token)] = {**asdict(Principal(role, name, team)), "demo": demo}
        self._save()
        return token

    def remove_demo(self) -> None:
        self._reload()
        self._entries = {h: e for h, e in self._entries.items() if not e.get("demo")}
        self._save()

    def principal(self, token: str) -> Principal | None:
        self._reload()
        entry = self._entries.get(hash_token(token))
        if entry is None:
            return None
        return Principal(entry["role"], entry["name"], entry.get("team"))

    def principal_by_hash(self, digest: str) -> Principal | None:
        """The holder of a token known by its hash (a page session keeps only the hash)."""
        self._reload()
        entry = self._entries.get(digest)
        return None if entry is None else Principal(entry["role"], entry["name"],
                                                    entry.get("team"))

    def teams(self) -> list[str]:
        """Every team a token names, for the pages' lists of teams."""
        self._reload()
        return sorted({e["team"] for e in self._entries.values() if e.get("team")})

    def _save(self) -> None:
        """Written whole and swapped in, so a server reading it never sees half a file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}.partial")
        partial.write_text(json.dumps(self._entries, indent=1))
        partial.chmod(0o600)
        os.replace(partial, self.path)
