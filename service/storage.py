"""How events are stored: compact JSON (orjson) whose `fact` is exactly the scenario payload.

The library's default JSON transcoder cannot carry pydantic models or dates; this mapper
stores each fact as the plain values a caseworker's file would hold, so projections can read
the raw rows without rebuilding domain objects.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic, resolve_topic
from pydantic import BaseModel

from domain.errors import InvalidValue
from domain.facts import Fact, fact_payload
from domain.history import build_fact, restore_fact


class OrjsonTranscoder(Transcoder):
    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj)

    def decode(self, data: bytes) -> Any:
        return orjson.loads(data)


class FactMapper(Mapper):  # type: ignore[type-arg]
    """Maps aggregate events to stored events; honours the library's cipher and compressor."""

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        state = {
            name: _plain(value)
            for name, value in vars(domain_event).items()
            if name not in ("originator_id", "originator_version")
        }
        stored = self.transcoder.encode(state)
        if self.compressor:
            stored = self.compressor.compress(stored)
        if self.cipher:
            stored = self.cipher.encrypt(stored)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(type(domain_event)),
            state=stored,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        values = decoded_state(self, stored_event)
        if "fact" in values:
            values["fact"] = _stored_fact(values["fact"])
        return rebuilt_event(stored_event, values)


def decoded_state(mapper: Mapper, stored_event: StoredEvent) -> dict[str, Any]:  # type: ignore[type-arg]
    """A stored event's values: deciphered, decompressed and decoded, its timestamp a
    datetime again (every mapper of the service reads its events this way)."""
    state = stored_event.state
    if mapper.cipher:
        state = mapper.cipher.decrypt(state)
    if mapper.compressor:
        state = mapper.compressor.decompress(state)
    values: dict[str, Any] = mapper.transcoder.decode(state)
    values["timestamp"] = datetime.fromisoformat(values["timestamp"])
    return values


def rebuilt_event(stored_event: StoredEvent, values: dict[str, Any]) -> Any:
    """The domain event with `values`, made without running its constructor (as the
    library's own mapper does)."""
    values["originator_id"] = stored_event.originator_id
    values["originator_version"] = stored_event.originator_version
    domain_event = object.__new__(resolve_topic(stored_event.topic))
    object.__setattr__(domain_event, "__dict__", values)
    return domain_event


def _stored_fact(payload: dict[str, Any]) -> Fact:
    """A stored fact, validated again; one stored before a rule that now refuses it (a NUL in
    a note, before domain.text) is read as it was stored, so its case still opens."""
    try:
        return build_fact(payload)
    except InvalidValue:
        return restore_fact(payload)


def _plain(value: Any) -> Any:
    if isinstance(value, Fact):
        return fact_payload(value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, datetime):
        return value.isoformat()
    return value
