"""Bank holidays in England, from the `holidays` package (never a hard-coded list).

They matter only for working-day periods: a statutory deadline in the Regs is never moved by
a bank holiday (statutory-timescales.md §1).
"""

from datetime import date
from functools import lru_cache

import holidays

__all__ = ["bank_holidays_in", "is_bank_holiday"]


@lru_cache(maxsize=256)  # a year per entry; bounded for long-running services
def bank_holidays_in(year: int) -> frozenset[date]:
    """Bank holidays of England in `year`, substitute days ("observed") included."""
    # Subdivision ENG: Scotland and Northern Ireland have different bank holidays.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_bank_holiday(day: date) -> bool:
    """True when `day` is a bank holiday in England."""
    return day in bank_holidays_in(day.year)
