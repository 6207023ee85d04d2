"""SEN2 modules 2-4 (requests, assessments, new plans) as DfE's COLLECT CSV layout, derived
from the engine's timelines, for any collection year, as known on any date.

See shared/spec/sen2-export.md. Year Y's return covers activity in calendar year Y and work
still open: every case received by 31 December Y that had not ended before 1 January Y (by a
refusal, a not-to-issue notice, a final plan or a withdrawal). Each case is read on 31
December Y (or `known_at`, if earlier) as the system knew it on `known_at`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from calendars.authority_calendar import AuthorityCalendar
from domain.facts import (
    CaseWithdrawn,
    DecisionToAssess,
    Fact,
    FinalPlanIssued,
    NotToIssueNotice,
)
from domain.history import effective_facts
from domain.timeline import CaseTimeline, evaluate
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
MOVED_AWAY = ("moved", "out of area", "left the area", "exported", "relocated",
              "new la", "new local authority", "another authority", "another local authority")
NOT_MOVED = ("not moved", "has not moved", "hasn't moved", "did not move", "not moving")


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
        if timeline.request_received is None:
            continue
        case = _CaseAtYearEnd.of(record, as_of, known_at)
        if case.closed_on is not None and case.closed_on < start:
            continue  # closed before the year: not this return's activity
        _add_case(result, record, timeline, case, start, calendar)
    return result


@dataclass(frozen=True)
class _CaseAtYearEnd:
    """The events SEN2's outcomes are read from, as known on `known_at`, dated by the end
    of the collection year."""

    decision: DecisionToAssess | None
    not_to_issue: NotToIssueNotice | None
    final: FinalPlanIssued | None
    withdrawal: CaseWithdrawn | None

    @classmethod
    def of(cls, record: CaseRecord, as_of: date, known_at: date | None) -> _CaseAtYearEnd:
        first: dict[type, Fact] = {}
        for fact in effective_facts(record.facts, known_at):
            if fact.on <= as_of:
                first.setdefault(type(fact), fact)
        return cls(first.get(DecisionToAssess), first.get(NotToIssueNotice),  # type: ignore[arg-type]
                   first.get(FinalPlanIssued), first.get(CaseWithdrawn))  # type: ignore[arg-type]

    @property
    def refused(self) -> bool:
        return self.decision is not None and self.decision.outcome == "refuse"

    @property
    def closed_on(self) -> date | None:
        """The day the request or its assessment ended: a refusal, a not-to-issue notice, the
        final plan or a withdrawal, whichever came first (a later event changes nothing)."""
        endings = [f.on for f in (self.not_to_issue, self.final, self.withdrawal) if f]
        if self.refused:
            endings.append(self.decision.on)  # type: ignore[union-attr]
        return min(endings, default=None)

    @property
    def assessment_finished(self) -> bool:
        return self.final is not None or self.not_to_issue is not None


def _add_case(result: Sen2Return, record: CaseRecord, timeline: CaseTimeline,
              case: _CaseAtYearEnd, start: date, calendar: AuthorityCalendar | None) -> None:
    person, request_id = record.case_ref, f"{record.case_ref}-R1"
    outcome, outcome_date = _request_outcome(case, start)
    result.requests.append((person, request_id, _iso(timeline.request_received), "",
                            _iso(outcome_date), outcome, 0, 0, _exported(case), ""))
    if case.decision is None or case.refused:
        return  # no assessment under this request
    assessment, day = _assessment_outcome(case, start)
    week20 = timeline.deadlines["final_plan"].exception_applies
    if assessment == "Y":
        # "Any exception applies to the final-plan deadline": an exception attested after
        # 31 December about a period before the plan counts, as the KPI counts it.
        known = evaluate(record.facts, timeline.known_at, timeline.known_at,
                         calendar or AuthorityCalendar())
        week20 = known.deadlines["final_plan"].exception_applies
    result.assessments.append((person, request_id, assessment, _iso(day), 0, 0, 0, 0,
                               int(week20)))
    if assessment == "Y":
        result.new_plans.append((person, request_id, _iso(day), "", "", "", "", "", ""))


def _request_outcome(case: _CaseAtYearEnd, start: date) -> tuple[str, date | None]:
    """Y assessing, N not assessing (dated by the decision); H decided before the year;
    W withdrawn before a decision; A no decision yet."""
    if case.decision is None:
        return ("W", None) if case.withdrawal is not None else ("A", None)
    if case.decision.on < start:
        return "H", None
    return ("N" if case.refused else "Y"), case.decision.on


def _assessment_outcome(case: _CaseAtYearEnd, start: date) -> tuple[str, date | None]:
    """Y with the plan's issue date; N with the notice date; H decided before the year;
    W withdrawn before a decision; A undecided."""
    for code, fact in (("Y", case.final), ("N", case.not_to_issue)):
        if fact is not None:
            return ("H", fact.on) if fact.on < start else (code, fact.on)
    return ("W", None) if case.withdrawal is not None else ("A", None)


def _exported(case: _CaseAtYearEnd) -> int:
    """1 when the child or young person moved out of the authority before the assessment
    finished: a withdrawal whose reason says so, with no refusal, notice or plan before it.
    The contract's `case_withdrawn` carries only a free-text reason, so its words decide."""
    if case.withdrawal is None or case.refused or case.assessment_finished:
        return 0
    reason = case.withdrawal.reason.lower()
    return int(any(phrase in reason for phrase in MOVED_AWAY)
               and not any(phrase in reason for phrase in NOT_MOVED))


def _iso(day: date | None) -> str:
    return "" if day is None else day.isoformat()
