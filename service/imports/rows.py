"""The events template: one row per event, in the scenario contract's words, and how a row
becomes an event's payload (docs: README "Moving in", examples/import-template.csv)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.errors import InvalidValue
from domain.facts import FACT_TYPES, field_names

CASE_COLUMNS = ("case_ref", "team", "caseworker")
PERSON_COLUMNS = ("child_local_id", "surname", "forename", "date_of_birth", "sex",
                  "ethnicity", "postcode", "upn", "uln", "upn_unknown_reason")
EVENT_COLUMNS = (
    "type", "on", "recorded", "id", "requester", "outcome", "provider", "setting",
    "family_confirmed_no_comments", "names_next_setting", "reason", "from", "to",
    "attested_by", "applies_to", "last_reviewed", "transferred_in_from", "transferred_in_on",
    "transfer", "transfer_on", "about", "order", "concession", "corrects", "set",
    "not_recorded",
)
TEMPLATE_COLUMNS = (*CASE_COLUMNS[:1], "child_local_id", *EVENT_COLUMNS,
                    *CASE_COLUMNS[1:], *PERSON_COLUMNS[1:])
REQUIRED_COLUMNS = ("case_ref", "type", "on")
BOOLEAN_FIELDS = ("family_confirmed_no_comments", "names_next_setting")
LIST_FIELDS = ("applies_to", "not_recorded")


class HeaderRefused(Exception):
    """The header row is not the template's: nothing of the file is imported."""


def check_header(file: str, header: tuple[str, ...]) -> dict[str, int]:
    """Each template column's position; HeaderRefused naming unknown or missing columns."""
    positions: dict[str, int] = {}
    unknown = []
    for index, name in enumerate(header):
        key = name.strip().lower()
        if not key:
            continue
        if key not in TEMPLATE_COLUMNS:
            unknown.append(name)
        elif key in positions:
            raise HeaderRefused(f"{file}: the column {name!r} appears twice")
        else:
            positions[key] = index
    if unknown:
        raise HeaderRefused(
            f"{file}: unknown columns {', '.join(repr(u) for u in unknown)}: the template's "
            f"columns are {', '.join(TEMPLATE_COLUMNS)}")
    missing = [name for name in REQUIRED_COLUMNS if name not in positions]
    if missing:
        raise HeaderRefused(f"{file}: the columns {', '.join(missing)} are required")
    return positions


@dataclass(frozen=True)
class ImportRow:
    """One row of a file: where it came from and its non-empty cells by template column."""

    file: str
    number: int
    values: Mapping[str, str]

    @property
    def case_ref(self) -> str:
        return self.values.get("case_ref", "")

    def event_values(self) -> dict[str, str]:
        return {k: v for k, v in self.values.items() if k in EVENT_COLUMNS}

    def content_key(self) -> str:
        """What identifies the row's event whatever file or position it came from."""
        text = "\x1f".join(f"{k}={v}" for k, v in sorted(self.event_values().items()))
        return hashlib.sha256(f"{self.case_ref}\x1e{text}".encode()).hexdigest()[:24]


def cells_of(file: str, number: int, cells: tuple[str, ...],
             positions: Mapping[str, int]) -> ImportRow:
    values = {}
    for name, index in positions.items():
        if index < len(cells):
            text = cells[index].strip()
            if text:
                values[name] = text
    return ImportRow(file, number, values)


@dataclass(frozen=True)
class RowProblem(Exception):
    column: str
    value: str
    message: str
    rule: str = "invalid_value"


def payload_of(row: ImportRow) -> dict[str, Any]:
    """The event's payload (as the API takes it) from a row's cells, or RowProblem naming the
    column. Nothing is guessed: a cell that is not a field of the event's type is refused."""
    values = row.event_values()
    kind = values.get("type", "")
    fact_type = FACT_TYPES.get(kind)
    if fact_type is None:
        raise RowProblem("type", kind, f"unknown event type {kind!r}: known types are "
                         f"{', '.join(FACT_TYPES)}")
    allowed = field_names(fact_type)
    payload: dict[str, Any] = {}
    for column, text in values.items():
        name = "transferred_in" if column.startswith("transferred_in_") else column
        if name not in allowed:
            raise RowProblem(column, text, f"{column} is not a field of {kind} (it has "
                             f"{', '.join(sorted(allowed - {'type'}))})")
        if column in BOOLEAN_FIELDS:
            payload[column] = {"true": True, "false": False}.get(text.lower(), text)
        elif column in LIST_FIELDS:
            payload[column] = [part for part in re.split(r"[;,\s]+", text) if part]
        elif column == "set":
            payload["set"] = _set_of(text)
        elif name == "transferred_in":
            payload.setdefault("transferred_in", {})[column.removeprefix(
                "transferred_in_")] = text
        else:
            payload[column] = text
    return payload


def _set_of(text: str) -> dict[str, Any]:
    """A correction's fields: JSON ({"on": "2025-03-14"}) or `on=2025-03-14; outcome=refuse`."""
    if text.startswith("{"):
        try:
            found = json.loads(text)
        except ValueError:
            found = None
        if not isinstance(found, dict):
            raise RowProblem("set", text, "set: not a JSON object of fields")
        return found
    result: dict[str, Any] = {}
    for part in text.split(";"):
        name, equals, value = part.partition("=")
        if not equals or not name.strip():
            raise RowProblem("set", text, "set: write the fields as field=value; field=value")
        result[name.strip()] = value.strip()
    return result


def column_of(message: str, payload: Mapping[str, Any]) -> str:
    """The column a validation message is about (its first word naming a field)."""
    match = re.match(r"(?:unknown )?([a-z_]+)", message)
    if match:
        name = match.group(1)
        if name == "from_":
            return "from"
        if name in EVENT_COLUMNS or name in payload:
            return name
    return "type"


def invalid(message: str, payload: Mapping[str, Any]) -> RowProblem:
    column = column_of(message, payload)
    value = payload.get(column, "")
    return RowProblem(column, value if isinstance(value, str) else json.dumps(value), message)


__all__ = ["ImportRow", "InvalidValue", "RowProblem", "check_header", "payload_of"]
