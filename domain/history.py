"""A case's history as the system knows it: facts in the order accepted, corrections applied."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from functools import cache
from typing import Any

from pydantic import ValidationError

from domain.errors import CorrectionRefused, InvalidValue, RuleBroken
from domain.facts import (
    FACT_TYPES,
    UNCORRECTABLE_FIELDS,
    Correction,
    ExceptionRecorded,
    Fact,
    PlanInPlace,
    fact_date,
    fact_payload,
    field_names,
)
from domain.wording import date_text


def build_fact(payload: Mapping[str, Any]) -> Fact:
    """A fact from plain values, or InvalidValue naming the field and what it accepts."""
    fact_type = FACT_TYPES.get(str(payload.get("type")))
    if fact_type is None:
        known = ", ".join(FACT_TYPES)
        raise InvalidValue(f"unknown event type {payload.get('type')!r}: known types are {known}")
    try:
        return fact_type.model_validate(dict(payload))
    except ValidationError as error:
        raise InvalidValue(_describe(fact_type, error)) from None


def _describe(fact_type: type[Fact], error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "event"
        given = item.get("input")
        if item["type"] == "literal_error":
            allowed = item.get("ctx", {}).get("expected", "")
            problems.append(f"unknown {field} {given!r}: expected one of {allowed}")
        elif item["type"] == "missing":
            problems.append(f"{field} is required")
        elif item["type"] == "extra_forbidden":
            problems.append(f"{field} is not a field of {fact_type.model_fields['type'].default}")
        else:
            problems.append(f"{field}: {item['msg']}")
    return "; ".join(problems)


def apply_correction(target: Fact, correction: Correction) -> Fact:
    """The target event as the correction says it should read."""
    if isinstance(target, Correction):
        raise CorrectionRefused("a correction cannot be corrected: record a new correction")
    changes = dict(correction.set)
    if not changes:
        raise CorrectionRefused("a correction must set at least one field")
    fixed = sorted(UNCORRECTABLE_FIELDS & changes.keys())
    if fixed:
        raise CorrectionRefused(f"a correction cannot change {', '.join(fixed)}")
    allowed = field_names(type(target)) - UNCORRECTABLE_FIELDS
    unknown = sorted(changes.keys() - allowed)
    if unknown:
        raise CorrectionRefused(
            f"{', '.join(unknown)} is not a field of {target.type} "
            f"(it has {', '.join(sorted(allowed))})"
        )
    try:
        corrected = build_fact({**fact_payload(target), **changes})
    except RuleBroken as error:
        raise CorrectionRefused(f"the corrected {target.type} is invalid: {error}") from None
    if fact_date(corrected) > corrected.recorded:
        raise CorrectionRefused(
            f"the corrected date {date_text(fact_date(corrected))} is after the day the event "
            f"was recorded ({date_text(corrected.recorded)}): nothing is recorded before it "
            "happened")
    return corrected


def effective_facts(history: Sequence[Fact], known_at: date | None = None) -> list[Fact]:
    """Non-correction facts in the order accepted, each as its latest correction reads.

    With `known_at`, facts and corrections recorded after that day are left out: the case as
    the system knew it then (the auditors' replay).
    """
    facts: list[Fact] = []
    position: dict[str, int] = {}
    for fact in history:
        if known_at is not None and fact.recorded > known_at:
            continue
        if isinstance(fact, Correction):
            index = position.get(fact.corrects)
            if index is not None:
                facts[index] = apply_correction(facts[index], fact)
            continue
        if fact.id is not None:
            position[fact.id] = len(facts)
        facts.append(fact)
    return facts


@cache
def _defaults(fact_type: type[Fact]) -> dict[str, Any]:
    return {
        name: info.default for name, info in fact_type.model_fields.items()
        if not info.is_required()
    }


def _date_fields(fact_type: type[Fact]) -> tuple[str, ...]:
    """Fields other than on/recorded/from/to that hold a date (last_reviewed, transfer_on)."""
    return tuple(
        name for name, info in fact_type.model_fields.items()
        if name not in ("on", "recorded", "from_", "to", "not_recorded")
        and "date" in str(info.annotation)
        and "TransferredIn" not in str(info.annotation))


_MORE_DATES = {fact_type: _date_fields(fact_type) for fact_type in FACT_TYPES.values()}


_day = cache(date.fromisoformat)  # the same few thousand dates recur across cases


def restore_fact(payload: Mapping[str, Any]) -> Fact:
    """A fact read back from the store, where it was validated when recorded, rebuilt without
    validating again: the projections' hot path.

    Equal to `build_fact(payload)` for every stored payload (tests/test_history.py)."""
    fact_type = FACT_TYPES[payload["type"]]
    if fact_type is PlanInPlace:  # nested and rare: validate as when recorded
        return build_fact(payload)
    values = {**_defaults(fact_type), **payload}
    values["on"] = _day(values["on"])
    values["recorded"] = _day(values["recorded"])
    if fact_type is ExceptionRecorded:
        values["from_"] = _day(values.pop("from"))
        if values["to"] is not None:
            values["to"] = _day(values["to"])
        if values["applies_to"] is not None:
            values["applies_to"] = tuple(values["applies_to"])
    if values["not_recorded"] is not None:
        values["not_recorded"] = tuple(values["not_recorded"])
    more = _MORE_DATES[fact_type]
    if more:
        for name in more:
            if values[name] is not None:
                values[name] = _day(values[name])
    fact = object.__new__(fact_type)
    object.__setattr__(fact, "__dict__", values)
    object.__setattr__(fact, "__pydantic_fields_set__", set(values))
    object.__setattr__(fact, "__pydantic_extra__", None)
    object.__setattr__(fact, "__pydantic_private__", None)
    return fact
