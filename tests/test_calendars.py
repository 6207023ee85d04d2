"""Tests for the pure `calendars` package: pinned dates plus hypothesis properties."""

import ast
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import calendars
from calendars import (
    FORMS,
    AuthorityCalendar,
    Period,
    SettingClosure,
    add_working_days,
    bank_holidays_in,
    days_inclusive,
    first_day_after,
    is_bank_holiday,
    is_working_day,
    last_of_working_days_beginning_with,
    months_starting_with,
    parse_closures,
    parse_period,
    parse_term_calendar,
    period_beginning_with,
    period_containing,
    periods_between,
    weeks_after,
    working_days_between,
)

D = date.fromisoformat
ONE = timedelta(days=1)
# Years the `holidays` package knows well and the tracker will meet.
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))


# --- counting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "weeks", "due"),
    [
        ("2025-02-03", 20, "2025-06-23"),  # scenario-format.md example: final_plan
        ("2025-02-03", 6, "2025-03-17"),  # decision_to_assess
        ("2025-03-11", 6, "2025-04-22"),  # advice.health
        ("2024-02-29", 20, "2024-07-18"),
        ("2025-02-03", 16, "2025-05-26"),  # a bank holiday; deadlines never move
        ("2025-02-03", 0, "2025-02-03"),
    ],
)
def test_weeks_after(start: str, weeks: int, due: str) -> None:
    assert weeks_after(D(start), weeks) == D(due)


def test_draft_comment_period() -> None:
    served = D("2025-05-30")
    assert period_beginning_with(served, 15) == (served, D("2025-06-13"))
    assert first_day_after(served, 15) == D("2025-06-14")
    assert period_beginning_with(served, 1) == (served, served)


@pytest.mark.parametrize(
    ("start", "months", "last"),
    [
        ("2024-02-29", 12, "2025-02-28"),
        ("2025-01-31", 1, "2025-02-28"),
        ("2024-01-31", 1, "2024-02-29"),
        ("2025-03-15", 12, "2026-03-14"),
        ("2025-12-01", 1, "2025-12-31"),
        ("2025-11-30", 3, "2026-02-28"),
        ("2023-02-28", 12, "2024-02-27"),
        ("2025-01-01", 12, "2025-12-31"),
    ],
)
def test_months_starting_with(start: str, months: int, last: str) -> None:
    assert months_starting_with(D(start), months) == D(last)


def test_days_inclusive() -> None:
    assert days_inclusive(D("2025-04-01"), D("2025-04-28")) == 28
    assert days_inclusive(D("2025-04-01"), D("2025-04-01")) == 1
    with pytest.raises(ValueError, match="before"):
        days_inclusive(D("2025-04-02"), D("2025-04-01"))


def test_counting_refuses_negative_lengths() -> None:
    with pytest.raises(ValueError):
        weeks_after(D("2025-01-01"), -1)
    with pytest.raises(ValueError):
        period_beginning_with(D("2025-01-01"), 0)
    with pytest.raises(ValueError):
        first_day_after(D("2025-01-01"), -1)
    with pytest.raises(ValueError):
        months_starting_with(D("2025-01-01"), 0)


@given(dates, st.integers(min_value=1, max_value=200))
def test_weeks_after_keeps_weekday(start: date, weeks: int) -> None:
    due = weeks_after(start, weeks)
    assert due.weekday() == start.weekday()
    assert due > start
    assert days_inclusive(start, due) == 7 * weeks + 1


@given(dates, st.integers(min_value=1, max_value=400))
def test_period_beginning_with_has_n_days(start: date, days: int) -> None:
    first, last = period_beginning_with(start, days)
    assert first == start
    assert days_inclusive(first, last) == days
    assert first_day_after(start, days) == last + ONE


@given(dates, st.integers(min_value=1, max_value=60))
def test_months_starting_with_ends_before_same_date(start: date, months: int) -> None:
    last = months_starting_with(start, months)
    after = last + ONE  # the "same date" months later, or the 1st after a missing one
    assert (after.year * 12 + after.month) - (start.year * 12 + start.month) in (
        months,
        months + 1,
    )
    if after.day == start.day:
        assert after.month - start.month in (months % 12, months % 12 - 12)
    else:
        assert after.day == 1 and start.day > 28


# --- bank holidays and working days -----------------------------------------------------


def test_bank_holidays_2025() -> None:
    assert bank_holidays_in(2025) == {
        D("2025-01-01"),
        D("2025-04-18"),  # Good Friday
        D("2025-04-21"),  # Easter Monday
        D("2025-05-05"),
        D("2025-05-26"),
        D("2025-08-25"),
        D("2025-12-25"),
        D("2025-12-26"),
    }
    assert isinstance(bank_holidays_in(2025), frozenset)


@pytest.mark.parametrize(
    "day",
    ["2025-04-21", "2025-04-18", "2021-12-27", "2021-12-28", "2022-01-03", "2022-09-19"],
)
def test_bank_holidays_include_substitutes_and_one_offs(day: str) -> None:
    assert is_bank_holiday(D(day))
    assert not is_working_day(D(day))


def test_england_only() -> None:
    assert not is_bank_holiday(D("2025-01-02"))  # Scotland only
    assert not is_bank_holiday(D("2025-03-17"))  # St Patrick's Day, Northern Ireland only
    assert not is_bank_holiday(D("2021-08-02"))  # Scotland's summer holiday


def test_working_days_over_easter_2025() -> None:
    thursday = D("2025-04-17")
    assert add_working_days(thursday, 1) == D("2025-04-22")  # skips Fri 18, Mon 21
    assert add_working_days(thursday, 0) == thursday
    assert working_days_between(D("2025-04-14"), D("2025-04-25")) == 8
    assert working_days_between(D("2025-04-25"), D("2025-04-14")) == 0


def test_working_days_over_christmas_2021() -> None:
    assert add_working_days(D("2021-12-24"), 1) == D("2021-12-29")
    assert add_working_days(D("2021-12-23"), 3) == D("2021-12-30")


def test_reg_15_transfer_fifteen_working_days() -> None:
    # Aware on Monday 7 April 2025: day 1; Good Friday and Easter Monday are skipped.
    assert last_of_working_days_beginning_with(D("2025-04-07"), 15) == D("2025-04-29")
    # Aware on a Saturday: the period begins on Monday.
    assert last_of_working_days_beginning_with(D("2025-03-01"), 1) == D("2025-03-03")
    assert last_of_working_days_beginning_with(D("2025-03-03"), 1) == D("2025-03-03")
    with pytest.raises(ValueError):
        last_of_working_days_beginning_with(D("2025-03-03"), 0)
    with pytest.raises(ValueError):
        add_working_days(D("2025-03-03"), -1)


@given(dates, st.integers(min_value=1, max_value=60))
def test_add_working_days_counts_n(start: date, n: int) -> None:
    end = add_working_days(start, n)
    assert is_working_day(end)
    assert end > start
    assert working_days_between(start + ONE, end) == n
    assert working_days_between(start + ONE, end - ONE) == n - 1


@given(dates, st.integers(min_value=1, max_value=60))
def test_working_days_beginning_with(start: date, n: int) -> None:
    last = last_of_working_days_beginning_with(start, n)
    assert is_working_day(last)
    assert working_days_between(start, last) == n
    assert working_days_between(start, last - ONE) == n - 1


@given(dates)
def test_working_day_definition(day: date) -> None:
    assert is_working_day(day) == (day.weekday() < 5 and day not in bank_holidays_in(day.year))


# --- closures ---------------------------------------------------------------------------

SUMMER = SettingClosure(D("2024-07-20"), D("2024-09-04"), "Oak Primary")


def test_closure_properties() -> None:
    assert SUMMER.length_days == 46
    assert SUMMER.qualifies
    assert SUMMER.last_closed_day == D("2024-09-03")
    assert SUMMER.advice_window == (D("2024-07-13"), D("2024-08-28"))


def test_closure_of_exactly_28_days_qualifies() -> None:
    assert SettingClosure(D("2025-07-01"), D("2025-07-29")).qualifies
    assert not SettingClosure(D("2025-07-01"), D("2025-07-28")).qualifies


def test_closure_must_reopen_after_it_closes() -> None:
    with pytest.raises(ValueError, match="reopen after"):
        SettingClosure(D("2025-07-22"), D("2025-07-22"))
    with pytest.raises(TypeError):
        SettingClosure("2025-07-22", D("2025-09-03"))  # type: ignore[arg-type]


def test_closure_covers_setting() -> None:
    assert SUMMER.covers_setting("Oak Primary")
    assert SUMMER.covers_setting(None)
    assert not SUMMER.covers_setting("Elm Academy")
    assert SettingClosure(D("2024-07-20"), D("2024-09-04")).covers_setting("Elm Academy")


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("2024-07-01", "2024-07-19", False),  # ends the day before the closure
        ("2024-07-01", "2024-07-20", True),  # first closed day
        ("2024-09-03", "2024-09-30", True),  # last closed day
        ("2024-09-04", "2024-09-30", False),  # re-opening day is not closed
        ("2024-08-01", "2024-08-01", True),
        ("2024-06-01", "2024-10-01", True),
    ],
)
def test_closure_overlap_edges(first: str, last: str, expected: bool) -> None:
    assert SUMMER.overlaps(D(first), D(last)) is expected


def test_overlap_refuses_inverted_interval() -> None:
    with pytest.raises(ValueError):
        SUMMER.overlaps(D("2024-08-02"), D("2024-08-01"))


@given(dates, st.integers(1, 80), dates, st.integers(0, 80))
def test_overlap_matches_brute_force(closed: date, length: int, first: date, span: int) -> None:
    closure = SettingClosure(closed, closed + timedelta(days=length))
    last = first + timedelta(days=span)
    closed_days = {closed + timedelta(days=i) for i in range(length)}
    interval = {first + timedelta(days=i) for i in range(span + 1)}
    assert closure.overlaps(first, last) == bool(closed_days & interval)


def test_parse_closures_accepts_dates_and_strings() -> None:
    closures = parse_closures(
        [
            {"setting": "Oak Primary", "closed_from": "2024-07-20", "reopens": D("2024-09-04")},
            {"closed_from": D("2024-07-23"), "reopens": "2024-09-04"},
        ]
    )
    assert closures == (SUMMER, SettingClosure(D("2024-07-23"), D("2024-09-04")))


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"closed_from": "2024-07-20"}, "closure 1: missing key.*reopens"),
        ({"closed_from": "2024-07-20", "reopens": "2024-09-04", "x": 1}, "closure 1: unknown"),
        ({"closed_from": "2024-02-30", "reopens": "2024-09-04"}, "closure 1 closed_from"),
        ({"closed_from": "20240720", "reopens": "2024-09-04"}, "closure 1 closed_from"),
        ({"closed_from": "2024-07-20", "reopens": 20240904}, "closure 1 reopens"),
        ({"closed_from": "2024-09-04", "reopens": "2024-07-20"}, "closure 1: .*reopen after"),
        ({"setting": "", "closed_from": "2024-07-20", "reopens": "2024-09-04"}, "closure 1"),
        ("not a mapping", "closure 1: expected a mapping"),
    ],
)
def test_parse_closures_refusals(entry: object, message: str) -> None:
    good = {"closed_from": "2024-07-20", "reopens": "2024-09-04"}
    with pytest.raises(ValueError, match=message):
        parse_closures([good, entry])  # type: ignore[list-item]


TERM_CALENDAR = """\
local_authority: Worcestershire
closures:
  - {setting: Oak Primary, closed_from: 2025-07-22, reopens: 2025-09-03}
  - {closed_from: 2025-07-23, reopens: 2025-09-04}   # no setting: every setting
  - {setting: "on", closed_from: 2025-10-27, reopens: 2025-11-03}
"""


def test_parse_term_calendar() -> None:
    calendar = parse_term_calendar(TERM_CALENDAR)
    assert calendar.local_authority == "Worcestershire"
    assert calendar.closures[0] == SettingClosure(D("2025-07-22"), D("2025-09-03"), "Oak Primary")
    assert calendar.closures[1].setting is None
    assert calendar.closures[2].setting == "on"
    assert calendar.qualifying_closures() == calendar.closures[:2]
    assert parse_term_calendar("closures: []") == AuthorityCalendar()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("closures: [", "not valid YAML"),
        ("closures:\n  - {closed_from: 2025-02-30, reopens: 2025-03-30}", "not valid YAML"),
        ("- 1", "must be a mapping"),
        ("", "must be a mapping"),
        ("authority: X\nclosures: []", "unknown key.*authority"),
        ("closures:\n  - {closed_from: 2025-07-22T09:00:00, reopens: 2025-09-03}", "closure 0"),
        ("closures:", "must be a list"),
        ("local_authority: 3\nclosures: []", "local_authority"),
    ],
)
def test_parse_term_calendar_refusals(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_term_calendar(text)


def test_authority_calendar() -> None:
    short = SettingClosure(D("2025-10-27"), D("2025-11-03"))
    calendar = AuthorityCalendar([SUMMER, short])  # type: ignore[arg-type]
    assert calendar.closures == (SUMMER, short)
    assert calendar.qualifying_closures() == (SUMMER,)
    assert hash(calendar) == hash(AuthorityCalendar((SUMMER, short)))
    with pytest.raises(TypeError):
        AuthorityCalendar(({"closed_from": "2025-07-22"},))  # type: ignore[arg-type]


# --- periods ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "form", "start", "end"),
    [
        ("2025", "year", "2025-01-01", "2025-12-31"),
        ("2024/25", "academic_year", "2024-09-01", "2025-08-31"),
        ("1999/00", "academic_year", "1999-09-01", "2000-08-31"),
        ("2025-Q1", "quarter", "2025-01-01", "2025-03-31"),
        ("2024-Q1", "quarter", "2024-01-01", "2024-03-31"),
        ("2025-Q4", "quarter", "2025-10-01", "2025-12-31"),
        ("2025-03", "month", "2025-03-01", "2025-03-31"),
        ("2024-02", "month", "2024-02-01", "2024-02-29"),
        ("2025-12", "month", "2025-12-01", "2025-12-31"),
    ],
)
def test_parse_period(label: str, form: str, start: str, end: str) -> None:
    period = parse_period(label)
    assert period == Period(label, D(start), D(end))
    assert period.form == form
    assert D(start) in period and D(end) in period
    assert D(start) - ONE not in period and D(end) + ONE not in period


@pytest.mark.parametrize(
    "label",
    ["2024/26", "2024/2025", "2025-Q5", "2025-Q0", "2025-q1", "2025-13", "2025-00", "2025-3",
     "25", "0000", " 2025", "2025 ", "FY2025", "", "2025-03-01"],
)
def test_parse_period_refusals(label: str) -> None:
    with pytest.raises(ValueError, match="invalid period"):
        parse_period(label)


def test_parse_period_message_lists_forms() -> None:
    with pytest.raises(ValueError, match=r'"2025".*"2024/25".*"2025-Q1".*"2025-03"'):
        parse_period("last year")


def test_period_rejects_inconsistent_dates() -> None:
    with pytest.raises(ValueError):
        Period("2025", D("2025-01-01"), D("2025-06-30"))


@pytest.mark.parametrize(
    ("day", "form", "label"),
    [
        ("2025-08-31", "academic_year", "2024/25"),
        ("2025-09-01", "academic_year", "2025/26"),
        ("2025-06-30", "quarter", "2025-Q2"),
        ("2025-07-01", "quarter", "2025-Q3"),
        ("2025-02-14", "month", "2025-02"),
        ("2025-02-14", "year", "2025"),
    ],
)
def test_period_containing(day: str, form: str, label: str) -> None:
    assert period_containing(D(day), form).label == label


def test_period_containing_unknown_form() -> None:
    with pytest.raises(ValueError, match="academic_year"):
        period_containing(D("2025-01-01"), "week")


def test_periods_between() -> None:
    labels = [p.label for p in periods_between(D("2024-11-15"), D("2025-02-01"), "quarter")]
    assert labels == ["2024-Q4", "2025-Q1"]
    assert [p.label for p in periods_between(D("2025-03-31"), D("2025-03-31"), "month")] == [
        "2025-03"
    ]
    academic = periods_between(D("2023-01-01"), D("2025-09-01"), "academic_year")
    assert [p.label for p in academic] == ["2022/23", "2023/24", "2024/25", "2025/26"]
    with pytest.raises(ValueError):
        periods_between(D("2025-02-01"), D("2025-01-01"), "month")


@given(dates, st.sampled_from(FORMS))
def test_period_containing_round_trips(day: date, form: str) -> None:
    period = period_containing(day, form)
    assert day in period
    assert period.form == form
    assert parse_period(period.label) == period


@given(dates, st.integers(0, 800), st.sampled_from(FORMS))
def test_periods_between_are_consecutive(first: date, span: int, form: str) -> None:
    last = first + timedelta(days=span)
    periods = periods_between(first, last, form)
    assert first in periods[0] and last in periods[-1]
    for earlier, later in pairwise(periods):
        assert later.start == earlier.end + ONE
    assert all(p.form == form for p in periods)


# --- purity -----------------------------------------------------------------------------


def test_calendars_is_pure() -> None:
    forbidden = {"domain", "service", "projections", "scenarios", "os", "pathlib", "io",
                 "socket", "urllib", "requests", "httpx", "open"}
    package = Path(calendars.__file__).parent
    for module in package.glob("*.py"):
        tree = ast.parse(module.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                names = [node.func.id]
            else:
                continue
            assert not {name.split(".")[0] for name in names} & forbidden, (module, names)


def test_public_api() -> None:
    assert set(calendars.__all__) >= {
        "AuthorityCalendar", "Period", "SettingClosure", "add_working_days", "bank_holidays_in",
        "days_inclusive", "first_day_after", "is_bank_holiday", "is_working_day",
        "last_of_working_days_beginning_with", "months_starting_with", "parse_closures",
        "parse_period", "parse_term_calendar", "period_beginning_with", "period_containing",
        "periods_between", "weeks_after", "working_days_between",
    }
