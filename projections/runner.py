"""The timeline projection: keeps case summaries and deadline facts up to date.

- `rebuild()` starts from nothing: it notes the log's last position (the target), streams the
  events case by case (index order: each case's history arrives whole, memory stays flat),
  evaluates each case once and commits every batch with a cursor (the last case written).
  Killed at any point, the next `rebuild()` or `catch_up()` carries on from that cursor.
- `catch_up()` follows the notification log after the tracked position, re-evaluating the
  cases each batch touches, and commits the rows with the new position.
- `refresh()` re-evaluates cases whose statuses move with the calendar (pending becomes
  overdue) when the day changes. Everything is evaluated by `domain.timeline.evaluate`.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import date

from calendars.authority_calendar import AuthorityCalendar
from projections.case_record import (
    CaseRecord,
    Decrypt,
    case_rows,
    evaluate_chunk,
    records_from,
)
from projections.read_store import ReadStore, Tracking
from projections.source import EventSource, RawEvent

Progress = Callable[[int, int], None]


class TimelineProjection:
    def __init__(
        self,
        source: EventSource,
        store: ReadStore,
        today: Callable[[], date],
        calendar: AuthorityCalendar | None = None,
        decrypt: Decrypt | None = None,
        batch_cases: int = 2000,
        batch_events: int = 5000,
        workers: int = 1,
    ) -> None:
        self.source = source
        self.store = store
        self.today = today
        self.calendar = calendar or AuthorityCalendar()
        self.decrypt = decrypt
        self.batch_cases = batch_cases
        self.batch_events = batch_events
        self.workers = workers

    def close(self) -> None:
        """Release the database connections (a PostgreSQL server has a connection limit)."""
        self.source.close()
        self.store.close()

    def rebuild(self, progress: Progress | None = None, restart: bool = True) -> int:
        """Every read model from the events; returns the number of events read. With
        `restart=False` an interrupted rebuild is resumed instead of started again."""
        tracking = self.store.tracking()
        if restart or tracking.rebuild_target is None:
            tracking = Tracking(0, self.source.max_position(), "", self.today().isoformat())
            with self.store.transaction() as cursor:
                self.store.clear(cursor)
                self.store.drop_indexes(cursor)  # bulk load first, index once at the end
                self.store.save_tracking(cursor, tracking)
        target, day = tracking.rebuild_target or 0, self._day(tracking)
        rows = itertools.chain.from_iterable(
            self.source.by_case(target, tracking.rebuild_cursor or "", 20000))
        read = 0
        for chunk, (summaries, deadlines, events) in self._evaluated(
            _whole_cases(rows, self.batch_cases), day
        ):
            read += events
            tracking.rebuild_cursor = chunk
            with self.store.transaction() as cursor:
                self.store.write_cases(cursor, summaries, deadlines, replace=False)
                self.store.save_tracking(cursor, tracking)
            if progress:
                progress(read, target)
        tracking.position, tracking.rebuild_target, tracking.rebuild_cursor = target, None, None
        with self.store.transaction() as cursor:
            self.store.create_indexes(cursor)
            self.store.save_tracking(cursor, tracking)
        return read + self.catch_up()

    def _evaluated(
        self, chunks: Iterable[list[RawEvent]], day: date
    ) -> Iterator[tuple[str, tuple[list[tuple], list[tuple], int]]]:
        """(last case id, rows) per chunk, in order; evaluated by worker processes when
        `workers` > 1, with a bounded number of chunks in flight."""
        if self.workers <= 1:
            for chunk in chunks:
                yield chunk[-1][1], evaluate_chunk(chunk, day, self.calendar, self.decrypt)
            return
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(self.workers, mp_context=context) as pool:
            in_flight: deque = deque()
            for chunk in chunks:
                in_flight.append((chunk[-1][1], pool.submit(
                    evaluate_chunk, chunk, day, self.calendar, self.decrypt)))
                if len(in_flight) > 2 * self.workers:
                    last, future = in_flight.popleft()
                    yield last, future.result()
            while in_flight:
                last, future = in_flight.popleft()
                yield last, future.result()

    def catch_up(self) -> int:
        """Apply events recorded since the tracked position; returns how many were read."""
        tracking = self.store.tracking()
        if tracking.rebuild_target is not None:
            return self.rebuild(restart=False)
        read = 0
        while rows := self.source.after(tracking.position, self.batch_events):
            read += len(rows)
            last = rows[-1][0]
            cases = sorted({row[1] for row in rows})
            history = [r for r in self.source.cases(cases) if r[0] <= last]
            tracking.position = last
            self._write(list(records_from(history, self.decrypt)), self._day(tracking),
                        tracking)
        if tracking.evaluated_on != self.today().isoformat():
            self.refresh()
        return read

    def refresh(self) -> int:
        """Re-evaluate, on today's date, the cases whose statuses can still change."""
        tracking = self.store.tracking()
        tracking.evaluated_on = self.today().isoformat()
        moving = self.store.frame(
            "SELECT case_id FROM ehc_case_summary WHERE status = 'open' OR next_key IS NOT NULL"
        )["case_id"].tolist()
        for start in range(0, len(moving), self.batch_cases):
            chunk = moving[start:start + self.batch_cases]
            history = [r for r in self.source.cases(chunk) if r[0] <= tracking.position]
            self._write(list(records_from(history, self.decrypt)), self.today(), tracking)
        with self.store.transaction() as cursor:
            self.store.save_tracking(cursor, tracking)
        return len(moving)

    def _day(self, tracking: Tracking) -> date:
        return date.fromisoformat(tracking.evaluated_on) if tracking.evaluated_on else (
            self.today())

    def _write(self, records: list[CaseRecord], day: date, tracking: Tracking) -> None:
        summaries, deadlines = [], []
        for record in records:
            if not record.case_ref:
                continue  # an event of a case whose opening is not yet visible
            summary, rows = case_rows(record, day, self.calendar)
            summaries.append(summary)
            deadlines += rows
        with self.store.transaction() as cursor:
            self.store.write_cases(cursor, summaries, deadlines)
            self.store.save_tracking(cursor, tracking)


def _whole_cases(rows: Iterable[RawEvent], cases: int) -> Iterator[list[RawEvent]]:
    """Rows ordered by case, cut into chunks of about `cases` whole cases."""
    chunk: list[RawEvent] = []
    seen, current = 0, None
    for row in rows:
        if row[1] != current:
            current = row[1]
            seen += 1
            if seen > cases:
                yield chunk
                chunk, seen = [], 1
        chunk.append(row)
    if chunk:
        yield chunk


__all__ = ["RawEvent", "TimelineProjection"]
