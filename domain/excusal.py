"""Whether a recorded exception applies to a deadline: conditions (1)-(6) of
scenario-format.md "Exceptions". An exception excuses; it never moves a date."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from calendars.authority_calendar import AuthorityCalendar
from calendars.counting import days_inclusive
from domain import law
from domain.facts import AdviceRequested, ExceptionRecorded


class Period(Protocol):
    """A deadline's period: from its clock start to its due date, both inclusive."""

    key: str
    kind: str
    start: date
    due: date
    provider: str | None


def applies(
    exception: ExceptionRecorded,
    clock: Period,
    advice_requests: Sequence[AdviceRequested],
    calendar: AuthorityCalendar,
) -> bool:
    if not law.exception_available(exception.reason, clock.kind):  # (1)
        return False
    if exception.applies_to is not None and clock.key not in exception.applies_to:
        return False
    if exception.provider is not None and exception.provider != clock.provider:  # (6)
        return False
    if clock.start > clock.due:  # settled point 30: an empty period, nothing to excuse
        return False
    first, last = exception.from_, exception.to or clock.due  # open-ended: up to the due date
    if first > clock.due or last < clock.start:  # (2)
        return False
    if exception.reason == "absence_from_area":  # (3)
        overlap = days_inclusive(max(first, clock.start), min(last, clock.due))
        return overlap >= law.MIN_ABSENCE_DAYS
    if exception.reason in law.CLOSURE_PROVIDER:  # (4)
        return _closure_applies(exception.reason, first, last, advice_requests, calendar)
    if exception.reason == "coronavirus":  # (5)
        opens, closes = law.CORONAVIRUS_WINDOW
        return opens <= clock.due <= closes
    return True


def _closure_applies(
    reason: str,
    first: date,
    last: date,
    advice_requests: Sequence[AdviceRequested],
    calendar: AuthorityCalendar,
) -> bool:
    """Regs 5(4)(a), 10(4)(a)/(b): advice asked of the setting from 7 days before a closure of
    at least 28 days to 7 days before it re-opens, the closure overlapping the exception."""
    provider = law.CLOSURE_PROVIDER[reason]
    for closure in calendar.qualifying_closures():
        if not closure.overlaps(first, last):
            continue
        window_opens, window_closes = closure.advice_window
        for request in advice_requests:
            if (
                request.provider == provider
                and closure.covers_setting(request.setting)
                and window_opens <= request.on <= window_closes
            ):
                return True
    return False
