"""People: the application for the Person aggregate, and what callers use (the API, the pages,
the CLI, the SEN2 export): register, link cases, read (checked and audited), correct, search,
erase, and the list of people due for erasure.

Who may read a person (children's data, least privilege): a caseworker when they may read
one of that child's cases (their team's); managers and auditors, anyone; the board, never.
Every read is written to the audit store, never to the application log.

Erasure destroys the person's key (crypto-shredding). The erasure is recorded twice, each
record restoring the other after a restore from backup: an `Erased` event in the person's
stream, and a tombstone where the key was. Restoring an older events backup cannot bring
the key back (keys are not in the events; the tombstone stays, and `reconcile` appends the
`Erased` event again); restoring an older keys backup cannot either (a keys restore merges,
a tombstone or an `Erased` event always wins).
"""

from __future__ import annotations

import base64
import itertools
import json
import multiprocessing
import os
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID, uuid4, uuid5

import orjson
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Mapper, StoredEvent
from eventsourcing.utils import get_topic
from pydantic import ValidationError

from domain.assessment import case_id_for
from domain.person import Person as PersonAggregate
from domain.person import PersonDetails, erase_after, fold, search_terms
from projections.source import PostgresEventSource, SQLiteEventSource
from scenarios.generator import GeneratorSettings
from scenarios.people import demo_children
from service.application import CaseNotFound, EhcApplication, _replay, today_in_england
from service.personal_data import (
    PersonalStore,
    PersonErased,
    master_key,
    retention_years,
    seal,
    unseal,
)
from service.settings import POSTGRES_DEFAULTS, POSTGRES_KEYS, StoreSettings
from service.storage import OrjsonTranscoder, decoded_state, rebuilt_event
from service.stores import open_source
from service.tokens import Principal

READERS_OF_ALL = ("manager", "auditor")
SEARCH_LIMIT = 20  # a page of results: more means the search should be narrower


class PersonNotFound(Exception):
    pass


class PersonForbidden(Exception):
    """The caller's role, or team, may not read or change this person."""


class CaseHasAnotherPerson(Exception):
    """A case belongs to one child only."""


class InvalidPerson(ValueError):
    """Person details that fail validation, with the reasons in words."""


def parse_details(values: Mapping[str, Any]) -> PersonDetails:
    try:
        return PersonDetails.model_validate(dict(values))
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc']) or 'person'}: {item['msg']}"
            for item in error.errors())
        raise InvalidPerson(problems) from None


class PersonMapper(Mapper):  # type: ignore[type-arg]
    """Stores a person's events as compact JSON whose `details` is sealed with the person's
    own key (then, like every event, with the event cipher if one is set). A person whose
    key was destroyed reads back with `details` None."""

    def __init__(self, base: Mapper, key_for: Callable[[str], bytes | None]) -> None:  # type: ignore[type-arg]
        super().__init__(base.transcoder, base.compressor, base.cipher)
        self.key_for = key_for

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        state = {name: _plain(value) for name, value in vars(domain_event).items()
                 if name not in ("originator_id", "originator_version")}
        if "details" in state:
            details = state.pop("details")
            state["sealed"] = None if details is None else self._seal(
                str(domain_event.originator_id), details)
        stored = self.transcoder.encode(state)
        if self.compressor:
            stored = self.compressor.compress(stored)
        if self.cipher:
            stored = self.cipher.encrypt(stored)
        return StoredEvent(originator_id=domain_event.originator_id,
                           originator_version=domain_event.originator_version,
                           topic=get_topic(type(domain_event)), state=stored)

    def _seal(self, person_id: str, details: dict[str, Any]) -> str:
        key = self.key_for(person_id)
        if key is None:
            raise PersonErased(person_id)
        return base64.b64encode(seal(key, orjson.dumps(details))).decode()

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        values = decoded_state(self, stored_event)
        if "sealed" in values:
            values["details"] = open_details(values.pop("sealed"),
                                             self.key_for(str(stored_event.originator_id)))
        if isinstance(values.get("on"), str):
            values["on"] = date.fromisoformat(values["on"])
        return rebuilt_event(stored_event, values)


def open_details(sealed: str | None, key: bytes | None) -> PersonDetails | None:
    if sealed is None or key is None:
        return None
    return PersonDetails.model_validate_json(unseal(key, base64.b64decode(sealed)))


def _plain(value: Any) -> Any:
    if isinstance(value, PersonDetails):
        return value.field_values()
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


class PeopleApplication(Application):  # type: ignore[type-arg]
    """The people's event store: `people.sqlite` beside the cases' events, or the table
    `peopleapplication_events` in the same PostgreSQL database."""

    env: ClassVar[dict[str, str]] = {"TRANSCODER_TOPIC": get_topic(OrjsonTranscoder)}

    def __init__(self, env: Mapping[str, str], key_for: Callable[[str], bytes | None]) -> None:
        self._key_for = key_for
        super().__init__(env)
        # As for the cases' application: the PostgreSQL pool must not outlive the object.
        weakref.finalize(self, self.factory.close)

    def construct_mapper(self) -> Mapper:  # type: ignore[type-arg]
        return PersonMapper(self.factory.mapper(transcoder=self.construct_transcoder()),
                            self._key_for)

    def person(self, person_id: str) -> PersonAggregate:
        try:
            return self.repository.get(  # type: ignore[return-value]
                UUID(person_id), projector_func=_replay)
        except (AggregateNotFoundError, ValueError):
            raise PersonNotFound(f"no person {person_id}") from None


def people_env(settings: StoreSettings) -> dict[str, str]:
    env = settings.application_env()
    if settings.backend == "sqlite":
        env["SQLITE_DBNAME"] = str(settings.data_dir / "people.sqlite")
    return env


@dataclass(frozen=True)
class PersonView:
    """A person as a reader is allowed to see them."""

    person_id: str
    details: PersonDetails | None  # None once erased
    erased_on: date | None
    case_refs: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "erased": self.erased_on is not None,
                "erased_on": None if self.erased_on is None else self.erased_on.isoformat(),
                "details": None if self.details is None else self.details.field_values(),
                "cases": list(self.case_refs)}


@dataclass(frozen=True)
class SearchHit:
    """A case found by search: its reference and team, and its child as far as the caller
    may see (`person` is None for a case with no child recorded)."""

    case_ref: str
    team: str | None
    caseworker: str | None
    matched_on: str  # case_ref | surname | forename | date_of_birth | local_id | name
    person: PersonView | None

    def as_json(self) -> dict[str, Any]:
        return {"case_ref": self.case_ref, "team": self.team, "caseworker": self.caseworker,
                "matched_on": self.matched_on,
                "person": None if self.person is None else self.person.as_json()}


@dataclass
class PersonRecord:
    """A person read in bulk from the raw events (the SEN2 export, rebuilding the index)."""

    person_id: str
    stored_id: str = ""
    sealed: str | None = None
    case_refs: list[str] = field(default_factory=list)
    erased_on: date | None = None


class People:
    """Everything callers do with people. `cases` is the case application (teams decide a
    caseworker's access)."""

    def __init__(self, settings: StoreSettings, cases: EhcApplication,
                 environ: Mapping[str, str] | None = None) -> None:
        self.settings = settings
        self.cases = cases
        self.store = PersonalStore(settings, master_key(settings, environ))
        self.retention_years = retention_years(environ)
        environ = os.environ if environ is None else environ
        # A keys backup kept current by every erasure: restoring it after any restore
        # re-applies every erasure (its tombstones win over keys in an older store).
        self.keys_backup = Path(environ["EHC_KEYS_BACKUP"]) if environ.get(
            "EHC_KEYS_BACKUP") else None
        self._fresh: dict[str, bytes] = {}  # keys of people being registered in bulk
        self.application = PeopleApplication(people_env(settings), self._key_for)
        self._read_lock = threading.Lock()  # the raw readers' connections, shared by threads
        self._case_source = open_source(settings)
        self._people_source = self._source()

    def _key_for(self, person_id: str) -> bytes | None:
        return self._fresh.get(person_id) or self.store.key(person_id)

    def close(self) -> None:
        self._case_source.close()
        self._people_source.close()
        self.store.close()
        self.application.factory.close()

    # Writing ----------------------------------------------------------------------------

    def register(self, details: PersonDetails, actor: str, person_id: str | None = None) -> str:
        """A new person; with `person_id` (a retry), the person made the first time."""
        person_id = person_id or str(uuid4())
        self.store.new_key(person_id)
        person = PersonAggregate(person_id, details, actor)
        try:
            self.application.save(person)
        except IntegrityError:
            return person_id  # registered already, by the first attempt
        self.store.index_person(person_id, search_terms(details))
        return person_id

    def register_many(self, children: Iterable[tuple[str, PersonDetails, list[str]]],
                      actor: str, batch: int = 500) -> int:
        """Register children with their cases in batches (the demo authority, imports):
        (person id, details, case refs) each. Returns how many were registered."""
        done = 0
        for chunk in _batched(children, batch):
            self._fresh = self.store.new_keys([person_id for person_id, _, _ in chunk])
            try:
                persons = []
                for person_id, details, refs in chunk:
                    person = PersonAggregate(person_id, details, actor)
                    for ref in refs:
                        person.link_case(ref, actor)
                    persons.append(person)
                self.application.save(*persons)
            finally:
                self._fresh = {}
            self.store.index_many((pid, search_terms(details)) for pid, details, _ in chunk)
            self.store.link_many((ref, pid) for pid, _, refs in chunk for ref in refs)
            done += len(chunk)
        return done

    def match(self, details: PersonDetails) -> str | None:
        """A known child with the same UPN, ULN, or surname, forename and date of birth."""
        terms = search_terms(details)
        for name in ("upn", "uln", "identity"):
            if name in terms:
                found = self.store.find(name, terms[name])
                if found:
                    return found[0]
        return None

    def link(self, case_ref: str, person_id: str, actor: str) -> None:
        """Join a case to its child (once: a case has one child)."""
        current = self.store.person_of(case_ref)
        if current is not None and current != person_id:
            raise CaseHasAnotherPerson(f"case {case_ref} is already linked to another person")
        person = self.application.person(person_id)
        if person.erased:
            raise PersonErased(person_id)
        if case_ref not in person.case_refs:
            person.link_case(case_ref, actor)
            self.application.save(person)
        self.store.link(case_ref, person_id)

    def correct(self, person_id: str, values: Mapping[str, Any], who: Principal) -> PersonView:
        """Change some fields; the earlier values stay in the person's (sealed) history."""
        self._check_may_change(who, person_id)
        person = self.application.person(person_id)
        if person.erased or person.details is None:
            raise PersonErased(person_id)
        details = parse_details({**person.details.field_values(), **values})
        person.correct(details, who.name)
        self.application.save(person)
        self.store.index_person(person_id, search_terms(details))
        self.store.audit(who.name, who.role, "correct", [person_id], ", ".join(sorted(values)))
        return self._view(person, who)

    def erase(self, person_id: str, manager: str, today: date | None = None) -> None:
        """Destroy the person's key: their details can never be read again. The events stay
        and the cases still replay, the person shown as erased."""
        today = today or today_in_england()
        person = self.application.person(person_id)
        due = self._erase_after_text(person)
        self.store.destroy_key(person_id, today, manager)
        if not person.erased:
            person.erase(today, manager)
            self.application.save(person)
        self.store.audit(manager, "manager", "erase", [person_id],
                         f"key destroyed; retention ended {due}")
        if self.keys_backup is not None:
            self.write_keys_backup(self.keys_backup)

    def write_keys_backup(self, path: Path) -> int:
        """Every wrapped key and tombstone to `path`, swapped in whole (owner-only)."""
        rows = self.store.export_keys()
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        partial.write_text(json.dumps(rows))
        partial.chmod(0o600)
        os.replace(partial, path)
        return len(rows)

    def restore_keys_backup(self, path: Path) -> dict[str, int]:
        """Merge a keys backup (tombstones win), then reconcile."""
        restored, tombstoned = self.store.import_keys(json.loads(path.read_text()))
        return {"keys_restored": restored, "tombstones_added": tombstoned,
                **self.reconcile()}

    def _erase_after_text(self, person: PersonAggregate) -> str:
        if person.details is None:
            return "unknown"
        return erase_after(person.details.date_of_birth, self.retention_years).isoformat()

    # Reading ----------------------------------------------------------------------------

    def may_read(self, who: Principal, person_id: str) -> bool:
        if who.role in READERS_OF_ALL:
            return True
        if who.role != "caseworker":
            return False  # the board never sees a child
        return any(self._team_of(ref) is not None and who.works_on(self._team_of(ref))
                   for ref in self.store.cases_of(person_id))

    def _team_of(self, case_ref: str) -> str | None:
        try:
            return self.cases.case(case_ref).team
        except CaseNotFound:
            return None

    def _check_may_read(self, who: Principal, person_id: str) -> None:
        if not self.may_read(who, person_id):
            raise PersonForbidden(f"the {who.role} role cannot read this person"
                                  if who.role != "caseworker" else
                                  "none of this child's cases is your team's")

    def _check_may_change(self, who: Principal, person_id: str) -> None:
        if who.role not in ("caseworker", "manager") or not self.may_read(who, person_id):
            raise PersonForbidden("only a caseworker of one of the child's cases, or a "
                                  "manager, may change a person")

    def read(self, person_id: str, who: Principal, purpose: str = "read") -> PersonView:
        """The person, if `who` may read them; the read is audited."""
        self._check_may_read(who, person_id)
        person = self.application.person(person_id)
        self.store.audit(who.name, who.role, purpose, [person_id])
        return self._view(person, who)

    def _view(self, person: PersonAggregate, who: Principal) -> PersonView:
        refs = tuple(ref for ref in person.case_refs
                     if who.role in READERS_OF_ALL or who.works_on(self._team_of(ref)))
        return PersonView(str(person.id), person.details, person.erased_on, refs)

    def person_of_case(self, case_ref: str) -> str | None:
        """The id of the case's child (an id is no personal data: no audit)."""
        return self.store.person_of(case_ref)

    def audit_trail(self, who: Principal, person_id: str | None = None,
                    limit: int = 500) -> list[dict[str, Any]]:
        if who.role != "auditor":
            raise PersonForbidden("only auditors read the audit store")
        return [vars(entry) for entry in self.store.audit_entries(person_id, limit)]

    # Search -----------------------------------------------------------------------------

    def search(self, who: Principal, query: str, limit: int = SEARCH_LIMIT) -> list[SearchHit]:
        """Cases whose reference is `query`, or whose child's surname, forename, date of
        birth or local id is (exact, ignoring case and accents; "forename surname" also
        works), among the cases `who` may read, at most `limit`. Through keyed hashes: no
        plaintext index. Each child shown is an audited read.

        Cases and children are read in batches straight from the stores (one query for a
        batch's teams, one for their children's events, one for their keys): loading each
        through its aggregate cost about 5 ms a hit."""
        if who.role not in ("caseworker", *READERS_OF_ALL):
            raise PersonForbidden(f"the {who.role} role cannot search for children")
        query = " ".join(query.split())[:200]
        if not query:
            return []
        found, teams = self._visible_cases(who, query, limit)
        person_of = self.store.persons_of([ref for ref, _ in found])
        children = self.children(sorted(set(person_of.values())))
        if who.role == "caseworker":
            others = {ref for record, _ in children.values() for ref in record.case_refs}
            teams.update(self.case_teams(sorted(others - teams.keys())))
        hits = []
        for case_ref, matched_on in found:
            view = None
            if case_ref in person_of:
                record, details = children[person_of[case_ref]]
                refs = tuple(ref for ref in record.case_refs if who.role in READERS_OF_ALL
                             or who.works_on(teams.get(ref, (None, None))[0]))
                view = PersonView(record.person_id, details, record.erased_on, refs)
            team, caseworker = teams[case_ref]
            hits.append(SearchHit(case_ref, team, caseworker, matched_on, view))
        if children:
            self.store.audit(who.name, who.role, "search", sorted(children), "found by search")
        return hits

    def _visible_cases(self, who: Principal, query: str, limit: int
                       ) -> tuple[list[tuple[str, str]], dict[str, tuple[str | None, str | None]]]:
        """The first `limit` candidate cases `who` may read, and the teams read on the way."""
        found: list[tuple[str, str]] = []
        teams: dict[str, tuple[str | None, str | None]] = {}
        for chunk in _batched(self._candidates(query), limit):
            fresh = [(ref, how) for ref, how in chunk if ref not in teams]
            teams.update(self.case_teams(sorted({ref for ref, _ in fresh})))
            for case_ref, matched_on in fresh:
                if case_ref not in teams or any(case_ref == ref for ref, _ in found):
                    continue
                if who.role == "caseworker" and not who.works_on(teams[case_ref][0]):
                    continue
                found.append((case_ref, matched_on))
                if len(found) >= limit:
                    return found, teams
        return found, teams

    def _candidates(self, query: str) -> Iterator[tuple[str, str]]:
        if self._case_exists(query):
            yield query, "case_ref"
        matches = self._people_matching(query)
        for chunk in _batched(matches, 200):
            cases = self.store.cases_of_many(list(dict.fromkeys(pid for pid, _ in chunk)))
            for person_id, matched_on in chunk:
                for case_ref in cases[person_id]:
                    yield case_ref, matched_on

    def _case_exists(self, case_ref: str) -> bool:
        try:
            self.cases.case(case_ref)
        except CaseNotFound:
            return False
        return True

    def _people_matching(self, query: str) -> list[tuple[str, str]]:
        """(person id, what matched), surname first, then forename, local id, then
        "forename surname" at every split of the words; one query for every term."""
        day = parse_day(query)
        if day is not None:
            found = self.store.find_many([("date_of_birth", day.isoformat())])
            return [(pid, "date_of_birth") for pids in found.values() for pid in pids]
        folded = fold(query)
        words = folded.split(" ")
        splits = [(" ".join(words[:cut]), " ".join(words[cut:])) for cut in range(1, len(words))]
        found = self.store.find_many([(name, folded) for name in ("surname", "forename",
                                                                  "local_id")])
        matches = [(pid, name) for name in ("surname", "forename", "local_id")
                   for pid in found[(name, folded)]]
        for forename, surname in splits:
            matches += [(pid, "name") for pid in self.store.find_both(
                ("forename", forename), ("surname", surname))]
        return matches

    # Retention --------------------------------------------------------------------------

    def due_for_erasure(self, who: Principal, today: date | None = None) -> list[dict[str, Any]]:
        """People whose retention period has ended (date of birth + EHC_RETENTION_YEARS),
        not yet erased; for managers. Listing reads each date of birth: audited."""
        if who.role != "manager":
            raise PersonForbidden("only managers see who is due for erasure")
        today = today or today_in_england()
        due = []
        for record, details in self.records_with_details():
            if details is None:
                continue
            after = erase_after(details.date_of_birth, self.retention_years)
            if after <= today:
                due.append({"person_id": record.person_id, "erase_after": after.isoformat(),
                            "cases": sorted(record.case_refs)})
        due.sort(key=lambda row: (row["erase_after"], row["person_id"]))
        self.store.audit(who.name, who.role, "retention_review",
                         [row["person_id"] for row in due], "listed as due for erasure")
        return due

    # Bulk reads, restore ----------------------------------------------------------------

    def _source(self) -> SQLiteEventSource | PostgresEventSource:
        if self.settings.backend == "postgres":
            return PostgresEventSource(self.settings.postgres_conninfo(),
                                       table="peopleapplication_events")
        return SQLiteEventSource(self.settings.data_dir / "people.sqlite")

    def records(self) -> Iterator[PersonRecord]:
        """Every person from the raw events, in one pass (details still sealed)."""
        source = self._source()
        decrypt = self.application.mapper.cipher
        try:
            rows = itertools.chain.from_iterable(
                source.by_case(source.max_position(), "", 20000))
            record: PersonRecord | None = None
            for _, stored_id, _, topic, stored in rows:
                if record is None or record.stored_id != stored_id:
                    if record is not None:
                        yield record
                    # SQLite keeps ids as bare hex, PostgreSQL as uuids: one form here.
                    record = PersonRecord(str(UUID(str(stored_id))), stored_id=stored_id)
                state = orjson.loads(decrypt.decrypt(stored) if decrypt else stored)
                _apply(record, topic.rsplit(".", 1)[-1], state)
            if record is not None:
                yield record
        finally:
            source.close()

    def records_with_details(self) -> Iterator[tuple[PersonRecord, PersonDetails | None]]:
        keys = self.store.all_keys()
        for record in self.records():
            yield record, open_details(record.sealed, keys.get(record.person_id))

    def case_teams(self, case_refs: list[str]) -> dict[str, tuple[str | None, str | None]]:
        """(team, caseworker) of each case that exists, from its opening and reassignments
        read raw in one query (the facts are not decoded)."""
        if not case_refs:
            return {}
        postgres = self.settings.backend == "postgres"
        ids = {(str(case_id_for(ref)) if postgres else case_id_for(ref).hex): ref
               for ref in case_refs}
        cipher = self.cases.mapper.cipher
        with self._read_lock:
            rows = self._case_source.cases(list(ids))
        teams: dict[str, tuple[str | None, str | None]] = {}
        for _, case_id, _, topic, stored in rows:
            if topic.endswith((".Opened", ".CaseworkerAssigned")):
                state = orjson.loads(cipher.decrypt(stored) if cipher else stored)
                teams[ids[str(case_id)]] = (state.get("team"), state.get("caseworker"))
        return teams

    def children(self, person_ids: list[str]
                 ) -> dict[str, tuple[PersonRecord, PersonDetails | None]]:
        """People read raw in one query, their keys in another (no audit: callers audit)."""
        if not person_ids:
            return {}
        postgres = self.settings.backend == "postgres"
        cipher = self.application.mapper.cipher
        with self._read_lock:
            rows = self._people_source.cases(
                [person_id if postgres else UUID(person_id).hex for person_id in person_ids])
        records: dict[str, PersonRecord] = {}
        for _, stored_id, _, topic, stored in rows:
            person_id = str(UUID(str(stored_id)))
            record = records.setdefault(person_id, PersonRecord(person_id, str(stored_id)))
            _apply(record, topic.rsplit(".", 1)[-1],
                   orjson.loads(cipher.decrypt(stored) if cipher else stored))
        keys = self.store.keys(list(records))
        return {pid: (record, open_details(record.sealed, keys.get(pid)))
                for pid, record in records.items()}

    def details_of(self, person_ids: Iterable[str], who: Principal,
                   purpose: str) -> dict[str, PersonDetails | None]:
        """Details of many people at once (SEN2 module 1), for managers and auditors only;
        every person read is audited."""
        if who.role not in READERS_OF_ALL:
            raise PersonForbidden(f"the {who.role} role cannot read children's details")
        wanted = sorted(set(person_ids))
        chunks = [wanted[start:start + 900] for start in range(0, len(wanted), 900)]
        found: dict[str, PersonDetails | None] = {}
        if len(chunks) < 8:
            for chunk in chunks:
                found.update(_details(self, chunk))
        else:  # an export's worth: two processes, each with connections of its own
            global _forked_settings
            _forked_settings = self.settings, self.cases
            try:
                with multiprocessing.get_context("fork").Pool(2) as pool:
                    for part in pool.imap(_details_in_child, chunks):
                        found.update(part)
            finally:
                _forked_settings = None
        self.store.audit(who.name, who.role, purpose, sorted(found))
        return found

    def reconcile(self, today: date | None = None) -> dict[str, int]:
        """After a restore: each erasure record restores the other (tombstone <-> `Erased`
        event), then the search hashes and case links are rebuilt from the events."""
        today = today or today_in_england()
        tombstones = {t.person_id: t for t in self.store.tombstones()}
        erased_events = 0
        keys_destroyed = 0
        self.store.clear_index()
        keys = self.store.all_keys()
        links: list[tuple[str, str]] = []
        entries: list[tuple[str, dict[str, str]]] = []
        for record in self.records():
            if record.erased_on is not None and record.person_id in keys:
                self.store.destroy_key(record.person_id, record.erased_on, "reconcile")
                keys.pop(record.person_id)
                keys_destroyed += 1
            stone = tombstones.get(record.person_id)
            if stone is not None and record.erased_on is None:
                person = self.application.person(record.person_id)
                person.erase(date.fromisoformat(stone.erased_on), stone.erased_by)
                self.application.save(person)
                erased_events += 1
            links += [(ref, record.person_id) for ref in record.case_refs]
            details = open_details(record.sealed, keys.get(record.person_id))
            if details is not None:
                entries.append((record.person_id, search_terms(details)))
        self.store.link_many(links)
        self.store.index_many(entries)
        return {"people": len(entries), "case_links": len(links),
                "keys_destroyed": keys_destroyed, "erased_events_restored": erased_events}


def _details(people: People, person_ids: list[str]) -> dict[str, PersonDetails | None]:
    return {pid: details for pid, (_, details) in people.children(person_ids).items()}


_forked_settings: tuple[StoreSettings, EhcApplication] | None = None
_forked_people: People | None = None


def _details_in_child(person_ids: list[str]) -> dict[str, PersonDetails | None]:
    global _forked_people
    if _forked_people is None:
        assert _forked_settings is not None
        _forked_people = People(*_forked_settings)
    return _details(_forked_people, person_ids)


def _batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _apply(record: PersonRecord, name: str, state: dict[str, Any]) -> None:
    if name in ("Registered", "DetailsCorrected"):
        record.sealed = state.get("sealed")
    elif name == "CaseLinked":
        if state["case_ref"] not in record.case_refs:
            record.case_refs.append(state["case_ref"])
    elif name == "Erased":
        record.erased_on = date.fromisoformat(state["on"])
        record.sealed = None


DAY_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d %B %Y", "%d %b %Y", "%d-%m-%Y")


def parse_day(text: str) -> date | None:
    """A date of birth as typed: 2016-07-13, 13/07/2016, 13 July 2016, 13 Jul 2016."""
    for pattern in DAY_FORMATS:
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    return None


def settings_of(application: EhcApplication) -> StoreSettings:
    """The store settings an application was opened with (its people live beside it)."""
    env = application.env
    if "postgres" in env.get("PERSISTENCE_MODULE", ""):
        postgres = {**POSTGRES_DEFAULTS, **{k: env[k] for k in POSTGRES_KEYS if k in env}}
        return StoreSettings("postgres", Path("var"), postgres, env.get("CIPHER_KEY"))
    events = Path(env.get("SQLITE_DBNAME") or "var/events.sqlite")
    return StoreSettings("sqlite", events.parent, {}, env.get("CIPHER_KEY"))


def people_for(application: EhcApplication) -> People:
    """The people of the authority `application` holds (opened once per application)."""
    people = getattr(application, "_people", None)
    if people is None:
        people = People(settings_of(application), application)
        application._people = people  # type: ignore[attr-defined]
    return people


_DEMO_NAMESPACE = UUID("5f0c7a52-3d1e-4f7e-9a51-0c3f6f2b8e10")


def add_demo_people(settings: StoreSettings, cases: EhcApplication,
                    config: GeneratorSettings) -> int:
    """The demo authority's children (scenarios/people.py), each linked to its cases."""
    by_child: dict[str, tuple[str, PersonDetails, list[str]]] = {}
    for child in demo_children(config):
        entry = by_child.setdefault(child.child, (
            str(uuid5(_DEMO_NAMESPACE, f"{config.prefix}-{config.seed}:{child.child}")),
            child.details, []))
        entry[2].append(child.case_ref)
    people = People(settings, cases)
    try:
        return people.register_many(by_child.values(), "demo generator")
    finally:
        people.close()
