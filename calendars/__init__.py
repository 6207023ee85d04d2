"""Pure calendar arithmetic for EHC time limits: statutory periods, working days, settings'
closures and KPI reporting periods. No I/O; nothing from the domain or service layers."""

from calendars.authority_calendar import AuthorityCalendar, parse_term_calendar
from calendars.bank_holidays import bank_holidays_in, is_bank_holiday
from calendars.closures import SettingClosure, parse_closures
from calendars.counting import (
    days_inclusive,
    first_day_after,
    months_after,
    months_before,
    months_starting_with,
    period_beginning_with,
    weeks_after,
)
from calendars.periods import (
    FORMS,
    Period,
    parse_period,
    period_containing,
    periods_between,
)
from calendars.working_days import (
    add_working_days,
    is_working_day,
    last_of_working_days_beginning_with,
    working_days_between,
)

__all__ = [
    "FORMS",
    "AuthorityCalendar",
    "Period",
    "SettingClosure",
    "add_working_days",
    "bank_holidays_in",
    "days_inclusive",
    "first_day_after",
    "is_bank_holiday",
    "is_working_day",
    "last_of_working_days_beginning_with",
    "months_after",
    "months_before",
    "months_starting_with",
    "parse_closures",
    "parse_period",
    "parse_term_calendar",
    "period_beginning_with",
    "period_containing",
    "periods_between",
    "weeks_after",
    "working_days_between",
]
