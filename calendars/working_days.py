"""Working days: Monday to Friday except bank holidays in England.

Used only by regs 15-16 (transfers between authorities, 15 working days) and the mediation
regulations (3 working days); the other time limits count calendar days.
"""

from datetime import date, timedelta

from calendars.bank_holidays import is_bank_holiday

__all__ = [
    "add_working_days",
    "is_working_day",
    "last_of_working_days_beginning_with",
    "working_days_between",
]

_ONE_DAY = timedelta(days=1)


def is_working_day(day: date) -> bool:
    """True on Monday-Friday unless the day is an England bank holiday."""
    return day.weekday() < 5 and not is_bank_holiday(day)


def add_working_days(start: date, n: int) -> date:
    """The `n`-th working day after `start` (`start` itself not counted); `start` if n = 0."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    day = start
    while n:
        day += _ONE_DAY
        if is_working_day(day):
            n -= 1
    return day


def last_of_working_days_beginning_with(start: date, n: int) -> date:
    """Last day of a period of `n` working days beginning with `start`.

    `start` is day 1 when it is a working day (reg 15(2): "15 working days beginning with the
    day" the old authority became aware); otherwise the period begins on the next one.
    """
    if n < 1:
        raise ValueError(f"a period of working days lasts at least 1 day, got {n}")
    # The n-th working day on or after start == the n-th working day after the day before.
    return add_working_days(start - _ONE_DAY, n)


def working_days_between(first: date, last: date) -> int:
    """Working days from `first` to `last`, both included; 0 when `last` < `first`."""
    count = 0
    day = first
    while day <= last:
        count += is_working_day(day)
        day += _ONE_DAY
    return count
