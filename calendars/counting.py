"""Statutory period arithmetic in calendar days (statutory-timescales.md §1).

Weekends and bank holidays never move a deadline under the SEND Regulations 2014; only
working-day periods (regs 15-16, mediation) use `calendars.working_days`.
"""

from datetime import date, timedelta

__all__ = [
    "days_inclusive",
    "first_day_after",
    "months_after",
    "months_before",
    "months_starting_with",
    "period_beginning_with",
    "weeks_after",
]


def weeks_after(start: date, weeks: int) -> date:
    """Last compliant day of "within `weeks` weeks of `start`".

    The day of the event is excluded, so the period ends on the same weekday `weeks` weeks
    later (Dodds v Walker [1981] 1 WLR 1027): 6 weeks = +42, 20 weeks = +140 days.
    """
    if weeks < 0:
        raise ValueError(f"weeks must be >= 0, got {weeks}")
    return start + timedelta(weeks=weeks)


def period_beginning_with(start: date, days: int) -> tuple[date, date]:
    """Inclusive bounds of "at least `days` days beginning with `start`" (start is day 1)."""
    if days < 1:
        raise ValueError(f"a period beginning with a day lasts at least 1 day, got {days}")
    return start, start + timedelta(days=days - 1)


def first_day_after(start: date, days: int) -> date:
    """Earliest day the next step may happen after `days` days beginning with `start`.

    E.g. reg 13(1): a draft served on S allows the final plan from S+15 at the earliest.
    """
    if days < 0:
        raise ValueError(f"days must be >= 0, got {days}")
    return start + timedelta(days=days)


def _same_date_months_later(start: date, months: int) -> date:
    """`start` moved `months` months on; a day the month lacks rolls to the next 1st."""
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    try:
        return date(year, month + 1, start.day)
    except ValueError:
        # 29 Feb in a common year, or the 29th-31st of a shorter month.
        year, month = divmod(index + 1, 12)
        return date(year, month + 1, 1)


def months_starting_with(start: date, months: int) -> date:
    """Last day of "`months` months starting with `start`" (e.g. CFA s.44(1) reviews).

    The period ends the day before the same date `months` months later; when that date does
    not exist it is read as the 1st of the next month, so 29 Feb 2024 + 12 months ends on
    28 Feb 2025 and 31 Jan 2025 + 1 month ends on 28 Feb 2025.
    """
    if months < 1:
        raise ValueError(f"months must be >= 1, got {months}")
    return _same_date_months_later(start, months) - timedelta(days=1)


def months_before(day: date, months: int) -> date:
    """"`day` minus `months` months" (reg 18(2): at least 5 months before a transfer): the same
    date that many months earlier or, when that month lacks it, the month's last day, so
    31 Jul 2026 minus 5 months is 28 Feb 2026 (plan-lifecycle.md, "Months")."""
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    last = _month_end_day(year, month + 1)
    return date(year, month + 1, min(day.day, last))


def months_after(day: date, months: int) -> date:
    """The same date `months` months later or, when that month lacks it, its last day (the
    Tribunal rules' "2 months after"), e.g. 31 December 2025 + 2 months = 28 February 2026."""
    return months_before(day, -months)


def _month_end_day(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


def days_inclusive(first: date, last: date) -> int:
    """Number of days from `first` to `last`, both counted (1-28 April = 28)."""
    if last < first:
        raise ValueError(f"last day {last} is before first day {first}")
    return (last - first).days + 1
