"""Event forms built from the fact models (domain.facts.FACT_TYPES), and turning what was
typed into the same payloads the API takes.

A field's kind follows its type: a `Literal` is a choice (radios), a `date` a GOV.UK date
input, a `bool` a checkbox, a `str` a text box (a long one past 200 characters), a tuple the
deadlines of the case to tick, a pydantic model a group of its own fields; `X | None` or a
default makes it optional. A new event type in the domain appears on the pages unchanged.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Annotated, Any, Literal, NamedTuple, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from domain import wording
from domain.facts import FACT_TYPES, UNCORRECTABLE_FIELDS, Fact, fact_payload
from domain.rules import LAW_IN_FORCE

# No event is dated before the law came into force (plan-lifecycle.md, settled point 34):
# forms say so next to the field, before the domain refuses it.
EARLIEST = LAW_IN_FORCE
NOT_ASKED = frozenset({"type", "on", "recorded", "id", "not_recorded"})
LONG_TEXT = 200  # longer limits get a text area with a character count
RECORDABLE = tuple(kind for kind in FACT_TYPES if kind != "correction")


@dataclass(frozen=True)
class Field:
    name: str  # the key in payloads (the alias: `from`)
    path: str  # for labels: "reason", or "transferred_in.from" inside a group
    kind: str  # choice | date | flag | text | long_text | keys | group
    label: str
    hint: str | None
    required: bool
    choices: tuple[tuple[str, str], ...] = ()
    parts: tuple[Field, ...] = ()
    max_length: int | None = None
    subject: str | None = None  # what error messages call it, when not made from the label


class FieldError(NamedTuple):
    text: str
    field: str  # the input (or group) the message is shown beside
    href: str  # where the error summary's link goes: the first input to fix


class FormState(dict):
    """What a form shows: typed values (after an error) or an event's current values."""

    def getlist(self, key: str) -> list[str]:
        value = self.get(key)
        if value is None:
            return []
        return list(value) if isinstance(value, list | tuple) else [value]


def _unwrap(annotation: Any) -> tuple[Any, bool, list[Any]]:
    """(the type, whether None is allowed, its constraints) through Optional and Annotated."""
    optional, metadata = False, []
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        optional = len(members) < len(get_args(annotation))
        annotation = members[0] if len(members) == 1 else str
    while get_origin(annotation) is Annotated:
        annotation, *extra = get_args(annotation)
        for item in extra:
            metadata.extend(item.metadata if isinstance(item, FieldInfo) else [item])
    return annotation, optional, metadata


def _max_length(metadata: list[Any]) -> int | None:
    return next((m.max_length for m in metadata if getattr(m, "max_length", None)), None)


def _kind(annotation: Any) -> str:
    if get_origin(annotation) is Literal:
        return "choice"
    if get_origin(annotation) in (tuple, list):
        return "keys"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "group"
    return {date: "date", bool: "flag"}.get(annotation, "text")


def _field(event: str, name: str, info: FieldInfo, within: str = "") -> Field:
    annotation, optional, constraints = _unwrap(info.annotation)
    key = info.alias or name
    path = f"{within}.{key}" if within else key
    kind = _kind(annotation)
    limit = _max_length([*info.metadata, *constraints])
    if kind == "text" and limit and limit > LONG_TEXT:
        kind = "long_text"
    choices = tuple((code, wording.choice_label(event, path, code))
                    for code in get_args(annotation)) if kind == "choice" else ()
    parts = tuple(_field(event, n, i, path) for n, i in annotation.model_fields.items()
                  ) if kind == "group" else ()
    asked = isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("asked")
    required = ((info.is_required() and not optional) or bool(asked)) and kind != "flag"
    return Field(key, path, kind, wording.field_label(event, path),
                 wording.field_hint(event, path), required, choices, parts, limit,
                 wording.field_noun(event, path))


def model_fields(kind: str, model: type[BaseModel]) -> tuple[Field, ...]:
    """The fields a caseworker fills in for an event of `kind` (its `model`), beyond its
    date."""
    return tuple(_field(kind, name, info) for name, info in model.model_fields.items()
                 if (info.alias or name) not in NOT_ASKED)


@cache
def event_fields(kind: str) -> tuple[Field, ...]:
    return model_fields(kind, FACT_TYPES[kind])


@cache
def on_field(kind: str) -> Field:
    return Field("on", "on", "date", wording.field_label(kind, "on"),
                 wording.field_hint(kind, "on"), True)


def noun(field: Field) -> str:
    """What an error message asks for: "Who made the request?" -> "who made the request"."""
    text = field.label.rstrip("?")
    if field.subject:
        return field.subject
    if field.path == "on":
        return "the date it happened"
    if field.kind == "date" and text.startswith("Date"):
        return "the d" + text[1:]
    return text[0].lower() + text[1:]


def _capital(text: str) -> str:
    return text[0].upper() + text[1:]


# Reading what was typed ------------------------------------------------------------------

def _text(form: Mapping[str, Any], key: str) -> str:
    value = form.get(key)
    return "" if value is None else str(value).strip()


def read_date(form: Mapping[str, Any], key: str, field: Field,
              earliest: date | None = EARLIEST) -> tuple[date | None, FieldError | None]:
    """GOV.UK date input: boxes <key>-day, -month, -year; four-digit years only."""
    names = ("day", "month", "year")
    parts = {p: _text(form, f"{key}-{p}") for p in names}
    what = noun(field)
    if not any(parts.values()):
        if field.required:
            return None, FieldError(f"Enter {what}", key, f"#{key}-day")
        return None, None
    missing = [p for p in names if not parts[p]]
    if missing:
        return None, FieldError(f"{_capital(what)} must include a {' and '.join(missing)}",
                                key, f"#{key}-{missing[0]}")
    if not all(p.isascii() and p.isdigit() for p in parts.values()):
        return None, FieldError(f"{_capital(what)} must be a real date", key, f"#{key}-day")
    if len(parts["year"]) != 4:
        return None, FieldError("Year must include 4 numbers", key, f"#{key}-year")
    try:
        day = date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:  # 31 February
        return None, FieldError(f"{_capital(what)} must be a real date", key, f"#{key}-day")
    if earliest is not None and day < earliest:
        return None, FieldError(f"{_capital(what)} must be on or after "
                                f"{wording.date_text(earliest)}", key, f"#{key}-day")
    return day, None


def read_fields(fields: tuple[Field, ...], form: Mapping[str, Any],
                prefix: str) -> tuple[dict[str, Any], list[FieldError]]:
    """Values by payload key (None where optional and left empty), and every problem."""
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    for field in fields:
        key = f"{prefix}-{field.name}"
        value, problems = _read(field, form, key)
        values[field.name] = value
        errors.extend(problems)
    return values, errors


def _read(field: Field, form: Mapping[str, Any], key: str) -> tuple[Any, list[FieldError]]:
    if field.kind == "date":
        day, error = read_date(form, key, field)
        return day, [error] if error else []
    if field.kind == "flag":
        return bool(_text(form, key)), []
    if field.kind == "keys":
        ticked = [str(v) for v in _many(form, key) if str(v).strip()]
        return (tuple(ticked) or None), []
    if field.kind == "group":
        return _read_group(field, form, key)
    value = _text(form, key)
    if not value:
        verb = "Select" if field.kind == "choice" else "Enter"
        problem = FieldError(f"{verb} {noun(field)}", key, f"#{key}")
        return None, [problem] if field.required else []
    if field.kind == "choice" and value not in dict(field.choices):
        return None, [FieldError(f"Select {noun(field)}", key, f"#{key}")]
    if field.max_length and len(value) > field.max_length:
        what = noun(field) if field.subject else "the answer"
        return None, [FieldError(f"{_capital(what)} must be {field.max_length:,} "
                                 "characters or fewer", key, f"#{key}")]
    return value, []


def _read_group(field: Field, form: Mapping[str, Any],
                key: str) -> tuple[Any, list[FieldError]]:
    """An optional group left wholly empty is None; once started, each part is needed."""
    typed = any(_text(form, k) for k in form if str(k).startswith(f"{key}-"))
    if not typed and not field.required:
        return None, []
    parts = tuple(Field(p.name, p.path, p.kind, p.label, p.hint, True, p.choices, p.parts,
                        p.max_length, p.subject) for p in field.parts)
    values, errors = read_fields(parts, form, key)
    return values, errors


def _many(form: Mapping[str, Any], key: str) -> list[Any]:
    getlist = getattr(form, "getlist", None)
    if getlist is not None:
        return list(getlist(key))
    value = form.get(key)
    return [] if value is None else [value]


def payload_value(value: Any) -> Any:
    """A read value as the API's JSON has it: dates as ISO text, tuples as lists."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, dict):
        return {k: payload_value(v) for k, v in value.items()}
    return value


def read_event(form: Mapping[str, Any]) -> tuple[dict[str, Any] | None, list[FieldError]]:
    """The event payload a filled-in form describes, or the problems with it."""
    kind = _text(form, "type")
    on, error = read_date(form, "on", on_field(kind if kind in RECORDABLE else "on"))
    if kind not in RECORDABLE:
        return None, [FieldError("Select what happened", "type", "#type"),
                      *([error] if error else [])]
    values, errors = read_fields(event_fields(kind), form, kind)
    errors = ([error] if error else []) + errors
    if errors:
        return None, errors
    payload = {"type": kind, "on": on.isoformat() if on else None}
    payload |= {k: payload_value(v) for k, v in values.items() if v is not None}
    return payload, []


# Corrections -----------------------------------------------------------------------------

CORRECTION_PREFIX = "fix"


def correctable_fields(fact: Fact) -> tuple[Field, ...]:
    """The date and the fields of the event a correction may change."""
    fields = (on_field(fact.type), *event_fields(fact.type))
    return tuple(f for f in fields if f.name not in UNCORRECTABLE_FIELDS)


def read_correction(fact: Fact, form: Mapping[str, Any]
                    ) -> tuple[dict[str, Any] | None, list[FieldError]]:
    """The correction's `set` (only the fields that changed) and reason."""
    values, errors = read_fields(correctable_fields(fact), form, CORRECTION_PREFIX)
    reason = _text(form, "reason")
    if not reason:
        errors.append(FieldError("Enter why it is being corrected", "reason", "#reason"))
    elif len(reason) > 2000:
        errors.append(FieldError("The reason must be 2,000 characters or fewer", "reason",
                                 "#reason"))
    if errors:
        return None, errors
    current = fact_payload(fact)
    changes = {name: payload_value(value) for name, value in values.items()
               if payload_value(value) != current.get(name)
               and not (value is False and name not in current)}
    if not changes:
        first = correctable_fields(fact)[0]
        return None, [FieldError("Change at least one detail: nothing differs from what is "
                                 "recorded", CORRECTION_PREFIX, f"#{CORRECTION_PREFIX}-"
                                 f"{first.name}{'-day' if first.kind == 'date' else ''}")]
    return {"corrects": fact.id, "set": changes, "reason": reason}, []


def form_state(fields: tuple[Field, ...], payload: Mapping[str, Any], prefix: str) -> FormState:
    """An event's current values as its form's boxes (the correction form starts from them)."""
    state = FormState()
    for field in fields:
        key, value = f"{prefix}-{field.name}", payload.get(field.name)
        if value is None or value is False:
            continue
        if field.kind == "date":
            day = date.fromisoformat(str(value))
            state |= {f"{key}-day": str(day.day), f"{key}-month": str(day.month),
                      f"{key}-year": str(day.year)}
        elif field.kind == "group":
            state |= form_state(field.parts, value, key)
        elif field.kind == "flag":
            state[key] = "yes"
        elif field.kind == "keys":
            state[key] = list(value)
        else:
            state[key] = str(value)
    return state
