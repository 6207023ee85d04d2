"""Reporting periods for KPIs (scenario-format.md, KPIs).

Labels: "2025" (calendar year, as SEN2 reports), "2024/25" (academic year 1 Sep-31 Aug),
"2025-Q1" (calendar quarter), "2025-03" (month).
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["FORMS", "Period", "parse_period", "period_containing", "periods_between"]

FORMS = ("year", "academic_year", "quarter", "month")
_ACCEPTED = '"2025" (year), "2024/25" (academic year), "2025-Q1" (quarter), "2025-03" (month)'
_PATTERNS = {
    "year": re.compile(r"(\d{4})"),
    "academic_year": re.compile(r"(\d{4})/(\d{2})"),
    "quarter": re.compile(r"(\d{4})-Q([1-4])"),
    "month": re.compile(r"(\d{4})-(\d{2})"),
}
_ONE_DAY = timedelta(days=1)


def _month_end(year: int, month: int) -> date:
    if month == 12:
        return date(year, 12, 31)
    return date(year, month + 1, 1) - _ONE_DAY


def _bounds(form: str, match: re.Match[str]) -> tuple[date, date]:
    year = int(match[1])
    if form == "year":
        return date(year, 1, 1), date(year, 12, 31)
    if form == "academic_year":
        if int(match[2]) != (year + 1) % 100:
            raise ValueError(f"{year + 1} does not end in {match[2]}")
        return date(year, 9, 1), date(year + 1, 8, 31)
    if form == "quarter":
        first_month = 3 * int(match[2]) - 2
        return date(year, first_month, 1), _month_end(year, first_month + 2)
    month = int(match[2])
    return date(year, month, 1), _month_end(year, month)


def _parse(label: str) -> tuple[str, date, date]:
    for form, pattern in _PATTERNS.items():
        match = pattern.fullmatch(label)
        if match:
            try:
                return (form, *_bounds(form, match))
            except ValueError as error:  # e.g. month 13, year 0000, "2024/26"
                raise ValueError(f"invalid period {label!r}: {error}") from None
    raise ValueError(f"invalid period {label!r}: expected one of {_ACCEPTED}")


@dataclass(frozen=True)
class Period:
    """A reporting period, `start` … `end` inclusive, named by its canonical label."""

    label: str
    start: date
    end: date

    def __post_init__(self) -> None:
        _, start, end = _parse(self.label)
        if (start, end) != (self.start, self.end):
            raise ValueError(f"period {self.label!r} runs {start} to {end}")

    @property
    def form(self) -> str:
        """One of FORMS: "year", "academic_year", "quarter", "month"."""
        return _parse(self.label)[0]

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


def parse_period(label: str) -> Period:
    """The period a KPI `period` label names; ValueError listing the accepted forms."""
    if not isinstance(label, str):
        raise ValueError(f"invalid period {label!r}: expected one of {_ACCEPTED}")
    _, start, end = _parse(label)
    return Period(label, start, end)


def period_containing(day: date, form: str) -> Period:
    """The period of `form` (one of FORMS) that contains `day`."""
    if form == "year":
        label = f"{day.year:04d}"
    elif form == "academic_year":
        first = day.year if day.month >= 9 else day.year - 1
        label = f"{first:04d}/{(first + 1) % 100:02d}"
    elif form == "quarter":
        label = f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    elif form == "month":
        label = f"{day.year:04d}-{day.month:02d}"
    else:
        raise ValueError(f"unknown period form {form!r}: expected one of {', '.join(FORMS)}")
    return parse_period(label)


def periods_between(first: date, last: date, form: str) -> list[Period]:
    """Consecutive periods of `form` from the one containing `first` to the one with `last`."""
    if last < first:
        raise ValueError(f"last day {last} is before first day {first}")
    periods = [period_containing(first, form)]
    while periods[-1].end < last:
        periods.append(period_containing(periods[-1].end + _ONE_DAY, form))
    return periods
