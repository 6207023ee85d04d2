"""Wiring: the application, the event source and the read store for the configured store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from calendars.authority_calendar import AuthorityCalendar
from projections.read_store import PostgresReadStore, ReadStore, SQLiteReadStore
from projections.runner import TimelineProjection
from projections.source import EventSource, PostgresEventSource, SQLiteEventSource
from service.application import EhcApplication, today_in_england
from service.settings import StoreSettings


def open_application(
    settings: StoreSettings, calendar: AuthorityCalendar | None = None
) -> EhcApplication:
    return EhcApplication(settings.application_env(), calendar=calendar)


def open_source(settings: StoreSettings) -> EventSource:
    if settings.backend == "postgres":
        return PostgresEventSource(settings.postgres_conninfo())
    return SQLiteEventSource(settings.events_path)


def open_read_store(settings: StoreSettings) -> ReadStore:
    if settings.backend == "postgres":
        return PostgresReadStore(settings.postgres_conninfo())
    return SQLiteReadStore(settings.read_models_path)


def open_projection(
    settings: StoreSettings,
    application: EhcApplication,
    today: Callable[[], date] = today_in_england,
    **options: int,
) -> TimelineProjection:
    cipher = application.mapper.cipher
    return TimelineProjection(
        open_source(settings),
        open_read_store(settings),
        today=today,
        calendar=application.calendar,
        decrypt=cipher.decrypt if cipher else None,
        **options,
    )
