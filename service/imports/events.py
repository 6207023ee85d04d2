"""Recording imported rows through the real application, a case at a time, all or nothing.

A case's rows are applied in file order to the case aggregate in memory, with the same rules
as a caseworker's event (`EhcAssessment.record`, domain/rules.py). The first row that breaks
one is rejected, the case's other new rows are "not imported", and nothing of that case is
stored. Cases that pass are saved together, a batch in one transaction: a killed import
leaves whole cases or nothing of them, and running it again completes it.

Idempotency: every row's event is stored under a client event id made from its case and its
content (and how many identical rows came before it in the case), so a row imported before,
from this file or another, is "already present" and stores nothing new.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.persistence import IntegrityError

from domain.assessment import EhcAssessment, case_id_for
from domain.errors import InvalidValue, RuleBroken
from domain.history import build_fact
from domain.person import PersonDetails, search_terms
from projections.source import PostgresEventSource
from service.application import (
    CaseNotFound,
    EhcApplication,
    checked_names,
    today_in_england,
)
from service.imports.report import ImportReport, ReportLine, rule_source
from service.imports.rows import PERSON_COLUMNS, ImportRow, RowProblem, invalid, payload_of

BATCH_CASES = 200  # cases saved in one transaction
_PERSON_NAMESPACE = uuid5(NAMESPACE_URL, "urn:ehc-timeline:imported-person")
Progress = Callable[[int], None]
PersonFound = tuple[str, PersonDetails | None]  # the child's person id, and details if new


@dataclass
class CaseRows:
    case_ref: str
    rows: list[ImportRow] = field(default_factory=list)


def group_by_case(rows: Iterable[ImportRow], report: ImportReport) -> list[CaseRows]:
    """Rows by case, in the order cases first appear; a row with no case reference is
    rejected on its own."""
    cases: dict[str, CaseRows] = {}
    for row in rows:
        if not row.case_ref:
            report.reject(ReportLine(row.file, row.number, "", "rejected", "case_ref", "",
                                     "invalid_value", "template",
                                     "case_ref is required: the row names no case"))
            continue
        cases.setdefault(row.case_ref, CaseRows(row.case_ref)).rows.append(row)
    return list(cases.values())


@dataclass
class Importer:
    """Imports cases through `application` (and their children through `people`, if given)."""

    application: EhcApplication
    actor: str
    people: Any = None  # service.people.People
    dry_run: bool = False
    today: date = field(default_factory=today_in_england)
    progress: Progress | None = None
    report: ImportReport = field(default_factory=ImportReport)
    source: Any = None  # projections.source.EventSource: which cases exist, a batch at once
    _known: set[str] | None = None

    def run(self, cases: list[CaseRows]) -> ImportReport:
        self.report.dry_run = self.dry_run
        for start in range(0, len(cases), BATCH_CASES):
            chunk = cases[start:start + BATCH_CASES]
            self._known = self._existing(chunk)
            pending: list[tuple[CaseRows, EhcAssessment, int]] = []
            for case_rows in chunk:
                outcome = self._case(case_rows)
                if outcome is not None:
                    pending.append((case_rows, *outcome))
            self._save(pending)
        return self.report

    def _existing(self, chunk: list[CaseRows]) -> set[str] | None:
        """The references of the chunk's cases already stored, in one query (None: ask the
        application case by case)."""
        if self.source is None:
            return None
        postgres = isinstance(self.source, PostgresEventSource)  # SQLite holds ids as hex
        ids = {(str(case_id_for(rows.case_ref)) if postgres else case_id_for(rows.case_ref).hex):
               rows.case_ref for rows in chunk}
        return {ids[str(row[1])] for row in self.source.cases(list(ids))}

    def _case(self, case_rows: CaseRows) -> tuple[EhcAssessment, int] | None:
        """The case with its new rows applied, or None (rejected, or nothing new)."""
        rows = case_rows.rows
        try:
            case = self._load_or_open(case_rows)
        except RowProblem as problem:
            self._reject_case(rows, rows[0], problem)
            return None
        seen: dict[str, int] = {}
        keys = []
        for row in rows:
            content = row.content_key()
            seen[content] = seen.get(content, 0) + 1
            keys.append(f"imp:{content}:{seen[content]}")
        present = {id(row) for row, key in zip(rows, keys, strict=True)
                   if key in case.client_event_ids}
        new = 0
        for row, event_id in zip(rows, keys, strict=True):
            if id(row) in present:
                self.report.already_present += 1
                continue
            try:
                self._apply(case, row, event_id)
            except RowProblem as problem:
                self.report.already_present -= sum(  # _reject_case counts them all
                    1 for earlier in rows[:rows.index(row)] if id(earlier) in present)
                self._reject_case(rows, row, problem, skip=present)
                return None
            new += 1
        self._tick(len(rows))
        if new == 0 and self._person_linked(case_rows):
            return None
        return case, new

    def _load_or_open(self, case_rows: CaseRows) -> EhcAssessment:
        first = case_rows.rows[0]
        team = _one_value(case_rows.rows, "team")
        caseworker = _one_value(case_rows.rows, "caseworker")
        if self._known is None or case_rows.case_ref in self._known:
            try:
                return self.application.case(case_rows.case_ref)
            except CaseNotFound:
                pass
        try:
            checked_names(case_rows.case_ref, team, caseworker)
        except RuleBroken as error:
            raise RowProblem("case_ref", case_rows.case_ref, str(error)) from None
        return EhcAssessment(case_rows.case_ref, team=team, caseworker=caseworker,
                             client_event_id=f"imp:open:{case_rows.case_ref}",
                             opened_by=f"{self.actor} (import {first.file} row {first.number})")

    def _apply(self, case: EhcAssessment, row: ImportRow, event_id: str) -> None:
        payload = payload_of(row)
        if "recorded" not in payload:
            # Not given: the tracker learned of it today (an auditor's "as known at" replay
            # sees history before the move-in only when the old system's date is given).
            payload["recorded"] = self.today.isoformat()
        try:
            fact = build_fact(payload)
        except InvalidValue as error:
            raise invalid(error.message, payload) from None
        try:
            case.record(fact, f"{self.actor} (import {row.file} row {row.number})",
                        self.today, event_id)
        except RuleBroken as error:
            column = "recorded" if "recorded" in error.message and "recorded" in payload \
                else ("on" if error.rule == "date" else "type")
            raise RowProblem(column, row.values.get(column, ""), error.message,
                             error.rule) from None

    def _reject_case(self, rows: list[ImportRow], bad: ImportRow, problem: RowProblem,
                     skip: Any = (), tick: bool = True) -> None:
        self.report.reject(ReportLine(
            bad.file, bad.number, bad.case_ref, "rejected", problem.column, problem.value,
            problem.rule, rule_source(problem.message), problem.message))
        for row in rows:
            if row is bad:
                continue
            if id(row) in skip:
                self.report.already_present += 1
                continue
            self.report.not_imported += 1
            self.report.lines.append(ReportLine(
                row.file, row.number, row.case_ref, "not_imported",
                message=f"not imported: row {bad.number} was rejected (a case is imported "
                        "whole or not at all)"))
        if tick:
            self._tick(len(rows))

    def _person_linked(self, case_rows: CaseRows) -> bool:
        if self.people is None or not _person_values(case_rows.rows):
            return True
        return self.people.store.person_of(case_rows.case_ref) is not None

    def _save(self, pending: list[tuple[CaseRows, EhcAssessment, int]]) -> None:
        if not pending:
            return
        people = self._checked_children([self._person_of(rows) for rows, _, _ in pending])
        refused = {id(rows): person for (rows, _, _), person in zip(pending, people,
                                                                   strict=True)
                   if isinstance(person, RowProblem)}
        kept = [item for item in pending if id(item[0]) not in refused]
        for rows, _, _ in pending:
            if id(rows) in refused:
                problem = refused[id(rows)]
                bad = next((row for row in rows.rows if problem.column in row.values),
                           rows.rows[0])
                self._reject_case(rows.rows, bad, problem, tick=False)
        failed: set[str] = set()
        if not self.dry_run and kept:
            failed = self._store([case for _, case, _ in kept if case.pending_events])
        links = []
        for (rows, _, new), person in zip(pending, people, strict=True):
            if id(rows) in refused or rows.case_ref in failed:
                continue
            self.report.imported += new
            self.report.cases_imported += 1 if new else 0
            if person is not None and not self.dry_run:
                links.append((rows.case_ref, *person))
        if links:
            self._link_all(links)

    def _checked_children(self, found: list[PersonFound | RowProblem | None]
                          ) -> list[PersonFound | RowProblem | None]:
        """Two cases naming one child (by local id) must agree on who the child is: a child
        already known with other details, or given two ways in this batch, is a
        contradiction, and the case is rejected."""
        if self.people is None:
            return found
        given = [item for item in found if isinstance(item, tuple) and item[1] is not None]
        keyed = self.people.store.keys([person_id for person_id, _ in given]) if given else {}
        seen: dict[str, PersonDetails] = {}
        checked: list[PersonFound | RowProblem | None] = []
        for item in found:
            if isinstance(item, tuple) and item[1] is not None:
                person_id, details = item
                same = person_id not in keyed or self._same_child(person_id, details)
                if same and seen.setdefault(person_id, details) == details:
                    checked.append(item)
                    continue
                item = RowProblem(
                    "child_local_id", details.local_id or "",
                    "this child is already known with other details (surname, forename, "
                    "date of birth, UPN or ULN): rows for one child must agree",
                    "contradiction")
            checked.append(item)
        return checked

    def _same_child(self, person_id: str, details: PersonDetails) -> bool:
        """Whether the child already known by this id is the one the rows describe (a key
        without a saved child is a registration a killed import left half done)."""
        from service.people import PersonNotFound

        try:
            known = self.people.application.person(person_id).details
        except PersonNotFound:
            return True
        return known is not None and search_terms(known) == search_terms(details)

    def _link_all(self, links: list[tuple[str, str, PersonDetails | None]]) -> None:
        """Each case to its child: new children registered together (one transaction a
        batch), known ones linked. Safe to run again after a kill: a child whose key was
        made but who was not saved is registered again under the same id."""
        people = self.people
        keyed = people.store.keys([person_id for _, person_id, _ in links])
        fresh: dict[str, tuple[str, PersonDetails, list[str]]] = {}
        for case_ref, person_id, details in links:
            if people.store.person_of(case_ref) is not None:
                continue
            if person_id in fresh:
                fresh[person_id][2].append(case_ref)
                continue
            if details is not None:
                known = people.match(details)
                if known is None and person_id not in keyed:
                    fresh[person_id] = (person_id, details, [case_ref])
                    continue
                if known is None:
                    person_id = people.register(details, self.actor, person_id)
                    # A registration a killed import left half done: index it again
                    # (register() returns early when the child was saved already).
                    people.store.index_person(person_id, search_terms(details))
                else:
                    person_id = known
            people.link(case_ref, person_id, self.actor)
            self.report.people_linked += 1
        if fresh:
            self.report.people_linked += sum(len(refs) for _, _, refs in fresh.values())
            people.register_many(fresh.values(), self.actor)

    def _store(self, cases: list[EhcAssessment]) -> set[str]:
        """Saves the cases; returns the references of those another writer got to first."""
        failed: set[str] = set()
        try:
            self.application.save(*cases)
        except IntegrityError:
            # Another writer touched one of these cases meanwhile: save them one by one; the
            # one that clashed is left for the next run (its rows are then already present
            # or imported).
            for case in cases:
                try:
                    self.application.save(case)
                except IntegrityError:
                    failed.add(case.case_ref)
                    self.report.notes.append(
                        f"case {case.case_ref} changed while it was imported: run the "
                        "import again to complete it")
        return failed

    def _person_of(self, case_rows: CaseRows) -> PersonFound | RowProblem | None:
        try:
            values = _person_values(case_rows.rows)
        except RowProblem as problem:
            return problem
        if self.people is None or not values:
            return None
        from service.people import InvalidPerson, parse_details

        local_id = values.pop("child_local_id", None)
        if not values:
            if local_id is None:
                return None
            found = self.people.store.find("local_id", _fold(local_id))
            if found:
                return found[0], None
            return RowProblem("child_local_id", local_id,
                              f"no child with local id {local_id!r} is known, and the rows "
                              "give no surname, forename and date of birth", "person")
        try:
            details = parse_details({**values, **({"local_id": local_id} if local_id else {})})
        except InvalidPerson as error:
            column = str(error).split(":", 1)[0].split(";")[0].strip()
            column = column if column in PERSON_COLUMNS else "surname"
            return RowProblem(column, values.get(column, ""), str(error), "person")
        return _person_id(local_id, details), details

    def _tick(self, rows: int) -> None:
        if self.progress is not None:
            self.progress(rows)


def _person_id(local_id: str | None, details: PersonDetails) -> str:
    """The id a child is registered under: a SEN2 Person ID that is already a UUID (the
    tracker's own, exported) stays itself, so a round trip keeps it; else one derived from
    the local id, or from the name and date of birth, the same on every run."""
    if local_id:
        try:
            return str(UUID(local_id))
        except ValueError:
            return str(uuid5(_PERSON_NAMESPACE, local_id))
    return str(uuid5(_PERSON_NAMESPACE,
                     f"{details.surname}|{details.forename}|{details.date_of_birth}"))


def _one_value(rows: list[ImportRow], column: str) -> str | None:
    values = {row.values[column] for row in rows if column in row.values}
    if len(values) > 1:
        raise RowProblem(column, " / ".join(sorted(values)),
                         f"the case's rows give {len(values)} different values for {column}",
                         "contradiction")
    return values.pop() if values else None


def _person_values(rows: list[ImportRow]) -> dict[str, str]:
    found: dict[str, str] = {}
    for row in rows:
        for column in PERSON_COLUMNS:
            if column in row.values:
                value = row.values[column]
                if found.setdefault(column, value) != value:
                    raise RowProblem(column, value, f"the case's rows give different values "
                                     f"for {column}", "contradiction")
    mapped = {"date_of_birth": "date_of_birth"}
    return {mapped.get(k, k): v for k, v in found.items()}


def _fold(text: str) -> str:
    from domain.person import fold

    return fold(text)


class ProgressBar:
    """A progress bar on standard error (only when it is a terminal, or when asked)."""

    def __init__(self, total: int, enabled: bool | None = None) -> None:
        self.total, self.done = max(total, 1), 0
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.started = time.monotonic()
        self._shown = -1

    def __call__(self, rows: int) -> None:
        self.done += rows
        percent = self.done * 100 // self.total
        if self.enabled and percent != self._shown:
            self._shown = percent
            filled = percent // 4
            rate = self.done / max(time.monotonic() - self.started, 1e-9)
            print(f"\r[{'#' * filled}{'.' * (25 - filled)}] {percent:3d}% "
                  f"{self.done:,}/{self.total:,} rows, {rate:,.0f} rows/s",
                  end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.enabled:
            print(file=sys.stderr)


def rows_of(table_rows: Iterator[ImportRow]) -> list[ImportRow]:
    return list(table_rows)
