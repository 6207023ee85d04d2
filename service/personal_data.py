"""Children's personal data at rest: a key per person, keyed hashes for search, pseudonyms,
and the audit store. Nothing here is the event cipher (`EHC_CIPHER_KEY`): personal fields are
sealed with keys of their own, so destroying one person's key erases that person
(crypto-shredding) while every event, and every case's timeline, stays.

Keys: one master key (`EHC_PERSON_KEY`, or a key file made on first use beside the data)
gives three sub-keys (HMAC-SHA256 of a label): one wraps each person's random data key, one
makes the search hashes, one the SEN2 pseudonyms. Wrapped keys, erasure tombstones, search
hashes, case links and the audit trail live in the personal store: SQLite `personal.sqlite`
beside the events, or tables `ehc_person_key`, `ehc_person_term`, `ehc_person_case`,
`ehc_audit` in the PostgreSQL database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from service.settings import StoreSettings

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
DEFAULT_RETENTION_YEARS = 31  # the usual local-authority schedule for SEN files: DOB + 31


def seal(key: bytes, plaintext: bytes) -> bytes:
    """AES-256-GCM: nonce, tag, ciphertext (the layout of the library's AESCipher). OpenSSL's
    AES-GCM (the `cryptography` package): 7 us an operation here against 230 us for
    pycryptodome's, which matters when an export opens 60,000 children."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext, None)
    return nonce + sealed[-TAG_BYTES:] + sealed[:-TAG_BYTES]


def unseal(key: bytes, sealed: bytes) -> bytes:
    nonce, tag = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:NONCE_BYTES + TAG_BYTES]
    return AESGCM(key).decrypt(nonce, sealed[NONCE_BYTES + TAG_BYTES:] + tag, None)


def new_master_key() -> str:
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


@dataclass(frozen=True)
class MasterKey:
    """The personal-data master key and the sub-keys derived from it."""

    secret: bytes

    @classmethod
    def from_text(cls, text: str) -> MasterKey:
        secret = base64.b64decode(text.strip().encode())
        if len(secret) not in (16, 24, 32):
            raise ValueError("EHC_PERSON_KEY must be 16, 24 or 32 bytes, base64-encoded")
        return cls(secret)

    def _derive(self, label: str) -> bytes:
        return hmac.new(self.secret, label.encode(), hashlib.sha256).digest()

    @property
    def wrapping(self) -> bytes:
        return self._derive("ehc person key wrapping")

    @property
    def searching(self) -> bytes:
        return self._derive("ehc person search terms")

    @property
    def pseudonyms(self) -> bytes:
        return self._derive("ehc sen2 pseudonyms")


def master_key(settings: StoreSettings, environ: Mapping[str, str] | None = None) -> MasterKey:
    """EHC_PERSON_KEY if set; else the key file beside the data (EHC_PERSON_KEY_FILE, default
    `$EHC_DATA_DIR/person.key`), made on first use, readable by its owner only."""
    environ = os.environ if environ is None else environ
    if environ.get("EHC_PERSON_KEY"):
        return MasterKey.from_text(environ["EHC_PERSON_KEY"])
    path = Path(environ.get("EHC_PERSON_KEY_FILE") or settings.data_dir / "person.key")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(new_master_key() + "\n")
    return MasterKey.from_text(path.read_text())


def retention_years(environ: Mapping[str, str] | None = None) -> int:
    environ = os.environ if environ is None else environ
    years = int(environ.get("EHC_RETENTION_YEARS") or DEFAULT_RETENTION_YEARS)
    if years < 1:
        raise ValueError("EHC_RETENTION_YEARS must be at least 1")
    return years


def term_digest(key: bytes, field: str, folded: str) -> str:
    """A keyed hash of one search term: equal inputs match; without the key the index says
    nothing (no plaintext, and no dictionary attack on dates of birth)."""
    return hmac.new(key, f"{field}\x1f{folded}".encode(), hashlib.sha256).hexdigest()[:32]


def pseudonym(key: bytes, value: str) -> str:
    """A stable stand-in for an identifier in exports for those who may not see it."""
    return "X" + hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:15].upper()


@dataclass(frozen=True)
class AuditEntry:
    at: str
    actor: str
    role: str
    action: str
    person_id: str | None
    detail: str


@dataclass(frozen=True)
class Tombstone:
    person_id: str
    erased_on: str
    erased_by: str


SCHEMA = (
    "CREATE TABLE IF NOT EXISTS ehc_person_key (person_id TEXT PRIMARY KEY, wrapped {blob}, "
    "erased_on TEXT, erased_by TEXT)",
    "CREATE TABLE IF NOT EXISTS ehc_person_term (digest TEXT NOT NULL, person_id TEXT NOT NULL,"
    " PRIMARY KEY (digest, person_id))",
    "CREATE INDEX IF NOT EXISTS ehc_person_term_person ON ehc_person_term (person_id)",
    "CREATE TABLE IF NOT EXISTS ehc_person_case (case_ref TEXT PRIMARY KEY, "
    "person_id TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ehc_person_case_person ON ehc_person_case (person_id)",
    "CREATE TABLE IF NOT EXISTS ehc_audit (id {serial}, at TEXT NOT NULL, actor TEXT NOT NULL,"
    " role TEXT NOT NULL, action TEXT NOT NULL, person_id TEXT, detail TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ehc_audit_person ON ehc_audit (person_id)",
)
PERSONAL_TABLES = ("ehc_person_key", "ehc_person_term", "ehc_person_case", "ehc_audit")


class PersonalStore:
    """The personal store on SQLite or PostgreSQL: one connection, statements written with
    `?` placeholders (translated for psycopg), each call its own transaction."""

    def __init__(self, settings: StoreSettings, master: MasterKey) -> None:
        self.master = master
        self._wrapping = master.wrapping
        self.search_key = master.searching
        self.pseudonym_key = master.pseudonyms
        self.backend = settings.backend
        self._lock = threading.Lock()
        self._unwrapped: dict[bytes, bytes] = {}
        if self.backend == "postgres":
            self._connection: Any = psycopg.connect(settings.postgres_conninfo(),
                                                    autocommit=True)
            blob, serial = "BYTEA", "BIGSERIAL PRIMARY KEY"
        else:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            self._connection = sqlite3.connect(settings.data_dir / "personal.sqlite",
                                               check_same_thread=False, isolation_level=None,
                                               timeout=30)
            self._connection.execute("PRAGMA journal_mode=WAL")
            # WAL with NORMAL: a commit survives the process dying; only a power cut can
            # lose the last commits (SQLite's advice for WAL; FULL costs an fsync a read).
            self._connection.execute("PRAGMA synchronous=NORMAL")
            blob, serial = "BLOB", "INTEGER PRIMARY KEY AUTOINCREMENT"
        with self._transaction() as run:
            for statement in SCHEMA:
                run(statement.format(blob=blob, serial=serial))

    def close(self) -> None:
        self._connection.close()

    @contextmanager
    def _transaction(self) -> Iterator[_Run]:
        """One transaction: yields a runner for statements and batches of rows."""
        with self._lock:
            if self.backend == "postgres":
                with self._connection.transaction(), self._connection.cursor() as cursor:
                    yield _Run(cursor, postgres=True)
                return
            cursor = self._connection.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                yield _Run(cursor, postgres=False)
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")

    def _many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if rows:
            with self._transaction() as run:
                run.many(sql, rows)

    def _all(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple]:
        """A read: one statement, no write transaction (a search must not queue behind
        writers for SQLite's write lock)."""
        with self._lock:
            if self.backend == "postgres":
                with self._connection.cursor() as cursor:
                    cursor.execute(sql.replace("?", "%s"), parameters)
                    return list(cursor.fetchall())
            return self._connection.execute(sql, parameters).fetchall()

    # Keys -----------------------------------------------------------------------------

    def new_key(self, person_id: str) -> bytes:
        """A fresh data key for a new person, stored wrapped; the same key if the person
        already has one (a retried registration)."""
        key = secrets.token_bytes(KEY_BYTES)
        with self._transaction() as run:
            row = run("SELECT wrapped, erased_on FROM ehc_person_key WHERE person_id = ?",
                      (person_id,)).fetchone()
            if row is not None:
                if row[1] is not None:
                    raise PersonErased(person_id)
                return unseal(self._wrapping, bytes(row[0]))
            run("INSERT INTO ehc_person_key (person_id, wrapped) VALUES (?, ?)",
                (person_id, seal(self._wrapping, key)))
        return key

    def new_keys(self, person_ids: Sequence[str]) -> dict[str, bytes]:
        """Fresh data keys for many new people, in one transaction."""
        keys = {person_id: secrets.token_bytes(KEY_BYTES) for person_id in person_ids}
        self._many("INSERT INTO ehc_person_key (person_id, wrapped) VALUES (?, ?)",
                   [(person_id, seal(self._wrapping, key)) for person_id, key in keys.items()])
        return keys

    def key(self, person_id: str) -> bytes | None:
        return self.keys([person_id]).get(person_id)

    def keys(self, person_ids: Sequence[str]) -> dict[str, bytes]:
        """Data keys of the people named that still have one (erased people have none).
        Never cached: an erasure by another process takes effect at once."""
        found: dict[str, bytes] = {}
        for start in range(0, len(person_ids), 900):
            chunk = list(person_ids[start:start + 900])
            marks = ",".join("?" * len(chunk))
            for person_id, wrapped in self._all(
                    f"SELECT person_id, wrapped FROM ehc_person_key WHERE person_id IN ({marks})"
                    " AND wrapped IS NOT NULL", chunk):
                found[person_id] = self._unwrap(bytes(wrapped))
        return found

    def _unwrap(self, wrapped: bytes) -> bytes:
        """Unwrapping costs an AES-GCM operation (about 0.1-0.2 ms here), so it is remembered
        by the wrapped bytes themselves: the store is still asked every time, and a key
        destroyed there is never found, whatever is remembered."""
        key = self._unwrapped.get(wrapped)
        if key is None:
            if len(self._unwrapped) >= 20000:
                self._unwrapped.clear()
            key = self._unwrapped[wrapped] = unseal(self._wrapping, wrapped)
        return key

    def all_keys(self) -> dict[str, bytes]:
        return {person_id: unseal(self._wrapping, bytes(wrapped)) for person_id, wrapped in
                self._all("SELECT person_id, wrapped FROM ehc_person_key "
                          "WHERE wrapped IS NOT NULL")}

    def destroy_key(self, person_id: str, on: date, by: str) -> None:
        """Crypto-shredding: the wrapped key is overwritten by a tombstone saying when and
        by whom; the person's search hashes go with it."""
        with self._transaction() as run:
            run("DELETE FROM ehc_person_key WHERE person_id = ?", (person_id,))
            run("INSERT INTO ehc_person_key (person_id, wrapped, erased_on, erased_by) "
                "VALUES (?, NULL, ?, ?)", (person_id, on.isoformat(), by))
            run("DELETE FROM ehc_person_term WHERE person_id = ?", (person_id,))

    def tombstones(self) -> list[Tombstone]:
        return [Tombstone(*row) for row in self._all(
            "SELECT person_id, erased_on, erased_by FROM ehc_person_key "
            "WHERE erased_on IS NOT NULL ORDER BY erased_on, person_id")]

    def export_keys(self) -> list[dict[str, str | None]]:
        """Every wrapped key and tombstone, for a keys backup (still wrapped: useless
        without the master key, which is backed up apart)."""
        return [{"person_id": person_id,
                 "wrapped": None if wrapped is None else base64.b64encode(
                     bytes(wrapped)).decode(),
                 "erased_on": erased_on, "erased_by": erased_by}
                for person_id, wrapped, erased_on, erased_by in self._all(
                    "SELECT person_id, wrapped, erased_on, erased_by FROM ehc_person_key "
                    "ORDER BY person_id")]

    def import_keys(self, rows: Iterable[Mapping[str, Any]]) -> tuple[int, int]:
        """Merge a keys backup: tombstones are added, and a key is restored only for a
        person with no tombstone here, so an old backup never brings an erased person back.
        Returns (keys restored, tombstones added)."""
        restored = tombstoned = 0
        with self._transaction() as run:
            for row in rows:
                current = run("SELECT wrapped, erased_on FROM ehc_person_key WHERE "
                              "person_id = ?", (row["person_id"],)).fetchone()
                if row.get("erased_on"):
                    if current is None or current[1] is None:
                        run("DELETE FROM ehc_person_key WHERE person_id = ?",
                            (row["person_id"],))
                        run("INSERT INTO ehc_person_key (person_id, wrapped, erased_on, "
                            "erased_by) VALUES (?, NULL, ?, ?)",
                            (row["person_id"], row["erased_on"], row.get("erased_by") or ""))
                        tombstoned += 1
                elif current is None:
                    run("INSERT INTO ehc_person_key (person_id, wrapped) VALUES (?, ?)",
                        (row["person_id"], base64.b64decode(row["wrapped"])))
                    restored += 1
        return restored, tombstoned

    # Search terms and case links ------------------------------------------------------

    def digests(self, terms: Mapping[str, str]) -> dict[str, str]:
        return {field: term_digest(self.search_key, field, value)
                for field, value in terms.items()}

    def index_person(self, person_id: str, terms: Mapping[str, str]) -> None:
        """Replace the person's search hashes."""
        with self._transaction() as run:
            run("DELETE FROM ehc_person_term WHERE person_id = ?", (person_id,))
            for digest in set(self.digests(terms).values()):
                run("INSERT INTO ehc_person_term (digest, person_id) VALUES (?, ?)",
                    (digest, person_id))

    def index_many(self, entries: Iterable[tuple[str, Mapping[str, str]]]) -> None:
        self._many("INSERT INTO ehc_person_term (digest, person_id) VALUES (?, ?) "
                   "ON CONFLICT DO NOTHING",
                   ((digest, person_id) for person_id, terms in entries
                    for digest in set(self.digests(terms).values())))

    def find_many(self, terms: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
        """People matching each (field, folded value), in one query."""
        wanted = {term_digest(self.search_key, field, value): (field, value)
                  for field, value in terms}
        found: dict[tuple[str, str], list[str]] = {term: [] for term in wanted.values()}
        if wanted:
            marks = ",".join("?" * len(wanted))
            for digest, person_id in self._all(
                    f"SELECT digest, person_id FROM ehc_person_term WHERE digest IN ({marks}) "
                    "ORDER BY person_id", list(wanted)):
                found[wanted[digest]].append(person_id)
        return found

    def find_both(self, first: tuple[str, str], second: tuple[str, str]) -> list[str]:
        """People matching two terms (a forename and a surname), joined in the database: two
        common names share few people, and only those leave it."""
        return [row[0] for row in self._all(
            "SELECT a.person_id FROM ehc_person_term a JOIN ehc_person_term b "
            "ON b.digest = ? AND b.person_id = a.person_id WHERE a.digest = ? "
            "ORDER BY a.person_id",
            (term_digest(self.search_key, *second), term_digest(self.search_key, *first)))]

    def find(self, field: str, folded: str) -> list[str]:
        digest = term_digest(self.search_key, field, folded)
        return [row[0] for row in self._all(
            "SELECT person_id FROM ehc_person_term WHERE digest = ? ORDER BY person_id",
            (digest,))]

    def link(self, case_ref: str, person_id: str) -> None:
        with self._transaction() as run:
            run("INSERT INTO ehc_person_case (case_ref, person_id) VALUES (?, ?) "
                "ON CONFLICT (case_ref) DO UPDATE SET person_id = excluded.person_id",
                (case_ref, person_id))

    def link_many(self, links: Iterable[tuple[str, str]]) -> None:
        self._many("INSERT INTO ehc_person_case (case_ref, person_id) VALUES (?, ?) "
                   "ON CONFLICT (case_ref) DO UPDATE SET person_id = excluded.person_id",
                   links)

    def person_of(self, case_ref: str) -> str | None:
        rows = self._all("SELECT person_id FROM ehc_person_case WHERE case_ref = ?",
                         (case_ref,))
        return rows[0][0] if rows else None

    def persons_of(self, case_refs: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(case_refs), 900):
            chunk = list(case_refs[start:start + 900])
            marks = ",".join("?" * len(chunk))
            found.update(self._all(f"SELECT case_ref, person_id FROM ehc_person_case WHERE "
                                   f"case_ref IN ({marks})", chunk))
        return found

    def cases_of_many(self, person_ids: Sequence[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {person_id: [] for person_id in person_ids}
        for start in range(0, len(person_ids), 900):
            chunk = list(person_ids[start:start + 900])
            marks = ",".join("?" * len(chunk))
            for case_ref, person_id in self._all(
                    f"SELECT case_ref, person_id FROM ehc_person_case WHERE person_id IN "
                    f"({marks}) ORDER BY case_ref", chunk):
                found[person_id].append(case_ref)
        return found

    def cases_of(self, person_id: str) -> list[str]:
        return [row[0] for row in self._all(
            "SELECT case_ref FROM ehc_person_case WHERE person_id = ? ORDER BY case_ref",
            (person_id,))]

    def case_links(self) -> dict[str, str]:
        return dict(self._all("SELECT case_ref, person_id FROM ehc_person_case"))

    def clear_index(self) -> None:
        with self._transaction() as run:
            run("DELETE FROM ehc_person_term")
            run("DELETE FROM ehc_person_case")

    # Audit ----------------------------------------------------------------------------

    def audit(self, actor: str, role: str, action: str, person_ids: Iterable[str | None],
              detail: str = "") -> None:
        """One entry per person read or changed: who, as what, did what, when."""
        at = datetime.now(UTC).isoformat(timespec="milliseconds")
        self._many("INSERT INTO ehc_audit (at, actor, role, action, person_id, detail) "
                   "VALUES (?, ?, ?, ?, ?, ?)",
                   ((at, actor, role, action, person_id, detail) for person_id in person_ids))

    def audit_entries(self, person_id: str | None = None, limit: int = 500) -> list[AuditEntry]:
        where, parameters = ("WHERE person_id = ? ", [person_id]) if person_id else ("", [])
        return [AuditEntry(*row) for row in self._all(
            f"SELECT at, actor, role, action, person_id, detail FROM ehc_audit {where}"
            "ORDER BY id DESC LIMIT ?", [*parameters, limit])]


class _Run:
    """Runs statements written with `?` placeholders on either store."""

    def __init__(self, cursor: Any, postgres: bool) -> None:
        self.cursor, self.postgres = cursor, postgres

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.postgres else sql

    def __call__(self, sql: str, parameters: Sequence[Any] = ()) -> Any:
        self.cursor.execute(self._sql(sql), parameters)
        return self.cursor

    def many(self, sql: str, rows: list[Sequence[Any]]) -> None:
        self.cursor.executemany(self._sql(sql), rows)


class PersonErased(Exception):
    """The person was erased: their details are gone and nothing may be added."""

    def __init__(self, person_id: str) -> None:
        super().__init__(f"person {person_id} was erased")
        self.person_id = person_id
