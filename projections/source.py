"""Reading the stored events the projections follow, in batches, straight from the library's
tables (SQLite `stored_events`, PostgreSQL `<app>_events`).

Why not the library's ProjectionRunner: its SQLite recorder has no subscribe() in 9.5, and it
decodes one event at a time (~3.4k events/s here). Polling the notification log by position
works the same on both stores; reads are batched and decoded with orjson.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import psycopg

RAW_COLUMNS = "originator_id, originator_version, topic, state"
LAST_ID = "ffffffff-ffff-ffff-ffff-ffffffffffff"  # the greatest uuid


# (position, case_id, version, topic, state): plain tuples, the cheapest rows Python makes.
RawEvent = tuple[int, str, int, str, bytes]


class EventSource(Protocol):
    def max_position(self) -> int: ...

    def after(self, position: int, limit: int) -> list[RawEvent]: ...

    def by_case(
        self, upto: int, after_case: str, chunk: int, through_case: str = LAST_ID
    ) -> Iterator[list[RawEvent]]: ...

    def cases(self, case_ids: Sequence[str]) -> list[RawEvent]: ...

    def count_raw(self) -> int: ...

    def reopen(self) -> EventSource: ...

    def close(self) -> None: ...


class SQLiteEventSource:
    def __init__(self, path: Path, table: str = "stored_events") -> None:
        self.connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self.path, self.table = path, table

    def reopen(self) -> SQLiteEventSource:
        """A new connection to the same file (for a worker process)."""
        return SQLiteEventSource(self.path, self.table)

    def _rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[RawEvent]:
        return self.connection.execute(sql, parameters).fetchall()

    def max_position(self) -> int:
        return self.connection.execute(f"SELECT MAX(rowid) FROM {self.table}").fetchone()[0] or 0

    def after(self, position: int, limit: int) -> list[RawEvent]:
        return self._rows(
            f"SELECT rowid, {RAW_COLUMNS} FROM {self.table} WHERE rowid > ? "
            "ORDER BY rowid LIMIT ?",
            (position, limit),
        )

    def by_case(
        self, upto: int, after_case: str, chunk: int, through_case: str = LAST_ID
    ) -> Iterator[list[RawEvent]]:
        """Every event up to position `upto` of the cases after `after_case` ("": from the
        first) through `through_case`, case by case in index order, in chunks of rows."""
        cursor = self.connection.execute(
            f"SELECT rowid, {RAW_COLUMNS} FROM {self.table} WHERE originator_id > ? "
            "AND originator_id <= ? AND rowid <= ? ORDER BY originator_id, originator_version",
            (after_case, through_case, upto),
        )
        while rows := cursor.fetchmany(chunk):
            yield rows

    def cases(self, case_ids: Sequence[str]) -> list[RawEvent]:
        marks = ",".join("?" * len(case_ids))
        return self._rows(
            f"SELECT rowid, {RAW_COLUMNS} FROM {self.table} WHERE originator_id IN ({marks}) "
            "ORDER BY originator_id, originator_version",
            list(case_ids),
        )

    def count_raw(self) -> int:
        """A plain SELECT of every stored event, fetched: the benchmark's yardstick."""
        cursor = self.connection.execute(f"SELECT rowid, {RAW_COLUMNS} FROM {self.table}")
        count = 0
        while rows := cursor.fetchmany(10000):
            count += len(rows)
        return count

    def close(self) -> None:
        self.connection.close()


class PostgresEventSource:
    def __init__(self, conninfo: str, table: str = "ehcapplication_events") -> None:
        self.connection = psycopg.connect(conninfo, autocommit=True)
        self.conninfo, self.table = conninfo, table

    def reopen(self) -> PostgresEventSource:
        """A new connection to the same database (for a worker process)."""
        return PostgresEventSource(self.conninfo, self.table)

    def _rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[RawEvent]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, parameters)  # type: ignore[arg-type]
            return [(r[0], str(r[1]), r[2], r[3], bytes(r[4])) for r in cursor]

    def max_position(self) -> int:
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT MAX(notification_id) FROM {self.table}")  # type: ignore[arg-type]
            row = cursor.fetchone()
        return (row[0] if row else None) or 0

    def after(self, position: int, limit: int) -> list[RawEvent]:
        return self._rows(
            f"SELECT notification_id, {RAW_COLUMNS} FROM {self.table} "
            "WHERE notification_id > %s ORDER BY notification_id LIMIT %s",
            (position, limit),
        )

    def by_case(
        self, upto: int, after_case: str, chunk: int, through_case: str = LAST_ID
    ) -> Iterator[list[RawEvent]]:
        lower = "originator_id > %s" if after_case else "%s = ''"  # "": from the first case
        with self.connection.transaction(), self.connection.cursor(name="by_case") as cursor:
            cursor.execute(
                f"SELECT notification_id, {RAW_COLUMNS} FROM {self.table} "  # type: ignore[arg-type]
                f"WHERE {lower} AND originator_id <= %s AND notification_id <= %s "
                "ORDER BY originator_id, originator_version",
                (after_case, through_case, upto),
            )
            while rows := cursor.fetchmany(chunk):
                yield [(r[0], str(r[1]), r[2], r[3], bytes(r[4])) for r in rows]

    def cases(self, case_ids: Sequence[str]) -> list[RawEvent]:
        return self._rows(
            f"SELECT notification_id, {RAW_COLUMNS} FROM {self.table} "
            "WHERE originator_id = ANY(%s::uuid[]) ORDER BY originator_id, originator_version",
            (list(case_ids),),
        )

    def count_raw(self) -> int:
        count = 0
        with self.connection.transaction(), self.connection.cursor(name="raw") as cursor:
            cursor.execute(f"SELECT notification_id, {RAW_COLUMNS} FROM {self.table}")  # type: ignore[arg-type]
            while rows := cursor.fetchmany(10000):
                count += len(rows)
        return count

    def close(self) -> None:
        self.connection.close()
