"""SEN2 modules 2-4 (requests, assessments, new plans) as DfE's COLLECT CSV layout, derived
from the engine's timelines, for any collection year, as known on any date.

See shared/spec/sen2-export.md. Year Y's return covers activity in calendar year Y and work
still open at its end: requests received in Y, decisions and outcomes dated in Y, and
requests received before the end of Y that were still undecided then. Each case is evaluated
on 31 December Y (or `known_at`, if earlier) as the system knew it on `known_at`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from calendars.authority_calendar import AuthorityCalendar
from domain.facts import CaseWithdrawn
from domain.history import effective_facts
from domain.timeline import CaseTimeline, Deadline, evaluate
from projections.case_record import CaseRecord

MODULE_2 = (
    "Person ID", "Requests Record ID", "Date Request Was Received",
    "Initial Request Whilst In RYA", "Request Outcome Date", "Request Outcome",
    "Request Mediation", "Request Tribunal",
    "Exported - Child Or Young Person Moves Out Of LA Before Assessment Is Completed",
    "New start date",
)
MODULE_3 = (
    "Person ID", "Requests Record ID", "Assessment Outcome To Issue EHCP",
    "Assessment Outcome Date", "Assessment Mediation", "Assessment Tribunal",
    "Other Mediation", "Other Tribunal", "Twenty Weeks Time Limit Exceptions Apply",
)
MODULE_4 = (
    "Person ID", "Request Records ID", "EHC Plan Start Date", "Residential Settings",
    "Work Based Learning Activity", "Personal Budget Type", "Personal Budget Arrangements",
    "Reason EHC Plan Ceased", "EHC Plan Ceased Date",
)
MOVED_AWAY = ("moved", "out of area", "left the area", "exported")


@dataclass
class Sen2Return:
    year: int
    known_at: date | None
    requests: list[tuple] = field(default_factory=list)
    assessments: list[tuple] = field(default_factory=list)
    new_plans: list[tuple] = field(default_factory=list)

    def write(self, folder: Path) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name, header, rows in (
            ("module2_requests.csv", MODULE_2, self.requests),
            ("module3_assessments.csv", MODULE_3, self.assessments),
            ("module4_new_plans.csv", MODULE_4, self.new_plans),
        ):
            path = folder / name
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(header)
                writer.writerows(rows)
            written.append(path)
        return written


def sen2_return(
    records: Iterable[CaseRecord], year: int, known_at: date | None = None,
    calendar: AuthorityCalendar | None = None,
) -> Sen2Return:
    start, end = date(year, 1, 1), date(year, 12, 31)
    as_of = min(end, known_at) if known_at else end
    result = Sen2Return(year, known_at)
    for record in records:
        timeline = evaluate(record.facts, as_of, known_at, calendar or AuthorityCalendar())
        if timeline.request_received is None or not _in_return(timeline, start):
            continue
        _add_case(result, record, timeline, start)
    return result


def _in_return(timeline: CaseTimeline, start: date) -> bool:
    dates = [timeline.request_received] + [
        d.completed_on for d in timeline.deadlines.values() if d.completed_on]
    still_open = timeline.status == "open"
    return still_open or any(day is not None and day >= start for day in dates)


def _add_case(result: Sen2Return, record: CaseRecord, timeline: CaseTimeline,
              start: date) -> None:
    person, request_id = record.case_ref, f"{record.case_ref}-R1"
    decision = timeline.deadlines["decision_to_assess"]
    withdrawn = _withdrawal(record, timeline)
    outcome = _request_outcome(timeline, decision.completed_on, withdrawn, start)
    decision_refused = timeline.status == "refused"
    outcome_date = decision.completed_on if outcome in ("Y", "N") else None
    exported = int(withdrawn is not None and any(w in withdrawn.lower() for w in MOVED_AWAY)
                   and timeline.status == "withdrawn"
                   and timeline.deadlines["final_plan"].completed_on is None)
    result.requests.append((person, request_id, _iso(timeline.request_received), "",
                            _iso(outcome_date), outcome, 0, 0, exported, ""))
    if decision.completed_on is None or decision_refused:
        return
    final = timeline.deadlines["final_plan"]
    notice = timeline.deadlines["not_to_issue_notice"]
    assessment, day = _assessment_outcome(timeline, final, notice, start)
    result.assessments.append((person, request_id, assessment, _iso(day), 0, 0, 0, 0,
                               int(final.exception_applies)))
    if assessment == "Y":
        result.new_plans.append((person, request_id, _iso(day), "", "", "", "", "", ""))


def _request_outcome(
    timeline: CaseTimeline, decided: date | None, withdrawn: str | None, start: date
) -> str:
    if decided is None:
        return "W" if withdrawn is not None else "A"
    if decided < start:
        return "H"  # decided before this collection period
    return "N" if timeline.status == "refused" else "Y"


def _assessment_outcome(
    timeline: CaseTimeline, final: Deadline, notice: Deadline, start: date
) -> tuple[str, date | None]:
    """Y with the plan's issue date; N with the notice date; A undecided; W withdrawn."""
    for code, deadline in (("Y", final), ("N", notice)):
        if deadline.completed_on is not None:
            return ("H", deadline.completed_on) if deadline.completed_on < start else (
                code, deadline.completed_on)
    return ("W", None) if timeline.status == "withdrawn" else ("A", None)


def _withdrawal(record: CaseRecord, timeline: CaseTimeline) -> str | None:
    if timeline.status != "withdrawn":
        return None
    facts = effective_facts(record.facts, timeline.known_at)
    withdrawal = next((f for f in facts if isinstance(f, CaseWithdrawn)), None)
    return withdrawal.reason if withdrawal else None


def _iso(day: date | None) -> str:
    return "" if day is None else day.isoformat()
