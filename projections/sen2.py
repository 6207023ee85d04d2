"""SEN2 modules 1-5 as the CSV files councils' tools read (docs/spec/sen2-export.md: the
headers of Data to Insight's SEND tool, exactly), derived from the engine's timelines, for any
collection year, as known on any date.

Year Y's return covers activity in calendar year Y and work still open. Modules 2 and 3: each
request (round 1, and each reassessment) received by 31 December Y whose request or
assessment had not ended before 1 January Y (by a refusal, a not-to-issue notice, a final plan
or a withdrawal). Modules 4 and 5: every plan in force at any time in Y, and every plan ceased
in Y. Module 1: one row per child in the return. Each case is read on 31 December Y (or
`known_at`, if earlier) as the system knew it on `known_at`.

The engine's part 2 records (`CaseTimeline.plan`, `.rounds`, `.disputes`) are read when it
fills them; a case known by part 1 facts only gives round 1 and its first final plan.
"""

from __future__ import annotations

import csv
import itertools
import multiprocessing
from collections.abc import Callable, Iterable, Mapping
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
from domain.person import PersonDetails
from domain.timeline import CaseTimeline, Dispute, PlanRecord, Round, evaluate
from projections.case_record import CaseRecord, Decrypt, records_from
from projections.files import csv_cell
from projections.runner import CASE_RANGES, range_bounds
from projections.source import EventSource

MODULE_1 = (
    "Person ID", "Surname", "Forename", "Dob (ccyy-mm-dd)", "Gender", "Ethnicity", "Postcode",
    "UPN - Unique Pupil Number", "ULN - Young Persons Unique Learner Number",
    "UPN and ULN unavailable reason",
)
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
    "Worked based learning activity", "Personal budget taken up",
    "Personal budget - organised arrangements", "Personal budget - direct payments",
    "Date EHC Plan Ceased", "Reason EHC Plan Ceased",
)
MODULE_5 = (
    "Person ID", "Request Records ID", "EHC Plan (Transfer)", "Residential Settings",
    "Worked based learning activity", "EHCP review decisions date",
)
PHASE_TRANSFERS = (
    "Person ID", "Request Records ID", "Phase transfer", "Due date", "Final date", "Status",
)
# SEN2 CeaseReason 1-9, in the contract's order (plan-lifecycle.md, `plan_ceased`).
CEASE_REASON_CODES = {reason: str(number) for number, reason in enumerate((
    "max_age", "needs_met", "higher_education", "employment", "transferred_out", "disengaged",
    "moved_outside_england", "deceased", "other"), start=1)}
REQUEST_ROUNDS = ("request_received", "reassessment_decision")
ASSESSING = ("assess", "reassess")
MOVED_AWAY = ("moved", "out of area", "left the area", "exported", "relocated",
              "new la", "new local authority", "another authority", "another local authority")
NOT_MOVED = ("not moved", "has not moved", "hasn't moved", "did not move", "not moving")


def _same(value: str) -> str:
    return value


@dataclass(frozen=True)
class Identities:
    """How people and requests are named in the return: the child's person id (a case with
    no child recorded stands for itself, by its reference), and, when the reader may not
    see identifiers, a keyed hash of each (`shown`), the same in every module."""

    person_of: Mapping[str, str] = field(default_factory=dict)  # case_ref -> person id
    shown: Callable[[str], str] = _same

    def person(self, case_ref: str) -> str:
        return self.shown(self.person_of.get(case_ref) or case_ref)

    def request(self, case_ref: str, suffix: str) -> str:
        return f"{self.shown(case_ref)}-{suffix}"


@dataclass
class Sen2Return:
    year: int
    known_at: date | None
    persons: list[tuple] = field(default_factory=list)
    requests: list[tuple] = field(default_factory=list)
    assessments: list[tuple] = field(default_factory=list)
    plans: list[tuple] = field(default_factory=list)
    active_plans: list[tuple] = field(default_factory=list)
    phase_transfers: list[tuple] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    people: set[str] = field(default_factory=set)  # person ids of the children in it
    cases_without_child: list[str] = field(default_factory=list)
    personal: bool = True

    def merge(self, other: Sen2Return) -> None:
        for name in ("persons", "requests", "assessments", "plans", "active_plans",
                     "phase_transfers", "notes", "cases_without_child"):
            getattr(self, name).extend(getattr(other, name))
        self.people |= other.people

    def add_persons(self, details: Mapping[str, PersonDetails | None],
                    shown: Callable[[str], str] = _same) -> None:
        """Module 1, one row per child in the return; an erased child keeps its id only."""
        erased = 0
        for person_id in sorted(self.people):
            found = details.get(person_id)
            if found is None:
                erased += 1
                self.persons.append((shown(person_id), *[""] * (len(MODULE_1) - 1)))
                continue
            self.persons.append((
                shown(person_id), found.surname, found.forename,
                found.date_of_birth.isoformat(), found.sex or "", found.ethnicity or "",
                found.postcode or "", found.upn or "", found.uln or "",
                found.upn_unknown_reason or ""))
        if erased:
            self.notes.append(f"{erased} children in the return were erased: module 1 gives "
                              "their Person ID only.")

    def files(self) -> list[tuple[str, tuple[str, ...], list[tuple]]]:
        files = [("module1_persons.csv", MODULE_1, self.persons)] if self.personal else []
        return [
            *files,
            ("module2_requests.csv", MODULE_2, self.requests),
            ("module3_assessments.csv", MODULE_3, self.assessments),
            ("module4_plans.csv", MODULE_4, self.plans),
            ("module5_active_plans.csv", MODULE_5, self.active_plans),
            ("phase_transfers.csv", PHASE_TRANSFERS, self.phase_transfers),
        ]

    def write(self, folder: Path) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name, header, rows in self.files():
            path = folder / name
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(header)
                writer.writerows([csv_cell(cell) for cell in row] for row in rows)
            written.append(path)
        notes = folder / "notes.txt"
        notes.write_text("\n".join(self.summary()) + "\n", encoding="utf-8")
        return [*written, notes]

    def summary(self) -> list[str]:
        known = f", as known on {self.known_at}" if self.known_at else ""
        lines = [f"SEN2 return for {self.year}{known}.",
                 f"Module 1: {len(self.persons)} children; module 2: {len(self.requests)} "
                 f"requests; module 3: {len(self.assessments)} assessments; module 4: "
                 f"{len(self.plans)} plans; module 5: {len(self.active_plans)} active plans; "
                 f"phase transfers: {len(self.phase_transfers)}."]
        if not self.personal:
            lines.append("Pseudonymised: Person ID and request ids are keyed hashes, the same "
                         "in every file; module 1 (personal details) is not included.")
        if self.cases_without_child:
            lines.append(f"{len(self.cases_without_child)} cases have no child recorded: "
                         "each stands for itself as a Person ID, with no module 1 row.")
        lines += self.notes
        return lines


def sen2_return(
    records: Iterable[CaseRecord], year: int, known_at: date | None = None,
    calendar: AuthorityCalendar | None = None, identities: Identities | None = None,
) -> Sen2Return:
    calendar = calendar or AuthorityCalendar()
    identities = identities or Identities()
    start, end = date(year, 1, 1), date(year, 12, 31)
    as_of = min(end, known_at) if known_at else end
    result = Sen2Return(year, known_at)
    for record in records:
        if not record.facts or min(f.on for f in record.facts) > as_of:
            continue  # nothing had happened yet by the end of the year
        case = _CaseAtYearEnd.of(record, as_of, known_at)
        if case.over_before(start):
            continue  # ended before the year, with no plan in force: not this return's
        timeline = evaluate(record.facts, as_of, known_at, calendar)
        _Rows(result, record, timeline, case, identities, start, end, calendar).add()
    return result


def sen2_return_from(
    source: EventSource, year: int, known_at: date | None = None,
    calendar: AuthorityCalendar | None = None, identities: Identities | None = None,
    decrypt: Decrypt | None = None, workers: int = 2,
) -> Sen2Return:
    """The return read straight from the event store, the case ids split into ranges as
    the rebuild splits them and read by `workers` processes (the export is bound by CPU:
    decoding and evaluating every case). Rows come in the same order whatever `workers`."""
    global _job
    upto = source.max_position()
    job = _Job(source, upto, year, known_at, calendar, identities, decrypt)
    if workers <= 1:
        parts = [job.part(number) for number in range(CASE_RANGES)]
    else:
        _job = job  # the children inherit it by fork: nothing is pickled on the way in
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                parts = pool.map(_part_in_child, range(CASE_RANGES))
        finally:
            _job = None
    result = Sen2Return(year, known_at)
    for part in parts:
        result.merge(part)
    return result


@dataclass(frozen=True)
class _Job:
    source: EventSource
    upto: int
    year: int
    known_at: date | None
    calendar: AuthorityCalendar | None
    identities: Identities | None
    decrypt: Decrypt | None

    def part(self, number: int) -> Sen2Return:
        source = self.source.reopen()
        try:
            after, through = range_bounds(number)
            rows = itertools.chain.from_iterable(source.by_case(self.upto, after, 20000,
                                                                through))
            return sen2_return(records_from(rows, self.decrypt), self.year, self.known_at,
                               self.calendar, self.identities)
        finally:
            source.close()


_job: _Job | None = None


def _part_in_child(number: int) -> Sen2Return:
    assert _job is not None
    return _job.part(number)


@dataclass(frozen=True)
class _CaseAtYearEnd:
    """The events SEN2's outcomes are read from, as known on `known_at`, dated by the end
    of the collection year (round 1 of a case known by part 1 facts)."""

    decision: DecisionToAssess | None
    not_to_issue: NotToIssueNotice | None
    final: FinalPlanIssued | None
    withdrawal: CaseWithdrawn | None
    part_2: bool  # any event beyond part 1 (a plan in place, reviews, rounds, disputes)

    @classmethod
    def of(cls, record: CaseRecord, as_of: date, known_at: date | None) -> _CaseAtYearEnd:
        first: dict[type, Fact] = {}
        part_2 = False
        for fact in effective_facts(record.facts, known_at):
            if fact.on <= as_of:
                first.setdefault(type(fact), fact)
                part_2 = part_2 or fact.type not in PART_1_TYPES
        return cls(first.get(DecisionToAssess), first.get(NotToIssueNotice),  # type: ignore[arg-type]
                   first.get(FinalPlanIssued), first.get(CaseWithdrawn),  # type: ignore[arg-type]
                   part_2)

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

    def over_before(self, start: date) -> bool:
        """Ended before the year with no plan that could still be in force: nothing of it
        is in the return (part 2 cases are always read by the engine)."""
        closed = self.closed_on
        return (not self.part_2 and self.final is None and closed is not None
                and closed < start)

    @property
    def assessment_finished(self) -> bool:
        return self.final is not None or self.not_to_issue is not None


PART_1_TYPES = frozenset({
    "request_received", "decision_to_assess", "advice_requested", "advice_received",
    "not_to_issue_notice", "draft_plan_issued", "final_plan_issued", "exception_recorded",
    "case_withdrawn", "correction",
})


@dataclass
class _Request:
    """One module 2 row under construction, and its module 3 row if it has one."""

    round: Round
    request_id: str
    row: list
    assessment: list | None = None


class _Rows:
    """One case's rows in every module."""

    def __init__(self, result: Sen2Return, record: CaseRecord, timeline: CaseTimeline,
                 case: _CaseAtYearEnd, identities: Identities, start: date, end: date,
                 calendar: AuthorityCalendar) -> None:
        self.result, self.record, self.timeline, self.case = result, record, timeline, case
        self.identities, self.start, self.end, self.calendar = identities, start, end, calendar
        self.person = identities.person(record.case_ref)
        self.requests: list[_Request] = []
        self.plan_request_id: str | None = None

    def add(self) -> None:
        rounds = self.timeline.rounds or _part_1_rounds(self.timeline, self.case)
        for index, round_ in enumerate(rounds):
            if round_.opened_by in REQUEST_ROUNDS:
                ordered = list(itertools.takewhile(
                    lambda later: later.opened_by not in REQUEST_ROUNDS, rounds[index + 1:]))
                if any(self._active(r) for r in (round_, *ordered)):
                    self._request(round_)
            elif self._active(round_):
                self._order_round(round_)
        self._disputes()
        self._plan()
        in_return = bool(self.requests) or self.plan_request_id is not None
        if not in_return:
            return
        person_id = self.identities.person_of.get(self.record.case_ref)
        if person_id is None:
            self.result.cases_without_child.append(self.record.case_ref)
        else:
            self.result.people.add(person_id)
        for request in self.requests:
            self.result.requests.append(tuple(request.row))
            if request.assessment is not None:
                self.result.assessments.append(tuple(request.assessment))

    def _active(self, round_: Round) -> bool:
        """Still open on 1 January, or ended in the year (else an earlier year's return's)."""
        return round_.closed_on is None or round_.closed_on >= self.start

    def _request(self, round_: Round) -> None:
        """A request's module 2 row, and its assessment's module 3 row. A request decided
        before the year is here with outcome H when an assessment the Tribunal ordered under
        it is still going on in the year."""
        number = round_.number
        request_id = self.identities.request(self.record.case_ref, f"R{number}")
        outcome, outcome_date = _request_outcome(round_, self.start)
        exported = _exported(self.case) if number == 1 else 0
        row = [self.person, request_id, _iso(round_.started_on), "", _iso(outcome_date),
               outcome, 0, 0, exported, ""]
        request = _Request(round_, request_id, row)
        if round_.decision_outcome in ASSESSING and self._active(round_):
            request.assessment = self._assessment(round_, request_id, round_)
        self.requests.append(request)

    def _order_round(self, round_: Round) -> None:
        """A round opened by a Tribunal order or a concession is no new request: its
        assessment goes under the request appealed, when that request has none (a refusal
        reversed keeps its outcome N; the Tribunal flag says what happened)."""
        earlier = [r for r in self.requests if r.round.started_on <= round_.opened_on]
        if earlier and earlier[-1].assessment is None:
            earlier[-1].assessment = self._assessment(round_, earlier[-1].request_id,
                                                      earlier[-1].round)

    def _assessment(self, round_: Round, request_id: str, request: Round) -> list:
        outcome, day = _assessment_outcome(round_, self.start)
        return [self.person, request_id, outcome, _iso(day), 0, 0, 0, 0,
                int(self._week20(round_, outcome, request))]

    def _week20(self, round_: Round, outcome: str, request: Round) -> bool:
        """"20-week time limit exceptions apply": under the first request, round 1's final
        plan deadline, whichever round made the plan (as the KPI reads it; for an issued plan
        with exceptions known by `known_at`, even if attested after 31 December); under a
        reassessment, that round's own final deadline."""
        if request.opened_by == "request_received":
            timeline = self.timeline
            if outcome == "Y" and self._anything_after_year_end():
                timeline = evaluate(self.record.facts, self.timeline.known_at,
                                    self.timeline.known_at, self.calendar)
            final = timeline.deadlines.get("final_plan")
            return final is not None and final.exception_applies
        return any(d.exception_applies for d in self.timeline.deadlines.values()
                   if d.kind in ("reassessment_final", "order.final_plan")
                   and d.clock_start >= round_.opened_on
                   and (round_.closed_on is None or d.clock_start <= round_.closed_on))

    def _anything_after_year_end(self) -> bool:
        """Whether reading the case later could differ: with nothing dated after the
        year's end, the later reading is the year-end one (saves an evaluation)."""
        as_of = self.timeline.as_of
        return as_of is None or any(fact.on > as_of for fact in self.record.facts)

    def _disputes(self) -> None:
        """The six mediation and Tribunal flags: `request` on the module 2 row of the request
        disputed, `assessment` and `other` on the module 3 row of the assessment."""
        for dispute in self.timeline.disputes:
            if not self._flag(dispute) and dispute.on >= self.start:
                self.result.notes.append(
                    f"{self.person}: {dispute.kind} about {dispute.about} on "
                    f"{dispute.on.isoformat()} has no SEN2 row to carry it in this return.")

    def _flag(self, dispute: Dispute) -> bool:
        column = 0 if dispute.kind == "mediation" else 1
        earlier = [r for r in self.requests if r.round.started_on <= dispute.on]
        if dispute.about == "request":
            if not earlier:
                return False
            earlier[-1].row[6 + column] = 1
            return True
        assessed = [r for r in earlier if r.assessment is not None]
        if not assessed:
            return False
        offset = 4 if dispute.about == "assessment" else 6
        assessed[-1].assessment[offset + column] = 1  # type: ignore[index]
        return True

    def _plan(self) -> None:
        plan = self.timeline.plan or _part_1_plan(self.case)
        if plan is None or plan.started_on > self.end:
            return
        if plan.ceased_on is not None and plan.ceased_on < self.start:
            return
        self.plan_request_id = self._plan_request_id(plan)
        ceased = plan.ceased_on if plan.ceased_on and plan.ceased_on <= self.end else None
        reason = CEASE_REASON_CODES.get(plan.cease_reason or "", "") if ceased else ""
        transferred = plan.transferred_in_on is not None and plan.transferred_in_on <= self.end
        self.result.plans.append((self.person, self.plan_request_id, _iso(plan.started_on),
                                  "", "", "", "", "", _iso(ceased), reason))
        self.result.active_plans.append((self.person, self.plan_request_id, int(transferred),
                                         "", "", _iso(plan.last_review_decision)))
        for deadline in self.timeline.deadlines.values():
            if deadline.kind == "phase_transfer" and self._in_year(deadline.due,
                                                                    deadline.completed_on):
                self.result.phase_transfers.append((
                    self.person, self.plan_request_id, deadline.key, _iso(deadline.due),
                    _iso(deadline.completed_on), deadline.status))

    def _plan_request_id(self, plan: PlanRecord) -> str:
        """The request whose assessment made the plan; a plan made before the tracker or
        elsewhere (`plan_in_place`) has none here, so it is named by its case."""
        if plan.made_here:
            rounds = self.timeline.rounds or _part_1_rounds(self.timeline, self.case)
            number = 1
            for round_ in rounds:
                if round_.opened_by in REQUEST_ROUNDS:
                    number = round_.number
                if round_.outcome == "plan_issued":
                    return self.identities.request(self.record.case_ref, f"R{number}")
        return self.identities.request(self.record.case_ref, "P")

    def _in_year(self, *days: date | None) -> bool:
        return any(day is not None and self.start <= day <= self.end for day in days)


def _part_1_rounds(timeline: CaseTimeline, case: _CaseAtYearEnd) -> tuple[Round, ...]:
    """Round 1 from part 1 facts, while the engine gives no rounds."""
    if timeline.request_received is None:
        return ()
    decision = case.decision
    outcome = None
    if case.withdrawal is not None and case.closed_on == case.withdrawal.on:
        outcome = "withdrawn"
    elif case.refused:
        outcome = "refused"
    elif case.final is not None and case.closed_on == case.final.on:
        outcome = "plan_issued"
    elif case.not_to_issue is not None:
        outcome = "not_issued"
    return (Round(1, "request_received", None, timeline.request_received,
                  timeline.request_received, decision.on if decision else None,
                  decision.outcome if decision else None, case.closed_on, outcome),)


def _part_1_plan(case: _CaseAtYearEnd) -> PlanRecord | None:
    if case.final is None:
        return None
    return PlanRecord(case.final.on, True, None, None, None, None, None)


def _request_outcome(round_: Round, start: date) -> tuple[str, date | None]:
    """Y assessing, N not assessing (dated by the decision); H decided before the year;
    W withdrawn before a decision; A no decision yet."""
    if round_.decision_on is None:
        return ("W", None) if round_.outcome == "withdrawn" else ("A", None)
    if round_.decision_on < start:
        return "H", None
    return ("Y" if round_.decision_outcome in ASSESSING else "N"), round_.decision_on


def _assessment_outcome(round_: Round, start: date) -> tuple[str, date | None]:
    """Y with the plan's issue date; N with the notice date; H decided before the year;
    W withdrawn before a decision; A undecided."""
    code = {"plan_issued": "Y", "not_issued": "N"}.get(round_.outcome or "")
    if code is not None and round_.closed_on is not None:
        return ("H", round_.closed_on) if round_.closed_on < start else (code, round_.closed_on)
    return ("W", None) if round_.outcome == "withdrawn" else ("A", None)


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
