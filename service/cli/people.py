"""`ehc people`: children's records from the command line (an operator acting as a named
manager or auditor; every read and erasure goes to the audit store)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from service.tokens import Principal


def register(commands: argparse._SubParsersAction) -> None:
    people = commands.add_parser("people", help="children and young people")
    sub = people.add_subparsers()
    show = sub.add_parser("show", help="a child's details (audited)")
    show.add_argument("person_id")
    _as(show, "auditor")
    show.set_defaults(run=_show)

    search = sub.add_parser("search", help="cases by reference, or by their child's surname, "
                            "forename, date of birth or local id (exact; audited)")
    search.add_argument("query")
    _as(search, "manager")
    search.set_defaults(run=_search)

    due = sub.add_parser("due", help="children whose retention period has ended (managers)")
    _as(due, "manager")
    due.set_defaults(run=_due)

    erase = sub.add_parser("erase", help="destroy a child's key: their details are gone for "
                           "good; the cases stay")
    erase.add_argument("person_id")
    erase.add_argument("--manager", required=True, help="the manager erasing (audited)")
    erase.set_defaults(run=_erase)

    audit = sub.add_parser("audit", help="the audit store: who read or changed which child")
    audit.add_argument("--person", default=None)
    audit.add_argument("--limit", type=int, default=100)
    audit.add_argument("--auditor", required=True, help="the auditor reading it")
    audit.set_defaults(run=_audit)

    reconcile = sub.add_parser("reconcile", help="after a restore: re-apply every erasure "
                               "and rebuild the search hashes and case links")
    reconcile.set_defaults(run=_reconcile)

    backup = sub.add_parser("backup-keys", help="write the wrapped keys and erasure "
                            "tombstones to a file (useless without the master key)")
    backup.add_argument("file", type=Path)
    backup.set_defaults(run=_backup_keys)

    restore = sub.add_parser("restore-keys", help="merge a keys backup: a tombstone or an "
                             "erasure always wins, so no erased child comes back")
    restore.add_argument("file", type=Path)
    restore.set_defaults(run=_restore_keys)

    key = sub.add_parser("new-key", help="print a new personal-data master key "
                         "(EHC_PERSON_KEY)")
    key.set_defaults(run=_new_key)


def _as(parser: argparse.ArgumentParser, role: str) -> None:
    parser.add_argument(f"--{role}", dest="name", required=True,
                        help=f"the {role} asking (audited)")
    parser.set_defaults(role=role)


@contextmanager
def _people() -> Iterator:
    from service.people import People
    from service.settings import StoreSettings
    from service.stores import open_application

    settings = StoreSettings.from_environment()
    people = People(settings, open_application(settings))
    try:
        yield people
    finally:
        people.close()


def _print(value: object) -> int:
    print(json.dumps(value, indent=1, ensure_ascii=False))
    return 0


def _refused(error: Exception) -> int:
    print(error, file=sys.stderr)
    return 2


def _show(arguments: argparse.Namespace) -> int:
    from service.people import PersonForbidden, PersonNotFound

    with _people() as people:
        try:
            view = people.read(arguments.person_id, Principal(arguments.role, arguments.name))
        except (PersonForbidden, PersonNotFound) as error:
            return _refused(error)
        return _print(view.as_json())


def _search(arguments: argparse.Namespace) -> int:
    with _people() as people:
        hits = people.search(Principal(arguments.role, arguments.name), arguments.query)
        return _print([hit.as_json() for hit in hits])


def _due(arguments: argparse.Namespace) -> int:
    with _people() as people:
        return _print({"retention_years": people.retention_years,
                       "people": people.due_for_erasure(Principal("manager", arguments.name))})


def _erase(arguments: argparse.Namespace) -> int:
    from service.people import PersonNotFound

    with _people() as people:
        try:
            people.erase(arguments.person_id, arguments.manager)
        except PersonNotFound as error:
            return _refused(error)
        print(f"erased {arguments.person_id}: key destroyed, recorded in the audit store")
        return 0


def _audit(arguments: argparse.Namespace) -> int:
    with _people() as people:
        return _print(people.audit_trail(Principal("auditor", arguments.auditor),
                                         arguments.person, arguments.limit))


def _reconcile(arguments: argparse.Namespace) -> int:
    with _people() as people:
        return _print(people.reconcile())


def _backup_keys(arguments: argparse.Namespace) -> int:
    with _people() as people:
        count = people.write_keys_backup(arguments.file)
    print(f"wrote {count} keys and tombstones to {arguments.file}")
    return 0


def _restore_keys(arguments: argparse.Namespace) -> int:
    with _people() as people:
        return _print(people.restore_keys_backup(arguments.file))


def _new_key(arguments: argparse.Namespace) -> int:
    from service.personal_data import new_master_key

    print(new_master_key())
    return 0
