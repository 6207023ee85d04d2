"""What the case, history and replay pages show, in the users' words: deadlines grouped by the
part of the case's life they belong to, events with their details, the law behind each
deadline, the stored history and what a replay changes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, NamedTuple

from domain import wording
from domain.facts import FACT_TYPES, Fact, fact_payload
from domain.history import effective_facts
from domain.timeline import CaseTimeline, Deadline
from service.web.forms import Field, event_fields, on_field
from service.web.templating import day_text

GROUPS = (  # (title, the deadline keys' first parts), in the order of a case's life
    ("The assessment", ("decision_to_assess", "advice", "not_to_issue_notice", "final_plan")),
    ("Annual reviews", ("review", "review_decision")),
    ("Amendments to the plan", ("amended_plan",)),
    ("Moves to the next phase of education", ("phase_transfer",)),
    ("Reassessment", ("reassessment_decision", "reassessment_final")),
    ("After a Tribunal order or a conceded appeal", ("order",)),
)
OTHER_GROUP = "Other deadlines"


class DeadlineGroup(NamedTuple):
    title: str
    deadlines: list[Deadline]


def deadline_groups(timeline: CaseTimeline) -> list[DeadlineGroup]:
    """Every deadline, whatever its key, under the heading of the stage it belongs to."""
    groups: dict[str, list[Deadline]] = {}
    for deadline in timeline.deadlines.values():
        first = deadline.key.split(".")[0]
        title = next((t for t, firsts in GROUPS if first in firsts), OTHER_GROUP)
        groups.setdefault(title, []).append(deadline)
    order = [t for t, _ in GROUPS] + [OTHER_GROUP]
    return [DeadlineGroup(t, groups[t]) for t in order if t in groups]


def law_text(deadline: Deadline) -> str:
    """The provision and how the due date is counted, e.g. "Regulation 13(2): 20 weeks from
    the request received on 3 February 2025"."""
    return f"{wording.citation_text(deadline.citation)}: {deadline.explanation}"


def status_text(deadline: Deadline) -> str:
    text = wording.status_label(deadline.status)
    if deadline.exception:
        text += f" ({wording.EXCEPTION_REASONS.get(deadline.exception, deadline.exception)})"
    return text


def value_text(event: str, path: str, value: Any) -> str:
    """A field's value in words: choices by their label, dates as 13 July 2026, yes or no."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple) and path == "not_recorded":
        return ", ".join(wording.NOT_RECORDED.get(str(v), str(v)) for v in value)
    if isinstance(value, list | tuple):
        return ", ".join(wording.deadline_label(str(v)) for v in value)
    if isinstance(value, dict):
        return "; ".join(detail(event, f"{path}.{k}", v) for k, v in value.items())
    if isinstance(value, date):
        return day_text(value)
    field = _field_for(event, path)
    if field is not None and field.kind == "choice":
        return wording.choice_label(event, path, str(value))
    if field is not None and field.kind == "date":
        return day_text(str(value))
    return str(value)


def _field_for(event: str, path: str) -> Field | None:
    if event not in FACT_TYPES:
        return None
    if path == "on":
        return on_field(event)
    fields = event_fields(event)
    for part in path.split("."):
        field = next((f for f in fields if f.name == part), None)
        if field is None:
            return None
        fields = field.parts
    return field


def detail(event: str, path: str, value: Any) -> str:
    label = wording.field_label(event, path)
    text = value_text(event, path, value)
    return f"{label} {text}" if label.endswith("?") else f"{label}: {text}"


def fact_details(payload: dict[str, Any]) -> list[str]:
    """An event's own fields in words (its type and dates are shown beside them)."""
    event = str(payload.get("type"))
    if event == "correction":
        changes = [detail(_target_type(payload), k, v) for k, v in payload["set"].items()]
        return [f"Corrected to: {'; '.join(changes)}", f"Reason: {payload['reason']}"]
    return [detail(event, key, value) for key, value in payload.items()
            if key not in ("type", "on", "recorded", "id")]


_TARGET_TYPE = "_target_type"  # set on a correction's payload for its words


def _target_type(payload: dict[str, Any]) -> str:
    return str(payload.get(_TARGET_TYPE, "correction"))


def event_name(fact: Fact) -> str:
    return f"{wording.event_label(fact.type)} on {day_text(fact.on)}"


class EventRow(NamedTuple):
    on: date
    event: str
    details: list[str]
    recorded: date
    actor: str
    id: str | None
    corrected: bool


def case_events(facts: list[Fact], actors: dict[str | None, str]) -> list[EventRow]:
    """What happened, each event as its latest correction reads, with who recorded it."""
    corrected = {f.corrects for f in facts if f.type == "correction"}  # type: ignore[attr-defined]
    rows = []
    for fact in effective_facts(facts):
        rows.append(EventRow(fact.on, wording.event_label(fact.type),
                             fact_details(fact_payload(fact)), fact.recorded,
                             actors.get(fact.id, ""), fact.id, fact.id in corrected))
    return sorted(rows, key=lambda r: r.on)


class HistoryRow(NamedTuple):
    version: int
    event: str
    on: str
    recorded_at: Any
    actor: str
    details: list[str]


def history_rows(stored: Iterable[Any]) -> list[HistoryRow]:
    """Every stored event, openings and reassignments included, with who did it."""
    rows, names = [], {}
    for event in stored:
        actor = getattr(event, "actor", None) or ""
        if hasattr(event, "fact"):
            payload = fact_payload(event.fact)
            if event.fact.id:
                names[event.fact.id] = event.fact
            if payload["type"] == "correction":
                target = names.get(payload["corrects"])
                payload[_TARGET_TYPE] = target.type if target else "correction"
                what = (f"Correction of {event_name(target)}" if target
                        else "Correction")
            else:
                what = wording.event_label(payload["type"])
            rows.append(HistoryRow(event.originator_version, what, day_text(event.fact.on),
                                   event.timestamp, actor, fact_details(payload)))
        else:
            rows.append(_case_change(event, actor))
    return rows


def _case_change(event: Any, actor: str) -> HistoryRow:
    """An opening or a reassignment: no fact, dated when it was stored."""
    opened = type(event).__name__ == "Opened"
    who = getattr(event, "caseworker", None) or "no caseworker yet"
    team = getattr(event, "team", None)
    to = f"{who}, {team} team" if team else who
    by = getattr(event, "opened_by", None) or actor or "Not recorded"
    return HistoryRow(event.originator_version, "Case opened" if opened else "Case reassigned",
                      day_text(event.timestamp.date()), event.timestamp, by,
                      [f"{'Opened for' if opened else 'Given to'} {to}"])


class Change(NamedTuple):
    what: str
    then: str
    now: str


def replay_changes(then: CaseTimeline, now: CaseTimeline) -> list[Change]:
    """What the replay shows differently from today's view, in words."""
    rows = []
    for key in dict.fromkeys([*then.deadlines, *now.deadlines]):
        before, after = then.deadlines.get(key), now.deadlines.get(key)
        name = wording.deadline_label(key)
        if before is None or after is None:  # one row for a deadline only one side has
            rows.append(Change(name, _summary(before, "No deadline yet"),
                               _summary(after, "No deadline")))
            continue
        for field, title in (("due", "due date"), ("status", "status"),
                             ("completed_on", "done on"), ("days_late", "days late")):
            old = _deadline_value(before, field, "No deadline yet")
            new = _deadline_value(after, field, "No deadline")
            if old != new:
                rows.append(Change(f"{name}: {title}", old, new))
    if then.status != now.status:
        rows.append(Change("Case status", wording.CASE_STATUSES.get(then.status, then.status),
                           wording.CASE_STATUSES.get(now.status, now.status)))
    if bool(then.breach_certain) != bool(now.breach_certain):
        rows.append(Change("Final plan certain to be late", "Yes" if then.breach_certain else "No",
                           "Yes" if now.breach_certain else "No"))
    if then.breach_reasons != now.breach_reasons:
        rows.append(Change("Why it was late", _reasons(then), _reasons(now)))
    return rows


def _reasons(timeline: CaseTimeline) -> str:
    return "; ".join(wording.breach_reason_label(r) for r in timeline.breach_reasons) or "Nothing"


def _summary(deadline: Deadline | None, missing: str) -> str:
    if deadline is None:
        return missing
    done = f", done on {day_text(deadline.completed_on)}" if deadline.completed_on else ""
    return f"{status_text(deadline)}: due {day_text(deadline.due)}{done}"


def _deadline_value(deadline: Deadline | None, field: str, missing: str) -> str:
    if deadline is None:
        return missing
    value = getattr(deadline, field)
    if field == "status":
        return status_text(deadline)
    if field in ("due", "completed_on"):
        return day_text(value, "Not yet")
    return str(value)
