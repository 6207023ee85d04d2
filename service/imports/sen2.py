"""`ehc import sen2`: a SEN2 return (modules 1-5 as the CSV files `ehc export sen2` writes,
the headers of docs/spec/sen2-export.md) turned into rows of the events template, then
imported like any other rows: each through the real application, each case all or nothing.

What a return holds becomes events; what it does not hold is never invented (part 3,
docs/spec/imported-history.md): a request has no requester (`not_recorded: [requester]`), a
final plan no draft (`not_recorded: [draft_plan_issued]`), a request decided before the
return's year (outcome H) a decision whose date is not recorded. What cannot be carried at
all (a withdrawal's date, a review's outcome, the authority a plan came from) is named in the
report, with why. The flags the tracker derives (Week20, mediation, tribunal) are never typed
in: after the import they are compared with what the events give, and differences reported.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from projections.sen2 import CEASE_REASON_CODES, MODULE_1, MODULE_2, MODULE_3, MODULE_4, MODULE_5
from service.application import CaseNotFound, EhcApplication
from service.imports.reading import MAX_FILE_BYTES
from service.imports.report import ImportReport, ReportLine
from service.imports.rows import ImportRow
from service.imports.run import ImportRefused, run_rows

FILES = {
    "module1_persons.csv": MODULE_1, "module2_requests.csv": MODULE_2,
    "module3_assessments.csv": MODULE_3, "module4_plans.csv": MODULE_4,
    "module5_active_plans.csv": MODULE_5,
}
REQUIRED = ("module2_requests.csv", "module3_assessments.csv", "module4_plans.csv",
            "module5_active_plans.csv")
CEASE_REASONS = {code: reason for reason, code in CEASE_REASON_CODES.items()}
# Columns of the return the tracker has no field for: a value in one is named in the report.
NOT_HELD = {
    "module2_requests.csv": ("Initial Request Whilst In RYA", "New start date"),
    "module4_plans.csv": ("Residential Settings", "Worked based learning activity",
                          "Personal budget taken up", "Personal budget - organised arrangements",
                          "Personal budget - direct payments"),
    "module5_active_plans.csv": ("Residential Settings", "Worked based learning activity"),
}
_REQUEST_ID = re.compile(r"^(?P<case>.+)-(?P<suffix>R\d+|P)$")
SOURCE = "docs/spec/imported-history.md"


@dataclass
class Module:
    name: str
    rows: list[tuple[int, dict[str, str]]]


@dataclass
class Sen2Files:
    modules: dict[str, Module]
    year: int

    def rows(self, name: str) -> list[tuple[int, dict[str, str]]]:
        module = self.modules.get(name)
        return module.rows if module else []


def read_return(source: Path, year: int | None = None,
                max_bytes: int = MAX_FILE_BYTES) -> Sen2Files:
    """The modules of a return in a folder or a .zip; ImportRefused when one is missing or
    its header is not the exact SEN2 header."""
    texts = dict(_texts(source, max_bytes))
    missing = [name for name in REQUIRED if name not in texts]
    if missing:
        raise ImportRefused(f"{source.name}: {', '.join(missing)} missing: a SEN2 return "
                            f"needs modules 2 to 5 ({', '.join(REQUIRED)}), module 1 if it "
                            "carries the children's details")
    modules = {}
    for name, text in texts.items():
        header = FILES.get(name)
        if header is None:
            continue
        reader = csv.reader(io.StringIO(text))
        found = tuple(next(reader, ()))
        if found != header:
            raise ImportRefused(f"{name}: the header is not SEN2's: expected "
                                f"{', '.join(header)}; found {', '.join(found) or 'nothing'}")
        modules[name] = Module(name, [
            (number, dict(zip(header, (_unescaped(cell.strip()) for cell in cells),
                              strict=False)))
            for number, cells in enumerate(reader, start=2) if any(c.strip() for c in cells)])
    return Sen2Files(modules, year or _year_of(texts, modules))


def _unescaped(cell: str) -> str:
    """A cell our export escaped ("'=..."; projections.files.csv_cell) as it was."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@") else cell


def _texts(source: Path, max_bytes: int) -> Iterator[tuple[str, str]]:
    if source.is_dir():
        for path in sorted(source.iterdir()):
            if path.name in FILES or path.name == "notes.txt":
                if path.stat().st_size > max_bytes:
                    raise ImportRefused(f"{path.name}: over the size limit")
                yield path.name, _decoded(path.name, path.read_bytes())
        return
    if not source.is_file():
        raise ImportRefused(f"{source.name}: no such folder or file")
    try:
        with zipfile.ZipFile(source) as archive:
            for info in archive.infolist():
                name = Path(info.filename).name
                if name in FILES or name == "notes.txt":
                    if info.file_size > max_bytes:
                        raise ImportRefused(f"{name}: over the size limit")
                    yield name, _decoded(name, archive.read(info))
    except zipfile.BadZipFile:
        raise ImportRefused(f"{source.name}: not a folder or a .zip of SEN2 CSV files"
                            ) from None


def _decoded(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(f"{name}: not a CSV file in UTF-8") from None


def _year_of(texts: dict[str, str], modules: dict[str, Module]) -> int:
    """The collection year: from the export's notes, else the latest date in the return."""
    found = re.search(r"SEN2 return for (\d{4})", texts.get("notes.txt", ""))
    if found:
        return int(found.group(1))
    years = [int(value[:4]) for module in modules.values() for _, row in module.rows
             for value in row.values() if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)]
    if not years:
        raise ImportRefused("the return gives no date to tell its year: give --year")
    return max(years)


@dataclass
class _Case:
    case_ref: str
    person: str
    rows: list[ImportRow] = field(default_factory=list)
    week20: tuple[str, int, str] | None = None  # (file, row, value)
    flags: list[tuple[str, int, str, str]] = field(default_factory=list)


class ReturnMapper:
    """A return's rows as template rows, case by case, and the notes on what is not carried."""

    def __init__(self, files: Sen2Files, report: ImportReport) -> None:
        self.files, self.report = files, report
        self.cases: dict[str, _Case] = {}
        self.persons = {row.get("Person ID", ""): (number, row)
                        for number, row in files.rows("module1_persons.csv")}
        self.before_year = date(files.year - 1, 12, 31).isoformat()
        assessments = {}
        for number, row in files.rows("module3_assessments.csv"):
            assessments[row["Requests Record ID"]] = (number, row)
        self.assessments = assessments
        self.plans = {row["Request Records ID"]: (number, row)
                      for number, row in files.rows("module4_plans.csv")}
        self.active = {row["Request Records ID"]: (number, row)
                       for number, row in files.rows("module5_active_plans.csv")}

    def rows(self) -> list[ImportRow]:
        self._not_held()
        requested = set()
        for number, row in self.files.rows("module2_requests.csv"):
            requested.add(row["Requests Record ID"])
            self._request(number, row)
        for request_id, (number, row) in self.plans.items():
            self._plan(request_id, number, row, request_id in requested)
        return [row for case in self.cases.values() for row in case.rows]

    def _not_held(self) -> None:
        for name, columns in NOT_HELD.items():
            for number, row in self.files.rows(name):
                for column in columns:
                    if row.get(column):
                        request_id = row.get("Requests Record ID") or row.get(
                            "Request Records ID", "")
                        self._note(name, number, self._case(request_id, row["Person ID"]),
                                   column, row[column], "the tracker holds no such field "
                                   "(it is not derived from events): not carried")

    def _case(self, request_id: str, person: str) -> _Case:
        match = _REQUEST_ID.match(request_id)
        case_ref = match.group("case") if match else request_id
        case = self.cases.get(case_ref)
        if case is None:
            case = self.cases[case_ref] = _Case(case_ref, person)
        return case

    def _add(self, case: _Case, file: str, number: int, **values: str) -> None:
        cells = {"case_ref": case.case_ref, **{k: v for k, v in values.items() if v}}
        if not case.rows and case.person:
            person = self._person(case.person)
            if person:
                cells.update(person)
            else:
                self._note(file, number, case, "Person ID", case.person,
                           "no module 1 row gives this child's details (a pseudonymised "
                           "return has none): the case is imported without its child")
        case.rows.append(ImportRow(file, number, cells))

    def _person(self, person: str) -> dict[str, str]:
        found = self.persons.get(person)
        values = {"child_local_id": person}
        if found is None or not found[1].get("Surname"):
            return {}
        row = found[1]
        for column, name in (("Surname", "surname"), ("Forename", "forename"),
                             ("Dob (ccyy-mm-dd)", "date_of_birth"), ("Gender", "sex"),
                             ("Ethnicity", "ethnicity"), ("Postcode", "postcode"),
                             ("UPN - Unique Pupil Number", "upn"),
                             ("ULN - Young Persons Unique Learner Number", "uln"),
                             ("UPN and ULN unavailable reason", "upn_unknown_reason")):
            if row.get(column):
                values[name] = row[column]
        return values

    def _request(self, number: int, row: dict[str, str]) -> None:
        file, request_id = "module2_requests.csv", row["Requests Record ID"]
        case = self._case(request_id, row["Person ID"])
        match = _REQUEST_ID.match(request_id)
        if match and match.group("suffix") not in ("R1",):
            self._note(file, number, case, "Requests Record ID", request_id,
                       "a reassessment request: the return gives neither the request's "
                       "requester nor the plan's review history it needs; not carried")
            return
        received = row["Date Request Was Received"]
        self._add(case, file, number, type="request_received", on=received,
                  not_recorded="requester")
        outcome, decided = row["Request Outcome"], row["Request Outcome Date"]
        assessment = self.assessments.get(request_id)
        if outcome in ("Y", "N"):
            self._add(case, file, number, type="decision_to_assess", on=decided,
                      outcome="assess" if outcome == "Y" else "refuse")
        elif outcome == "H" and assessment is not None:
            self._add(case, file, number, type="decision_to_assess", on=self.before_year,
                      outcome="assess", not_recorded="decision_date")
        elif outcome == "H":
            self._note(file, number, case, "Request Outcome", outcome,
                       "decided before the return's year with no assessment in it: whether "
                       "to assess is not known; the decision is not carried")
        elif outcome == "W":
            self._note(file, number, case, "Request Outcome", outcome,
                       "withdrawn before a decision: the return gives no date or reason for "
                       "the withdrawal; the request is imported without it")
        exported = "Exported - Child Or Young Person Moves Out Of LA Before Assessment Is Completed"
        if row.get(exported) == "1":
            self._note(file, number, case, exported, "1",
                       "moved out of the authority: the return gives no date or reason for "
                       "the withdrawal; not carried")
        for column in ("Request Mediation", "Request Tribunal"):
            if row.get(column) == "1":
                case.flags.append((file, number, column, "request"))
        if assessment is not None:
            self._assessment(case, request_id, *assessment)

    def _assessment(self, case: _Case, request_id: str, number: int,
                    row: dict[str, str]) -> None:
        file = "module3_assessments.csv"
        outcome, day = row["Assessment Outcome To Issue EHCP"], row["Assessment Outcome Date"]
        plan = self.plans.get(request_id)
        if outcome == "Y" or (outcome == "H" and plan is not None):
            issued = day if outcome == "Y" else plan[1]["EHC Plan Start Date"]  # type: ignore[index]
            self._add(case, file, number, type="final_plan_issued", on=issued,
                      not_recorded="draft_plan_issued")
        elif outcome == "N":
            self._add(case, file, number, type="not_to_issue_notice", on=day)
        elif outcome in ("H", "W"):
            self._note(file, number, case, "Assessment Outcome To Issue EHCP", outcome,
                       "the return does not say how (or when) this assessment ended; "
                       "not carried")
        case.week20 = (file, number, row.get("Twenty Weeks Time Limit Exceptions Apply", ""))
        for column in ("Assessment Mediation", "Assessment Tribunal", "Other Mediation",
                       "Other Tribunal"):
            if row.get(column) == "1":
                case.flags.append((file, number, column, "assessment"))

    def _plan(self, request_id: str, number: int, row: dict[str, str],
              requested: bool) -> None:
        file = "module4_plans.csv"
        case = self._case(request_id, row["Person ID"])
        active = self.active.get(request_id)
        review = active[1].get("EHCP review decisions date", "") if active else ""
        if not requested:
            self._add(case, file, number, type="plan_in_place", on=row["EHC Plan Start Date"],
                      last_reviewed=review)
            if not request_id.endswith("-P"):
                self._note(file, number, case, "Request Records ID", request_id,
                           "the plan's request is not in this return: imported as a plan "
                           "in place, which SEN2 names CASE-P")
        elif review:
            self._note("module5_active_plans.csv", active[0], case,  # type: ignore[index]
                       "EHCP review decisions date", review,
                       "the return gives the review decision's date, not its outcome "
                       "(maintain, amend or cease): not carried")
        if active and active[1].get("EHC Plan (Transfer)") == "1":
            self._note("module5_active_plans.csv", active[0], case, "EHC Plan (Transfer)",
                       "1", "transferred in: the return does not name the authority it came "
                       "from, nor the day; not carried")
        ceased = row.get("Date EHC Plan Ceased", "")
        if ceased:
            reason = CEASE_REASONS.get(row.get("Reason EHC Plan Ceased", ""), "")
            self._add(case, file, number, type="plan_ceased", on=ceased,
                      reason=reason or row.get("Reason EHC Plan Ceased", ""))

    def _note(self, file: str, number: int, case: _Case, column: str, value: str,
              why: str) -> None:
        self.report.lines.append(ReportLine(file, number, case.case_ref, "not_carried",
                                            column, value, "not_in_return", SOURCE, why))


def import_sen2(
    application: EhcApplication, source: Path, actor: str, *, people: Any = None,
    dry_run: bool = False, progress: bool | None = None, year: int | None = None,
    today: date | None = None,
) -> ImportReport:
    files = read_return(source, year)
    report = ImportReport(dry_run=dry_run)
    mapper = ReturnMapper(files, report)
    rows = mapper.rows()
    if not rows:
        raise ImportRefused(f"{source.name}: the return has no requests and no plans")
    run_rows(application, rows, actor, report, people=people, dry_run=dry_run,
             progress=progress, today=today)
    report.notes.append(f"SEN2 return for {files.year}.")
    if "phase_transfers.csv" in files.modules or (source / "phase_transfers.csv").exists():
        report.notes.append("phase_transfers.csv is not read: phase transfers are derived "
                            "from the plan's events, which the return does not hold.")
    if not dry_run:
        compare_flags(application, mapper, report)
    return report


def compare_flags(application: EhcApplication, mapper: ReturnMapper,
                  report: ImportReport) -> None:
    """The return's Week20, mediation and tribunal flags against what the imported events
    give: a difference is reported, never typed in."""
    for case in mapper.cases.values():
        try:
            timeline = application.timeline(case.case_ref)
        except CaseNotFound:
            continue
        if case.week20 is not None:
            file, number, value = case.week20
            final = timeline.deadlines.get("final_plan")
            derived = "1" if final is not None and final.exception_applies else "0"
            if value and value != derived:
                report.lines.append(ReportLine(
                    file, number, case.case_ref, "flag_differs",
                    "Twenty Weeks Time Limit Exceptions Apply", value, "derived_flag", SOURCE,
                    f"the return says {value}; the imported events give {derived} (an "
                    "exception needs its reason and dates, which the return does not hold)"))
        for file, number, column, about in case.flags:
            if not any(d.about == about for d in timeline.disputes):
                report.lines.append(ReportLine(
                    file, number, case.case_ref, "flag_differs", column, "1", "derived_flag",
                    SOURCE, "the return says 1; no mediation or appeal is recorded (the "
                    "return gives no date for one): record it to set the flag"))
