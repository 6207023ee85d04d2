"""People as children's data, on both stores: who may read a child, the audit of every read,
details encrypted at rest with keys of their own, search through keyed hashes, the retention
list, erasure by crypto-shredding, and restores that must not bring an erased child back."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import psycopg
import pytest

from domain.person import PersonDetails, erase_after
from service.people import People, PersonForbidden, PersonNotFound
from service.personal_data import PersonErased
from service.stores import open_application
from service.tokens import Principal

NORTH = Principal("caseworker", "Amina Shah", "North")
SOUTH = Principal("caseworker", "Grace Okafor", "South")
MANAGER = Principal("manager", "Head of SEN")
AUDITOR = Principal("auditor", "Internal Audit")
BOARD = Principal("board", "SEND Partnership Board")
ZOE = PersonDetails(surname="O'Brién", forename="Zoë", date_of_birth=date(2016, 7, 13),
                    sex="F", ethnicity="WIRI", postcode="n1 9gu", upn="A12345678901B",
                    local_id="C104233")
# Long enough never to turn up by chance in random bytes (ciphertexts, wrapped keys).
SECRET_WORDS = tuple(word.encode() for word in (
    "O'Bri", "Zoë", "2016-07-13", "N1 9GU", "A12345678901B", "C104233"))


@pytest.fixture
def world(store_settings):
    cases = open_application(store_settings)
    for ref, team in (("N-1", "North"), ("N-2", "North"), ("S-1", "South")):
        cases.open_case(ref, team=team, caseworker="someone")
    people = People(store_settings, cases)
    zoe = people.register(ZOE, NORTH.name)
    people.link("N-1", zoe, NORTH.name)
    yield store_settings, cases, people, zoe
    people.close()


def stored_bytes(settings) -> bytes:
    """Everything at rest about people: the people's events and the personal store."""
    if settings.backend == "postgres":
        with psycopg.connect(settings.postgres_conninfo()) as connection:
            rows = connection.execute("SELECT state FROM peopleapplication_events").fetchall()
            terms = connection.execute("SELECT digest FROM ehc_person_term").fetchall()
        return b"".join(bytes(r[0]) for r in rows) + "".join(t[0] for t in terms).encode()
    return b"".join(path.read_bytes() for path in settings.data_dir.glob("*.sqlite*")
                    if "events" not in path.name)


def test_who_may_read_a_child_and_every_read_is_audited(world):
    _, _, people, zoe = world
    assert people.read(zoe, NORTH).details == ZOE.model_copy(update={"postcode": "N1 9GU"})
    assert people.read(zoe, MANAGER).case_refs == ("N-1",)
    assert people.read(zoe, AUDITOR).details is not None
    for stranger in (SOUTH, BOARD):
        with pytest.raises(PersonForbidden):
            people.read(zoe, stranger)
    with pytest.raises(PersonNotFound):
        people.read("00000000-0000-0000-0000-000000000000", MANAGER)
    trail = people.audit_trail(AUDITOR, zoe)
    assert [(e["actor"], e["role"], e["action"]) for e in trail] == [
        ("Internal Audit", "auditor", "read"), ("Head of SEN", "manager", "read"),
        ("Amina Shah", "caseworker", "read")]
    with pytest.raises(PersonForbidden):
        people.audit_trail(MANAGER)
    people.link("S-1", zoe, MANAGER.name)  # a second request, in the South team
    assert people.read(zoe, SOUTH).case_refs == ("S-1",)  # only the cases they may read


def test_details_are_encrypted_at_rest_with_a_key_of_their_own(world):
    settings, _, people, zoe = world
    at_rest = stored_bytes(settings)
    assert b"Registered" in at_rest or settings.backend == "postgres"
    for word in SECRET_WORDS:
        assert word not in at_rest
    # The personal key is not the event cipher's: the events here have no cipher at all,
    # and the details are still sealed.
    assert people.application.mapper.cipher is None
    assert people.store.key(zoe) is not None


def test_search_is_exact_ignoring_case_and_accents_and_scoped_by_role(world):
    _, _, people, _ = world
    for query in ("o'brien", "O'BRIEN", "zoe", "Zoë O'Brién", "2016-07-13", "13/07/2016",
                  "13 July 2016", "c104233", "N-1"):
        assert [hit.case_ref for hit in people.search(NORTH, query)] == ["N-1"], query
        assert people.search(SOUTH, query) == [], query
    assert people.search(NORTH, "obrien") == []  # exact: not a fuzzy match
    assert people.search(NORTH, "2016-07-14") == []
    [hit] = people.search(MANAGER, "zoe")
    assert hit.matched_on == "forename" and hit.person.details.surname == "O'Brién"
    with pytest.raises(PersonForbidden):
        people.search(BOARD, "zoe")


def test_a_new_request_for_a_known_child_joins_the_same_person(world):
    _, _, people, zoe = world
    again = ZOE.model_copy(update={"surname": "O'BRIEN", "upn": None, "postcode": None})
    assert people.match(again) == zoe  # surname, forename and date of birth
    assert people.match(ZOE.model_copy(update={"surname": "Other"})) == zoe  # the UPN
    assert people.match(ZOE.model_copy(update={"surname": "Other", "upn": None})) is None


def test_retention_list_and_erasure_by_crypto_shredding(world):
    settings, cases, people, zoe = world
    cases.record("N-1", {"type": "request_received", "on": "2025-02-03",
                         "requester": "parent"}, "Amina Shah")
    due_on = erase_after(ZOE.date_of_birth, 31)
    assert due_on == date(2047, 7, 13)
    assert people.due_for_erasure(MANAGER, date(2047, 7, 12)) == []
    assert people.due_for_erasure(MANAGER, due_on) == [
        {"person_id": zoe, "erase_after": "2047-07-13", "cases": ["N-1"]}]
    with pytest.raises(PersonForbidden):
        people.due_for_erasure(AUDITOR, due_on)
    people.erase(zoe, MANAGER.name, due_on)
    view = people.read(zoe, MANAGER)
    assert view.details is None and view.erased_on == due_on and view.case_refs == ("N-1",)
    assert people.search(MANAGER, "zoe") == []
    assert people.store.key(zoe) is None
    assert cases.timeline("N-1").request_received == date(2025, 2, 3)  # the case replays
    with pytest.raises(PersonErased):
        people.correct(zoe, {"postcode": "E2 8AA"}, MANAGER)
    assert people.audit_trail(AUDITOR, zoe)[1]["action"] == "erase"
    # Reopened from the store (a new process): still erased, still no key.
    again = People(settings, cases)
    assert again.read(zoe, AUDITOR).details is None
    again.close()


def test_an_older_backup_restored_does_not_bring_an_erased_child_back(world, tmp_path):
    settings, cases, people, zoe = world
    keys_backup = people.store.export_keys()
    events_backup = _copy_people_events(settings)
    people.erase(zoe, MANAGER.name, date(2047, 7, 13))
    _restore_people_events(settings, events_backup)  # the events as they were before
    restored = People(settings, cases)
    assert restored.application.person(zoe).erased is False  # the old stream...
    assert restored.read(zoe, MANAGER).details is None  # ...but the key is gone
    assert restored.reconcile(date(2047, 7, 14))["erased_events_restored"] == 1
    assert restored.application.person(zoe).erased_on == date(2047, 7, 13)
    assert restored.store.import_keys(keys_backup) == (0, 0)  # an old keys backup: no key
    assert restored.store.key(zoe) is None
    assert restored.search(MANAGER, "zoe") == []
    restored.close()


def _copy_people_events(settings) -> list[tuple]:
    if settings.backend == "postgres":
        with psycopg.connect(settings.postgres_conninfo()) as connection:
            return connection.execute(
                "SELECT originator_id, originator_version, topic, state "
                "FROM peopleapplication_events").fetchall()
    with sqlite3.connect(settings.data_dir / "people.sqlite") as connection:
        return connection.execute("SELECT originator_id, originator_version, topic, state "
                                  "FROM stored_events").fetchall()


def _restore_people_events(settings, rows: list[tuple]) -> None:
    if settings.backend == "postgres":
        with psycopg.connect(settings.postgres_conninfo()) as connection:
            connection.execute("DELETE FROM peopleapplication_events")
            connection.cursor().executemany(
                "INSERT INTO peopleapplication_events (originator_id, originator_version, "
                "topic, state) VALUES (%s, %s, %s, %s)", rows)
        return
    with sqlite3.connect(settings.data_dir / "people.sqlite") as connection:
        connection.execute("DELETE FROM stored_events")
        connection.executemany("INSERT INTO stored_events (originator_id, originator_version, "
                               "topic, state) VALUES (?, ?, ?, ?)", rows)


def test_keys_backup_holds_wrapped_keys_and_tombstones_only(world):
    _, _, people, zoe = world
    backup = json.dumps(people.store.export_keys()).encode()
    assert zoe.encode() in backup
    for word in SECRET_WORDS:
        assert word not in backup


def test_with_the_event_cipher_too_the_keys_stay_apart(tmp_path):
    """EHC_CIPHER_KEY encrypts every event; the child's details are sealed inside it with the
    child's own key, and search and reads work through both."""
    from eventsourcing.cipher import AESCipher

    from service.settings import StoreSettings

    settings = StoreSettings(data_dir=tmp_path / "data", cipher_key=AESCipher.create_key(16))
    cases = open_application(settings)
    cases.open_case("N-1", team="North")
    people = People(settings, cases)
    zoe = people.register(ZOE, NORTH.name)
    people.link("N-1", zoe, NORTH.name)
    assert people.application.mapper.cipher is not None
    assert [hit.person.person_id for hit in people.search(NORTH, "zoe")] == [zoe]
    assert people.details_of([zoe], AUDITOR, "test")[zoe].forename == "Zoë"
    at_rest = stored_bytes(settings)
    assert b"Registered" in at_rest and b'"actor":' not in at_rest  # whole events encrypted
    for word in SECRET_WORDS:
        assert word not in at_rest
    people.close()


def test_a_childs_details_follow_the_text_rule():
    from datetime import date as day

    from pydantic import ValidationError

    from domain.person import PersonDetails

    with pytest.raises(ValidationError, match=r"the surname contains a control character \(NUL"):
        PersonDetails(surname="Jo\x00nes", forename="Amy", date_of_birth=day(2015, 3, 14))
    with pytest.raises(ValidationError, match="local id contains a control character"):
        PersonDetails(surname="Jones", forename="Amy", date_of_birth=day(2015, 3, 14),
                      local_id="A\x1b1")
