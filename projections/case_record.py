"""A case as the projections see it: rebuilt from raw stored rows, evaluated by the engine."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson

from calendars.authority_calendar import AuthorityCalendar
from domain.facts import Fact
from domain.history import restore_fact
from domain.timeline import CaseTimeline, Deadline, evaluate
from projections.profile import Stopwatch
from projections.source import RawEvent

Decrypt = Callable[[bytes], bytes]
OPEN_STATUSES = ("pending", "overdue")


@dataclass
class CaseRecord:
    case_id: str
    case_ref: str = ""
    team: str | None = None
    caseworker: str | None = None
    facts: list[Fact] = field(default_factory=list)
    last_position: int = 0

    def apply(self, event: RawEvent, decrypt: Decrypt | None = None) -> None:
        position, _, _, topic, stored = event
        self.apply_state(position, topic, orjson.loads(decrypt(stored) if decrypt else stored))

    def apply_state(self, position: int, topic: str, state: dict[str, Any]) -> None:
        self.last_position = max(self.last_position, position)
        name = topic.rsplit(".", 1)[-1]
        if "fact" in state:
            self.facts.append(restore_fact(state["fact"]))
        elif name == "Opened":
            self.case_ref = state["case_ref"]
            self.team, self.caseworker = state.get("team"), state.get("caseworker")
        elif name == "CaseworkerAssigned":
            self.team, self.caseworker = state.get("team"), state.get("caseworker")


def records_from(rows: Iterable[RawEvent], decrypt: Decrypt | None = None) -> Iterator[CaseRecord]:
    """Consecutive rows of the same case (ordered by case, then version) into records."""
    record: CaseRecord | None = None
    for row in rows:
        if record is None or row[1] != record.case_id:
            if record is not None:
                yield record
            record = CaseRecord(row[1])
        record.apply(row, decrypt)
    if record is not None:
        yield record


def evaluate_chunk(
    rows: list[RawEvent], day: date, calendar: AuthorityCalendar, decrypt: Decrypt | None,
    watch: Stopwatch | None = None,
) -> tuple[list[tuple], list[tuple], int]:
    """Summary and deadline rows for the whole cases in `rows` (runs in worker processes),
    a step at a time over the chunk so `watch` can split the CPU between the steps."""
    watch = watch or Stopwatch()
    states = [orjson.loads(decrypt(row[4]) if decrypt else row[4]) for row in rows]
    watch.lap("decode")
    records = [r for r in _records(rows, states) if r.case_ref]  # opening not yet visible
    watch.lap("restore")
    timelines = [evaluate(r.facts, as_of=day, calendar=calendar) for r in records]
    watch.lap("evaluate")
    summaries: list[tuple] = []
    deadlines: list[tuple] = []
    for record, timeline in zip(records, timelines, strict=True):
        summaries.append(summary_row(record, timeline, day))
        deadlines += deadline_rows(record.case_ref, timeline, record.team, record.caseworker)
        timeline.release()
    watch.lap("rows")
    return summaries, deadlines, len(rows)


def _records(rows: list[RawEvent], states: list[dict[str, Any]]) -> list[CaseRecord]:
    """Records of consecutive rows of the same case, from their decoded states: what
    `records_from` makes, in one tight loop (the rebuild's hot path)."""
    records: list[CaseRecord] = []
    record = CaseRecord("")
    facts = record.facts
    for (position, case_id, _, topic, _), state in zip(rows, states, strict=True):
        if case_id != record.case_id:
            record = CaseRecord(case_id)
            facts = record.facts
            records.append(record)
        if position > record.last_position:
            record.last_position = position
        if "fact" in state:
            facts.append(restore_fact(state["fact"]))
        elif topic.endswith(".Opened"):
            record.case_ref = state["case_ref"]
            record.team, record.caseworker = state.get("team"), state.get("caseworker")
        elif topic.endswith(".CaseworkerAssigned"):
            record.team, record.caseworker = state.get("team"), state.get("caseworker")
    return records


def case_rows(
    record: CaseRecord, today: date, calendar: AuthorityCalendar
) -> tuple[tuple, list[tuple]]:
    """The case summary row and its deadline rows, evaluated on `today`."""
    timeline = evaluate(record.facts, as_of=today, calendar=calendar)
    rows = summary_row(record, timeline, today), deadline_rows(
        record.case_ref, timeline, record.team, record.caseworker)
    timeline.release()  # freed at once when dropped (no cycles for the collector)
    return rows


SUMMARY_COLUMNS = (
    "case_ref", "case_id", "team", "caseworker", "status", "request_received", "requester",
    "next_key", "next_due", "overdue", "breach_certain", "earliest_final", "final_due",
    "final_status", "latest_draft", "evaluated_on", "position",
)
DEADLINE_COLUMNS = (
    "case_ref", "key", "kind", "provider", "clock_start", "due", "completed_on", "status",
    "days_late", "exception_applies", "exception", "team", "caseworker", "completed_by",
    "disputed",
)
# DfE's new plan when it came from a later round (round 1 refused or not issued, then an order
# or concession): counted by final_plans_within_20_weeks beside round 1's own final_plan rows.
FIRST_FINAL_KEY = "first_final_plan"


def summary_row(record: CaseRecord, timeline: CaseTimeline, today: date) -> tuple:
    deadlines = timeline.deadlines
    waiting = [d for d in deadlines.values() if d.status in OPEN_STATUSES]
    upcoming = min(waiting, key=_due, default=None)
    final = deadlines.get("final_plan")
    return (
        record.case_ref, record.case_id, record.team, record.caseworker, timeline.status,
        _iso(timeline.request_received), timeline.requester,
        upcoming.key if upcoming else None, _iso(upcoming.due if upcoming else None),
        sum(d.status == "overdue" for d in waiting),
        None if timeline.breach_certain is None else int(timeline.breach_certain),
        _iso(timeline.earliest_final), _iso(final.due if final else None),
        final.status if final else None, _iso(timeline.latest_draft), _iso(today),
        record.last_position,
    )


def _due(deadline: Deadline) -> date:
    return deadline.due


def deadline_rows(
    case_ref: str, timeline: CaseTimeline, team: str | None = None, caseworker: str | None = None
) -> list[tuple]:
    """One timeliness fact per deadline: the rows every KPI is computed from."""
    plan = timeline.new_plan
    disputed = int(plan.disputed) if plan is not None else 0
    rows = []
    iso = _ISO.get
    # Unpacked, not read field by field, and dates written from the cache of their texts: a
    # rebuild makes millions of these rows.
    for (key, kind, clock_start, due, status, completed_on, days_late, exception,
         exception_applies, _, _, provider, completed_by) in timeline.deadlines.values():
        rows.append((
            case_ref, key, kind, provider, iso(clock_start) or _iso(clock_start),
            iso(due) or _iso(due), iso(completed_on) or _iso(completed_on), status, days_late,
            int(exception_applies), exception, team, caseworker, completed_by,
            disputed if kind == "final_plan" else 0))
    final = timeline.deadlines.get("final_plan")
    if plan is not None and final is not None and final.completed_on is None:
        rows.append((
            case_ref, FIRST_FINAL_KEY, "final_plan", None, _iso(final.clock_start),
            _iso(plan.due), _iso(plan.issued_on), plan.status, plan.days_late,
            int(plan.exception_applies), None, team, caseworker, "final_plan_issued", disputed))
    return rows


# Dates as ISO texts, each made once: the same few thousand days recur across every case, and
# making the text costs several times looking it up. Emptied if it ever grows past its bound.
_ISO: dict[date | None, str | None] = {None: None}
_ISO_BOUND = 100_000


def _iso(day: date | None) -> str | None:
    text = _ISO.get(day)
    if text is None and day is not None:
        if len(_ISO) > _ISO_BOUND:
            _ISO.clear()
            _ISO[None] = None
        text = _ISO[day] = day.isoformat()
    return text
