"""The README's backup and restore with children: the events, the people's events, the keys
and the audit store are backed up; a child erased after the backup stays erased when the
older backup is restored (the keys backup that every erasure rewrites carries the
tombstone). PostgreSQL with pg_dump and pg_restore; SQLite by copying the files."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date

import pytest
from conftest import reset_postgres, run_database, settings_for

from domain.person import PersonDetails
from service.people import People
from service.stores import open_application
from service.tokens import Principal

PG = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]
TABLES = ("ehcapplication_events", "peopleapplication_events", "ehc_person_key", "ehc_audit")
MANAGER = Principal("manager", "Head of SEN")
AMIRA = PersonDetails(surname="Haddad", forename="Amira", date_of_birth=date(2012, 3, 4),
                      sex="F", ethnicity="OOTH", upn="B123456789012")
LEO = PersonDetails(surname="Fischer", forename="Léo", date_of_birth=date(2014, 5, 6),
                    sex="M", ethnicity="WOTH", upn_unknown_reason="UN2")


def _authority(settings, keys_backup):
    cases = open_application(settings)
    people = People(settings, cases, {"EHC_KEYS_BACKUP": str(keys_backup)})
    for ref, details in (("A-1", AMIRA), ("L-1", LEO)):
        cases.open_case(ref, team="North")
        cases.record(ref, {"type": "request_received", "on": "2025-02-03",
                           "requester": "parent"}, "Amina Shah")
        people.link(ref, people.register(details, "Amina Shah"), "Amina Shah")
    return cases, people


def _check_restored(settings, keys_backup, amira, leo, keys_restored=0):
    """After the restore: Léo reads as before; Amira, erased after the backup, stays erased
    and her case still replays."""
    cases = open_application(settings)
    people = People(settings, cases)
    outcome = people.restore_keys_backup(keys_backup)
    assert outcome["keys_restored"] == keys_restored
    assert outcome["erased_events_restored"] == 1
    assert people.read(leo, MANAGER).details == LEO
    assert people.read(amira, MANAGER).details is None
    assert people.application.person(amira).erased_on == date(2043, 3, 4)
    assert [hit.case_ref for hit in people.search(MANAGER, "amira")] == []
    assert [hit.case_ref for hit in people.search(MANAGER, "leo")] == ["L-1"]
    assert cases.timeline("A-1").request_received == date(2025, 2, 3)
    people.close()


def test_postgres_backup_restore_keeps_an_erased_child_erased(tmp_path):
    settings = settings_for("postgres")
    reset_postgres(settings)
    keys_backup = tmp_path / "ehc-keys.json"
    _, people = _authority(settings, keys_backup)
    amira, leo = people.person_of_case("A-1"), people.person_of_case("L-1")
    dump = tmp_path / "ehc.dump"
    subprocess.run(["pg_dump", *PG, "-d", run_database(), *(f"-t{t}" for t in TABLES), "-Fc",
                    "-f", str(dump)], check=True)
    people.write_keys_backup(keys_backup)
    people.erase(amira, MANAGER.name, date(2043, 3, 4))  # rewrites the keys backup
    people.close()
    reset_postgres(settings)  # the disaster: every table gone
    subprocess.run(["pg_restore", *PG, "-d", run_database(), "--no-owner", str(dump)],
                   check=True)
    _check_restored(settings, keys_backup, amira, leo)


@pytest.mark.parametrize("restore_keys_from_the_old_copy", [False, True])
def test_sqlite_copy_restore_keeps_an_erased_child_erased(tmp_path,
                                                          restore_keys_from_the_old_copy):
    settings = settings_for("sqlite", tmp_path / "data")
    keys_backup = tmp_path / "ehc-keys.json"
    _, people = _authority(settings, keys_backup)
    amira, leo = people.person_of_case("A-1"), people.person_of_case("L-1")
    copy = tmp_path / "backup"
    shutil.copytree(settings.data_dir, copy)  # the server stopped: the files as they are
    people.erase(amira, MANAGER.name, date(2043, 3, 4))
    people.close()
    shutil.rmtree(settings.data_dir)
    shutil.copytree(copy, settings.data_dir)
    if restore_keys_from_the_old_copy:
        # Even a personal store from before the erasure (its key still there) is put right.
        assert (settings.data_dir / "personal.sqlite").exists()
    else:  # the personal store lost: Léo's key comes from the keys backup
        for path in settings.data_dir.glob("personal.sqlite*"):
            path.unlink()
    _check_restored(settings, keys_backup, amira, leo,
                    keys_restored=0 if restore_keys_from_the_old_copy else 1)
