"""The application service: commands and queries over EHC assessments (eventsourcing)."""

from __future__ import annotations

import fcntl
import os
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, ClassVar, TypedDict, Unpack
from zoneinfo import ZoneInfo

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from calendars.authority_calendar import AuthorityCalendar
from domain.assessment import EhcAssessment, case_id_for
from domain.errors import InvalidValue, RuleBroken
from domain.facts import Fact, fact_payload
from domain.history import build_fact
from domain.text import TextRefused, clean_text
from domain.timeline import CaseTimeline, evaluate
from projections.files import private_file
from service.storage import FactMapper, OrjsonTranscoder

ENGLAND = ZoneInfo("Europe/London")


class VersionConflict(Exception):
    """Another writer changed the case since the version the client saw."""

    def __init__(self, case_ref: str, expected: int | None, actual: int | None) -> None:
        super().__init__(
            f"case {case_ref} is at version {actual}, not {expected}: reload it and try again"
        )
        self.expected = expected
        self.actual = actual


class RecordOptions(TypedDict, total=False):
    expected_version: int | None
    today: date | None
    client_event_id: str | None
    guard: Callable[[EhcAssessment], None] | None
    auto_id: bool


class CaseNotFound(Exception):
    pass


class CaseExists(Exception):
    """Opening a case whose reference is already open."""


class IdempotencyKeyReused(Exception):
    """A client event id sent again with a different event."""


def today_in_england() -> date:
    return datetime.now(ENGLAND).date()


def checked_names(case_ref: str | None = None, team: str | None = None,
                  caseworker: str | None = None) -> None:
    """The text rule (domain.text) for a case's reference, team and caseworker: InvalidValue
    naming the field and the character."""
    for value, words in ((case_ref, "the case reference"), (team, "the team's name"),
                         (caseworker, "the caseworker's name")):
        if value is not None:
            try:
                clean_text(value, words)
            except TextRefused as error:
                raise InvalidValue(str(error)) from None


def _free_id(case: EhcAssessment) -> str:
    taken = {fact.id for fact in case.facts}
    number = case.version + 1
    while f"ev{number}" in taken:
        number += 1
    return f"ev{number}"


def _replay(case: Any, events: Iterable[Any]) -> Any:
    """The library's project_aggregate without its per-event runtime Protocol check, which
    costs ~40 us an event on Python 3.11 (every event here is an EhcAssessment event)."""
    for event in events:
        case = event.mutate(case)
    return case


class WriterQueue:
    """Server processes sharing one SQLite file take turns to write through a file lock.

    SQLite lets one process write at a time and makes the others sleep-poll for its lock
    (1, 2, 5, 10… ms); a blocking lock of our own hands over the moment a commit ends, which
    cut recording latency under load. Within a process a thread lock queues first (an flock
    is shared by every thread of the process). PostgreSQL needs no queue."""

    def __init__(self, lock_path: Path | None) -> None:
        self.threads = threading.Lock()
        self.lock_path = lock_path
        self._file: IO[bytes] | None = None
        self._opened_by = 0  # the process that opened it (a forked child opens its own)

    @classmethod
    def for_store(cls, env: Mapping[str, str]) -> WriterQueue:
        name = env.get("SQLITE_DBNAME", "")
        on_file = "sqlite" in env.get("PERSISTENCE_MODULE", "") and ":memory:" not in name
        return cls(Path(f"{name}.write-lock") if on_file and name else None)

    @contextmanager
    def turn(self) -> Iterator[None]:
        with self.threads:
            if self.lock_path is None:
                yield
                return
            if self._file is None or self._opened_by != os.getpid():
                # Private (0600): the lock sits beside the event store.
                self._file = open(private_file(self.lock_path), "ab")  # noqa: SIM115
                self._opened_by = os.getpid()
            fcntl.flock(self._file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._file, fcntl.LOCK_UN)


class EhcApplication(Application):  # type: ignore[type-arg]
    env: ClassVar[dict[str, str]] = {
        "MAPPER_TOPIC": get_topic(FactMapper),
        "TRANSCODER_TOPIC": get_topic(OrjsonTranscoder),
    }

    def __init__(
        self, env: Mapping[str, str] | None = None, calendar: AuthorityCalendar | None = None
    ) -> None:
        super().__init__(env)
        self.calendar = calendar or AuthorityCalendar()
        # A PostgreSQL pool's own threads keep it alive: without this, a dropped application
        # would hold its connections until the process ends.
        weakref.finalize(self, self.factory.close)
        self._writers = WriterQueue.for_store(self.env)

    def save(self, *objects: Any, **kwargs: Any) -> Any:
        with self._writers.turn():
            return super().save(*objects, **kwargs)

    def open_case(
        self, case_ref: str, team: str | None = None, caseworker: str | None = None,
        client_event_id: str | None = None, opened_by: str | None = None,
    ) -> Any:
        """Open a case; returns its opening as stored. CaseExists if the reference is taken,
        unless this is a retry of the opening made with the same `client_event_id`."""
        checked_names(case_ref, team, caseworker)
        case = EhcAssessment(case_ref, team=team, caseworker=caseworker,
                             client_event_id=client_event_id, opened_by=opened_by)
        opened = case.pending_events[0]
        try:
            self.save(case)
        except IntegrityError:
            if client_event_id is not None and (
                    self.case(case_ref).opened_with == client_event_id):
                return self.stored_event(case_ref, 1)
            raise CaseExists(f"case {case_ref} is already open") from None
        return opened

    def record(self, case_ref: str, payload: Mapping[str, Any], actor: str,
               **options: Unpack[RecordOptions]) -> int:
        """Record one event; returns the case's new version (see `record_event`)."""
        return self.record_event(case_ref, payload, actor, **options).originator_version

    def record_event(
        self,
        case_ref: str,
        payload: Mapping[str, Any],
        actor: str,
        expected_version: int | None = None,
        today: date | None = None,
        client_event_id: str | None = None,
        guard: Callable[[EhcAssessment], None] | None = None,
        auto_id: bool = False,
    ) -> Any:
        """Record one event; returns it as stored (version, timestamp, actor, fact). RuleBroken
        if refused. `guard` sees the loaded case first (e.g. a team check) and may raise; a
        retry (the same `client_event_id`) returns the event its first attempt stored."""
        case = self.case(case_ref)
        if guard is not None:
            guard(case)
        if client_event_id is not None and client_event_id in case.client_event_ids:
            return self._retried(case, client_event_id, payload)
        if expected_version is not None and expected_version != case.version:
            raise VersionConflict(case_ref, expected_version, case.version)
        values = dict(payload)
        if auto_id and not values.get("id"):
            values["id"] = _free_id(case)  # so the event can be corrected later
        if values.get("recorded") is None and today is not None:
            values["recorded"] = today
        case.record(build_fact(values), actor, today, client_event_id)
        event = case.pending_events[-1]  # what is stored: no need to read it back
        try:
            self.save(case)
        except IntegrityError:
            # Another writer got there first; if it was this request's twin (the same key,
            # sent again before the first answered), its result is this request's result.
            current = self.case(case_ref)
            if client_event_id is not None and client_event_id in current.client_event_ids:
                return self._retried(current, client_event_id, payload)
            raise VersionConflict(case_ref, case.version - 1, current.version) from None
        return event

    def _retried(self, case: EhcAssessment, client_event_id: str,
                 payload: Mapping[str, Any]) -> Any:
        """The event first stored under `client_event_id`; IdempotencyKeyReused if this
        request asks for something else (a key names one request, not any request)."""
        stored = self.stored_event(case.case_ref, case.client_event_ids[client_event_id])
        try:
            asked = fact_payload(build_fact({
                **payload, "id": payload.get("id") or stored.fact.id,
                "recorded": payload.get("recorded") or stored.fact.recorded}))
        except RuleBroken:
            asked = None
        if asked != fact_payload(stored.fact):
            raise IdempotencyKeyReused(
                f"Idempotency-Key {client_event_id!r} was used for a different event "
                f"(version {stored.originator_version}): use a new key for a new event")
        return stored

    def assign(self, case_ref: str, caseworker: str, team: str,
               expected_version: int | None = None) -> int:
        """A manager moves a case to another caseworker or team."""
        checked_names(team=team, caseworker=caseworker)
        case = self.case(case_ref)
        if expected_version is not None and expected_version != case.version:
            raise VersionConflict(case_ref, expected_version, case.version)
        case.assign(caseworker, team)
        try:
            self.save(case)
        except IntegrityError:
            raise VersionConflict(case_ref, case.version - 1, None) from None
        return case.version

    def case(self, case_ref: str) -> EhcAssessment:
        try:
            return self.repository.get(  # type: ignore[return-value]
                case_id_for(case_ref), projector_func=_replay)
        except AggregateNotFoundError:
            raise CaseNotFound(f"no case {case_ref}") from None

    def stored_event(self, case_ref: str, version: int) -> Any:
        """The event that made `version` of the case, as stored (actor, timestamp, fact)."""
        [event] = self.repository.event_store.get(case_id_for(case_ref), gt=version - 1,
                                                  lte=version)
        return event

    def facts(self, case_ref: str) -> list[Fact]:
        return list(self.case(case_ref).facts)

    def timeline(
        self, case_ref: str, as_of: date | None = None, known_at: date | None = None
    ) -> CaseTimeline:
        return evaluate(self.facts(case_ref), as_of, known_at, self.calendar)
