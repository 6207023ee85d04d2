"""Read models and their tracking position, written in one transaction so a projection killed
at any point resumes exactly where its last commit left it.

Same SQL on SQLite (a file beside the event store) and PostgreSQL (tables beside the events).
"""

from __future__ import annotations

import fcntl
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg

from domain.text import without_nul
from projections.case_record import DEADLINE_COLUMNS, SUMMARY_COLUMNS
from projections.files import private_file

PROJECTION = "timeline"
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS ehc_case_summary (
        case_ref TEXT PRIMARY KEY, case_id TEXT NOT NULL, team TEXT, caseworker TEXT,
        status TEXT NOT NULL, request_received TEXT, requester TEXT, next_key TEXT,
        next_due TEXT, overdue INTEGER NOT NULL, breach_certain INTEGER, earliest_final TEXT,
        final_due TEXT, final_status TEXT, latest_draft TEXT, evaluated_on TEXT NOT NULL,
        position BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS ehc_deadline_fact (
        case_ref TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL, provider TEXT,
        clock_start TEXT NOT NULL, due TEXT NOT NULL, completed_on TEXT, status TEXT NOT NULL,
        days_late INTEGER NOT NULL, exception_applies INTEGER NOT NULL, exception TEXT,
        team TEXT, caseworker TEXT, completed_by TEXT, disputed INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS ehc_tracking (
        projection TEXT PRIMARY KEY, position BIGINT NOT NULL, rebuild_target BIGINT,
        evaluated_on TEXT)""",
    # A rebuild's progress: per range of case ids, the last case whose rows are written.
    """CREATE TABLE IF NOT EXISTS ehc_rebuild_cursor (
        case_range INTEGER PRIMARY KEY, last_case TEXT NOT NULL)""",
)
COMPLETED = "WHERE completed_on IS NOT NULL"
INDEXES = {  # dropped while a rebuild bulk-loads, built once at its end
    "ehc_fact_key": "ehc_deadline_fact (case_ref, key)",
    "ehc_summary_caseworker": "ehc_case_summary (caseworker, status)",
    "ehc_summary_status": "ehc_case_summary (status)",
    # Covering the KPI counts (projections.queries.kpi_counts): a year over a million cases is
    # counted from the index alone, without touching the table. Every KPI counts completed
    # deadlines only, so the indexes leave out the rest (a quarter of the rows): 30% less to
    # sort when a rebuild builds them.
    "ehc_fact_completed": "ehc_deadline_fact (kind, completed_on, status, exception_applies) "
                          + COMPLETED,
    "ehc_fact_started": "ehc_deadline_fact (kind, clock_start, completed_on, status, "
                        "exception_applies) " + COMPLETED,
}
READ_TABLES = ("ehc_case_summary", "ehc_deadline_fact")


WRITER_LOCK_KEY = 0x45484354  # "EHCT": the PostgreSQL advisory lock of projection writers


class ProjectionBusy(Exception):
    """Another process holds the projection writers' turn."""


@dataclass
class Tracking:
    position: int = 0
    rebuild_target: int | None = None
    evaluated_on: str | None = None


class ReadStore:
    """DB-API access shared by both stores; subclasses give the connection and placeholder."""

    placeholder = "?"
    single_writer = False  # whether concurrent write transactions queue on one lock

    def __init__(self, connection: Any, prepare: bool = True) -> None:
        self.connection = connection
        if not prepare:  # a worker's second connection: the tables exist, indexes may not
            return
        with self.transaction() as cursor:
            for statement in SCHEMA:
                cursor.execute(statement)
        if self.tracking().rebuild_target is None:  # a rebuild builds them when it ends
            with self.transaction() as cursor:
                self.create_indexes(cursor)

    @contextmanager
    def writer_turn(self, wait: float | None = None) -> Iterator[None]:
        """One projection writer at a time across processes (a rebuild, `ehc follow`, each
        server process): their writes interleaved would duplicate or lose rows. Waits up to
        `wait` seconds (forever if None), else raises ProjectionBusy. Released if the holder
        dies."""
        deadline = None if wait is None else time.monotonic() + wait
        while not self._try_lock():
            if deadline is not None and time.monotonic() >= deadline:
                raise ProjectionBusy("another process is writing the read models")
            time.sleep(0.005)
        try:
            yield
        finally:
            self._unlock()

    def _try_lock(self) -> bool:
        raise NotImplementedError

    def _unlock(self) -> None:
        raise NotImplementedError

    def sql(self, statement: str) -> str:
        return statement.replace("?", self.placeholder)

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Settings of this connection for a rebuild's writes and index builds."""
        yield

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        cursor = self.connection.cursor()
        try:
            yield cursor
            self.connection.commit()
        except BaseException:
            self.connection.rollback()
            raise
        finally:
            cursor.close()

    def tracking(self) -> Tracking:
        with self.transaction() as cursor:
            cursor.execute(self.sql(
                "SELECT position, rebuild_target, evaluated_on FROM ehc_tracking "
                "WHERE projection = ?"), (PROJECTION,))
            row = cursor.fetchone()
        return Tracking(*row) if row else Tracking()

    def save_tracking(self, cursor: Any, tracking: Tracking) -> None:
        cursor.execute(self.sql(
            "INSERT INTO ehc_tracking (projection, position, rebuild_target, evaluated_on) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (projection) DO UPDATE SET "
            "position = excluded.position, rebuild_target = excluded.rebuild_target, "
            "evaluated_on = excluded.evaluated_on"),
            (PROJECTION, tracking.position, tracking.rebuild_target, tracking.evaluated_on))

    def rebuild_cursors(self) -> dict[int, str]:
        """Range number -> the last case a running rebuild has written in that range."""
        with self.transaction() as cursor:
            cursor.execute("SELECT case_range, last_case FROM ehc_rebuild_cursor")
            return dict(cursor.fetchall())

    def save_rebuild_cursor(self, cursor: Any, case_range: int, last_case: str) -> None:
        cursor.execute(self.sql(
            "INSERT INTO ehc_rebuild_cursor (case_range, last_case) VALUES (?, ?) "
            "ON CONFLICT (case_range) DO UPDATE SET last_case = excluded.last_case"),
            (case_range, last_case))

    def clear_rebuild_cursors(self, cursor: Any) -> None:
        cursor.execute("DELETE FROM ehc_rebuild_cursor")

    def create_indexes(self, cursor: Any) -> None:
        for name, target in INDEXES.items():
            unique = "UNIQUE " if name == "ehc_fact_key" else ""  # one row per deadline
            cursor.execute(f"CREATE {unique}INDEX IF NOT EXISTS {name} ON {target}")

    def drop_indexes(self, cursor: Any) -> None:
        for name in INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")

    def clear(self, cursor: Any) -> None:
        for table in READ_TABLES:
            cursor.execute(f"DELETE FROM {table}")

    def write_cases(
        self, cursor: Any, summaries: Sequence[tuple], deadlines: Sequence[tuple],
        replace: bool = True,
    ) -> None:
        """Upsert case summaries and replace their deadline rows (within the caller's
        transaction). `replace=False`: the cases have no rows yet (a rebuild), so the rows are
        only inserted."""
        summaries, deadlines = _names_without_nul(summaries, deadlines)
        if replace and summaries:
            cursor.executemany(self.sql("DELETE FROM ehc_deadline_fact WHERE case_ref = ?"),
                               [(s[0],) for s in summaries])
        columns = ", ".join(SUMMARY_COLUMNS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in SUMMARY_COLUMNS[1:])
        marks = ", ".join("?" * len(SUMMARY_COLUMNS))
        upsert = f" ON CONFLICT (case_ref) DO UPDATE SET {updates}" if replace else ""
        cursor.executemany(self.sql(
            f"INSERT INTO ehc_case_summary ({columns}) VALUES ({marks}){upsert}"), summaries)
        marks = ", ".join("?" * len(DEADLINE_COLUMNS))
        cursor.executemany(self.sql(
            f"INSERT INTO ehc_deadline_fact ({', '.join(DEADLINE_COLUMNS)}) VALUES ({marks})"),
            deadlines)

    def frame(self, statement: str, parameters: Sequence[Any] = ()) -> pd.DataFrame:
        with self.transaction() as cursor:
            cursor.execute(self.sql(statement), parameters)
            columns = [d[0] for d in cursor.description]
            return pd.DataFrame(cursor.fetchall(), columns=columns)

    def scalar(self, statement: str, parameters: Sequence[Any] = ()) -> Any:
        with self.transaction() as cursor:
            cursor.execute(self.sql(statement), parameters)
            row = cursor.fetchone()
        return row[0] if row else None

    def table_rows(self, table: str) -> list[tuple]:
        """Every row of a read table in a stable order (for comparing two builds)."""
        order = "case_ref" if table == "ehc_case_summary" else "case_ref, key"
        with self.transaction() as cursor:
            cursor.execute(f"SELECT * FROM {table} ORDER BY {order}")
            return [tuple(row) for row in cursor.fetchall()]

    def reopen(self) -> ReadStore:
        """A new connection to the same store (for a worker process)."""
        raise NotImplementedError

    def close(self) -> None:
        self.connection.close()


# The columns holding people's text (the case reference, team and caseworker), by position.
_SUMMARY_TEXT = tuple(SUMMARY_COLUMNS.index(c) for c in ("case_ref", "team", "caseworker"))
_DEADLINE_TEXT = tuple(DEADLINE_COLUMNS.index(c) for c in ("case_ref", "team", "caseworker"))


def _names_without_nul(
    summaries: Sequence[tuple], deadlines: Sequence[tuple]
) -> tuple[Sequence[tuple], Sequence[tuple]]:
    """Rows with any NUL in a name replaced by U+FFFD (domain.text.without_nul). Text is
    refused with a NUL since domain.text, but an event stored before it still holds one, and
    PostgreSQL's text columns cannot: the read models would stop for everyone. A deadline row
    takes its names from its case's summary, so only batches with such a summary are copied."""
    if not any("\x00" in value for row in summaries for i in _SUMMARY_TEXT
               if isinstance(value := row[i], str)):
        return summaries, deadlines
    return ([_row_without_nul(row, _SUMMARY_TEXT) for row in summaries],
            [_row_without_nul(row, _DEADLINE_TEXT) for row in deadlines])


def _row_without_nul(row: tuple, columns: tuple[int, ...]) -> tuple:
    return tuple(without_nul(value) if i in columns else value for i, value in enumerate(row))


class SQLiteReadStore(ReadStore):
    single_writer = True

    def _try_lock(self) -> bool:
        self._lock_file = open(private_file(Path(f"{self.path}.writer-lock")), "ab")  # noqa: SIM115
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            return False
        return True

    def _unlock(self) -> None:
        fcntl.flock(self._lock_file, fcntl.LOCK_UN)
        self._lock_file.close()

    def __init__(self, path: Path, prepare: bool = True) -> None:
        # Private (0600): SQLite gives its -wal and -shm files the same mode.
        connection = sqlite3.connect(private_file(path), timeout=30, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        # Read models are disposable (rebuilt from the events): a killed process loses nothing
        # the OS already holds, so skip fsync; only a power cut could cost a rebuild.
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA threads=2")  # sort with a helper thread when indexing
        self.path = path
        super().__init__(connection, prepare)

    def reopen(self) -> SQLiteReadStore:
        return SQLiteReadStore(self.path, prepare=False)

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """A page cache of up to 128 MB (not the default 2 MB) while a rebuild builds its
        indexes: each is sorted in memory rather than in runs merged from temporary files.
        (The workers' writes gained nothing measurable from it: each writer's cache is emptied
        whenever the other commits.)"""
        default = self.connection.execute("PRAGMA cache_size").fetchone()[0]
        self.connection.execute("PRAGMA cache_size = -131072")
        try:
            yield
        finally:
            self.connection.execute(f"PRAGMA cache_size = {int(default)}")


class PostgresReadStore(ReadStore):
    placeholder = "%s"

    def _try_lock(self) -> bool:
        with self.transaction() as cursor:  # a session lock: it outlives the transaction
            cursor.execute("SELECT pg_try_advisory_lock(%s)", (WRITER_LOCK_KEY,))
            return bool(cursor.fetchone()[0])

    def _unlock(self) -> None:
        with self.transaction() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", (WRITER_LOCK_KEY,))

    def __init__(self, conninfo: str, prepare: bool = True) -> None:
        self.conninfo = conninfo
        super().__init__(psycopg.connect(conninfo), prepare)

    def reopen(self) -> PostgresReadStore:
        return PostgresReadStore(self.conninfo, prepare=False)
