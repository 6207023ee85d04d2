"""The timeline projection: keeps case summaries and deadline facts up to date.

- `rebuild()` starts from nothing: it notes the log's last position (the target) and splits
  the case ids into ranges; worker processes each stream a range's events case by case
  (index order: each case's history arrives whole, memory stays flat), evaluate each case
  once and commit every batch with that range's cursor (the last case written). Killed at
  any point, the next `rebuild()` or `catch_up()` carries on from the cursors.
- `catch_up()` follows the notification log after the tracked position, re-evaluating the
  cases each batch touches, and commits the rows with the new position.
- `refresh()` re-evaluates cases whose statuses move with the calendar (pending becomes
  overdue) when the day changes. Everything is evaluated by `domain.timeline.evaluate`.
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import date

from calendars.authority_calendar import AuthorityCalendar
from projections.case_record import (
    CaseRecord,
    Decrypt,
    case_rows,
    evaluate_chunk,
    records_from,
)
from projections.profile import Stopwatch
from projections.read_store import ReadStore, Tracking
from projections.source import EventSource, RawEvent

Progress = Callable[[int, int], None]
# Cases whose rows move with the calendar: open ones (pending becomes overdue, days late grow,
# the earliest lawful final moves) and closed ones with an excepted deadline never completed.
MOVING_CASES = (
    "SELECT case_id FROM ehc_case_summary WHERE status = 'open' OR next_key IS NOT NULL "
    "OR case_ref IN (SELECT case_ref FROM ehc_deadline_fact WHERE completed_on IS NULL "
    "AND status = 'excepted')"
)
# A rebuild splits the case ids (uuid5: uniform) into ranges by their first hex digit; each
# range is read, evaluated and written by one process and keeps its own cursor.
CASE_RANGES = 16
_forked: TimelineProjection | None = None


def range_bounds(number: int) -> tuple[str, str]:
    """Range `number` holds the ids after the first bound ("": from the first id) up to and
    including the second."""
    after = "" if number == 0 else f"{number - 1:x}fffffff-ffff-ffff-ffff-ffffffffffff"
    return after, f"{number:x}fffffff-ffff-ffff-ffff-ffffffffffff"


def _rebuild_range_in_child(job: tuple[int, int, date]) -> tuple[int, dict[str, int]]:
    assert _forked is not None
    watch = Stopwatch()
    return _forked.rebuild_range(*job, watch=watch), dict(watch.spent)


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
        self._write_lock: AbstractContextManager[object] = nullcontext()
        self._turns = 0  # depth of this projection's writer turn (re-entrant)
        # The last rebuild's CPU by step, in ns, over every process (`ehc bench --profile`).
        self.last_profile: dict[str, int] = {}

    def close(self) -> None:
        """Release the database connections (a PostgreSQL server has a connection limit)."""
        self.source.close()
        self.store.close()

    @contextmanager
    def _writer_turn(self, wait: float | None = None) -> Iterator[None]:
        """The read store's writer turn for this projection; re-entrant (catch_up may resume a
        rebuild or refresh, which take it too)."""
        with nullcontext() if self._turns else self.store.writer_turn(wait):
            self._turns += 1
            try:
                yield
            finally:
                self._turns -= 1

    def rebuild(self, progress: Progress | None = None, restart: bool = True) -> int:
        """Every read model from the events; returns the number of events read. With
        `restart=False` an interrupted rebuild is resumed instead of started again."""
        with self._writer_turn():
            return self._rebuild(progress, restart)

    def _rebuild(self, progress: Progress | None, restart: bool) -> int:
        watch = Stopwatch()
        tracking = self.store.tracking()
        if restart or tracking.rebuild_target is None:
            tracking = Tracking(0, self.source.max_position(), self.today().isoformat())
            with self.store.transaction() as cursor:
                # Bulk load first, index once at the end; dropped before the rows are deleted,
                # so that deleting them leaves no index to update.
                self.store.drop_indexes(cursor)
                self.store.clear(cursor)
                self.store.clear_rebuild_cursors(cursor)
                self.store.save_tracking(cursor, tracking)
        target, day = tracking.rebuild_target or 0, self._day(tracking)
        watch.lap("clear")
        read = 0
        for events in self._ranges_rebuilt(target, day, watch):
            read += events
            if progress:
                progress(read, target)
        tracking.position, tracking.rebuild_target = target, None
        watch.lap("processes")  # this process's own, while the workers rebuilt the ranges
        with self.store.bulk_load(), self.store.transaction() as cursor:
            self.store.clear_rebuild_cursors(cursor)
            self.store.create_indexes(cursor)
            self.store.save_tracking(cursor, tracking)
        watch.lap("index")
        read += self.catch_up()
        watch.lap("catch_up")
        self.last_profile = dict(watch.spent)
        return read

    def _ranges_rebuilt(self, target: int, day: date, watch: Stopwatch) -> Iterator[int]:
        """Rebuild each range of case ids, in `workers` processes that read and write the
        stores themselves (nothing but counts is shipped between processes); yields events
        per range and adds the workers' CPU by step to `watch`."""
        ranges = range(CASE_RANGES)
        if self.workers <= 1:
            for number in ranges:
                yield self.rebuild_range(number, target, day, watch)
            return
        global _forked  # the children inherit the projection by fork: nothing is pickled
        context = multiprocessing.get_context("fork")
        if self.store.single_writer:
            # SQLite admits one writer and makes the others sleep-poll for its lock; a lock of
            # our own wakes the next writer the moment the last one commits.
            self._write_lock = context.Lock()
        _forked = self
        try:
            with context.Pool(self.workers) as pool:
                for events, spent in pool.imap_unordered(
                        _rebuild_range_in_child, [(n, target, day) for n in ranges]):
                    watch.add(spent)  # the worker's; this process's own go on running
                    yield events
        finally:
            _forked, self._write_lock = None, nullcontext()

    def rebuild_range(
        self, number: int, target: int, day: date, watch: Stopwatch | None = None
    ) -> int:
        """Rows for the cases of one range of ids, committed every `batch_cases` cases with
        the range's cursor, so a killed rebuild resumes after the last case written."""
        source, store = self.source.reopen(), self.store.reopen()
        watch = watch or Stopwatch()
        try:
            after, through = range_bounds(number)
            after = store.rebuild_cursors().get(number, after)
            watch.restart()
            rows = itertools.chain.from_iterable(source.by_case(target, after, 20000, through))
            with _garbage_collected_per_chunk():
                return self._rebuild_chunks(store, number, rows, day, watch)
        finally:
            source.close()
            store.close()

    def _rebuild_chunks(
        self, store: ReadStore, number: int, rows: Iterable[RawEvent], day: date,
        watch: Stopwatch,
    ) -> int:
        """The range's chunks of whole cases, each written with the range's cursor."""
        read = 0
        for chunks, chunk in enumerate(_whole_cases(rows, self.batch_cases), 1):
            watch.lap("read")
            summaries, deadlines, events = evaluate_chunk(
                chunk, day, self.calendar, self.decrypt, watch)
            read += events
            with self._write_lock, store.transaction() as cursor:  # waiting costs no CPU
                store.write_cases(cursor, summaries, deadlines, replace=False)
                store.save_rebuild_cursor(cursor, number, chunk[-1][1])
                watch.lap("write")
            watch.lap("commit")
            del summaries, deadlines  # freeing them is part of the rows' cost
            watch.lap("rows")
            if chunks % 8 == 0:  # the young objects only: the chunks' are freed when dropped
                gc.collect(0)
                watch.lap("collect")
        return read

    def catch_up(self, wait: float | None = None) -> int:
        """Apply events recorded since the tracked position; returns how many were read.
        Waits up to `wait` seconds for another writer (forever if None), else ProjectionBusy."""
        with self._writer_turn(wait):
            tracking = self.store.tracking()
            if tracking.rebuild_target is not None:
                return self.rebuild(restart=False)
            if tracking.evaluated_on != self.today().isoformat():
                self.refresh()  # first, so new events are read on today's date too
                tracking = self.store.tracking()
            read = 0
            while rows := self.source.after(tracking.position, self.batch_events):
                read += len(rows)
                last = rows[-1][0]
                cases = sorted({row[1] for row in rows})
                history = [r for r in self.source.cases(cases) if r[0] <= last]
                tracking.position = last
                self._write(list(records_from(history, self.decrypt)), self._day(tracking),
                            tracking)
            return read

    def refresh(self) -> int:
        """Re-evaluate, on today's date, the cases whose rows can still change: open cases,
        and closed ones with a deadline still running late (excepted, never completed). The
        new day is saved last, so a refresh killed half-way is done again in full."""
        with self._writer_turn():
            tracking = self.store.tracking()
            today = self.today()
            moving = self.store.frame(MOVING_CASES)["case_id"].tolist()
            for start in range(0, len(moving), self.batch_cases):
                chunk = moving[start:start + self.batch_cases]
                history = [r for r in self.source.cases(chunk) if r[0] <= tracking.position]
                self._write(list(records_from(history, self.decrypt)), today, tracking)
            tracking.evaluated_on = today.isoformat()
            with self.store.transaction() as cursor:
                # The other cases read the same on any later day: only their stamp moves.
                cursor.execute(self.store.sql("UPDATE ehc_case_summary SET evaluated_on = ?"),
                               (tracking.evaluated_on,))
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


@contextmanager
def _garbage_collected_per_chunk() -> Iterator[None]:
    """The cyclic garbage collector run once a chunk, over the objects made since the range
    began only. Left to itself it ran many times a chunk and walked every object the process
    holds (the modules, the application): a fifth of the rebuild's CPU. Timelines are
    released once their rows are built (CaseTimeline.release), so there is next to nothing
    to collect; the one collection a chunk is for safety."""
    enabled = gc.isenabled()
    gc.disable()
    gc.freeze()  # what exists now is left out of every collection until the range is done
    try:
        yield
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


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
