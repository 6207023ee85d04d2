"""No withheld count can be worked out from what the board is shown: hypothesis makes the
data, the board's view withholds, and an auditor written here (not the suppression's own
arithmetic) tries every table that fits what is shown (sums, differences, rate x total, and
that nothing is below zero) and checks each withheld count could still be more than one
value. Small tables are searched in full; the forecast, too big for that, is audited by
linear algebra over the cases' possible kinds."""

from __future__ import annotations

from datetime import date

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projections.board import (
    BAND_NAMES,
    advice_for_board,
    bands_for_board,
    forecast_for_board,
    kpis_for_board,
)
from projections.suppression import Table

SMALL = 5
cells = st.integers(min_value=0, max_value=12)
examples = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


def percent(within: int, total: int) -> float | None:
    return None if total == 0 else round(100 * within / total, 1)


def fits(shown: object, true: object) -> bool:
    """A figure the board sees agrees with a candidate table: shown equal, or withheld."""
    return shown is None or shown == true


def values_left(candidates: list[dict], name: str) -> set:
    return {candidate[name] for candidate in candidates}


# --- KPIs: within or late, by whether an exception applies ---------------------------------


def kpi_figures(w_e: int, w_n: int, l_e: int, l_n: int) -> dict:
    incl_w, incl_t, excl_w, excl_t = w_e + w_n, w_e + w_n + l_e + l_n, w_n, w_n + l_n
    return {"measure": "m", "including_exceptions": {
        "within": incl_w, "total": incl_t, "percent": percent(incl_w, incl_t)},
        "excluding_exceptions": {"within": excl_w, "total": excl_t,
                                 "percent": percent(excl_w, excl_t)}}


def kpi_groups(w_e: int, w_n: int, l_e: int, l_n: int) -> dict[str, int]:
    """Every count the table holds: shown ones and their complements (late, exceptions)."""
    return {"incl.within": w_e + w_n, "incl.total": w_e + w_n + l_e + l_n,
            "excl.within": w_n, "excl.total": w_n + l_n, "late": l_e + l_n,
            "exceptions": w_e + l_e, "within, excepted": w_e, "late, excepted": l_e,
            "late, no exception": l_n}


def grid(dimensions: int, top: int) -> list[np.ndarray]:
    """Every table of `dimensions` cells from 0 to `top`, as one array per cell. A box, not
    the whole space: a count it finds pinned might not be (the test would fail, never pass,
    wrongly), and each cell's box reaches 8 past the largest true cell."""
    return list(np.indices((top + 1,) * dimensions).reshape(dimensions, -1))


def rate(within: np.ndarray, total: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, np.round(100 * within / np.maximum(total, 1), 1), np.nan)


def agrees(shown: object, values: np.ndarray) -> np.ndarray:
    if shown is None:
        return np.ones(values.shape, dtype=bool)
    return np.isclose(values, float(shown))


@given(cells, cells, cells, cells)
@examples
def test_no_withheld_kpi_count_can_be_worked_out(w_e, w_n, l_e, l_n):
    [shown] = kpis_for_board([kpi_figures(w_e, w_n, l_e, l_n)])
    a, b, c, d = grid(4, max(w_e, w_n, l_e, l_n) + 8)
    incl_w, incl_t, excl_w, excl_t = a + b, a + b + c + d, b, b + d
    ok = np.ones(a.shape, dtype=bool)
    for part, within, total in (("including_exceptions", incl_w, incl_t),
                                ("excluding_exceptions", excl_w, excl_t)):
        figures = shown[part]
        ok &= agrees(figures["within"], within) & agrees(figures["total"], total)
        if figures["percent"] is not None:
            ok &= np.isclose(rate(within, total), figures["percent"])
    groups = {"incl.within": incl_w, "incl.total": incl_t, "excl.within": excl_w,
              "excl.total": excl_t, "late": c + d, "exceptions": a + c,
              "within, excepted": a, "late, excepted": c, "late, no exception": d}
    truth = kpi_groups(w_e, w_n, l_e, l_n)
    withheld = {f"{p[:4]}.{f}" for p in ("including_exceptions", "excluding_exceptions")
                for f in ("within", "total") if shown[p][f] is None}
    for name, values in groups.items():
        if 0 < truth[name] < SMALL or name in withheld:
            assert len(np.unique(values[ok])) > 1, (name, truth, shown)
    for part in ("including_exceptions", "excluding_exceptions"):
        assert not any(0 < (shown[part][f] or 0) < SMALL for f in ("within", "total"))


# --- DfE bands: three bands adding up to all new plans -------------------------------------


@given(cells, cells, cells)
@examples
def test_no_withheld_band_can_be_worked_out(b1, b2, b3):
    bands = {"plans": b1 + b2 + b3, BAND_NAMES[0]: b1, BAND_NAMES[1]: b2, BAND_NAMES[2]: b3,
             "mean_weeks_to_issue": 21.0}
    shown = bands_for_board(bands)
    cell = grid(3, max(b1, b2, b3) + 8)
    total = cell[0] + cell[1] + cell[2]
    ok = agrees(shown["plans"], total)
    for name, values in zip(BAND_NAMES, cell, strict=True):
        ok &= agrees(shown[name], values)
    groups = {"plans": total, **dict(zip(BAND_NAMES, cell, strict=True)),
              **{f"not {n}": total - v for n, v in zip(BAND_NAMES, cell, strict=True)}}
    truth = {name: int(values[np.flatnonzero(
        (cell[0] == b1) & (cell[1] == b2) & (cell[2] == b3))[0]]) for name, values in
        groups.items()}
    for name, values in groups.items():
        if 0 < truth[name] < SMALL or shown.get(name, 0) is None:
            assert len(np.unique(values[ok])) > 1, (name, bands, shown)
    for name in ("plans", *BAND_NAMES):
        assert not 0 < (shown[name] or 0) < SMALL
    assert shown["mean_weeks_to_issue"] is None or shown["plans"] is not None


# --- Advice by provider: received, within 6 weeks or late ----------------------------------


@given(st.lists(st.tuples(cells, cells), min_size=1, max_size=4))
@examples
def test_no_withheld_advice_count_can_be_worked_out(rows):
    table = [{"provider": f"p{n}", "received": w + late, "within": w,
              "percent": percent(w, w + late), "mean_days_late": 3.0}
             for n, (w, late) in enumerate(rows)]
    shown = advice_for_board(table)
    for row, (within, late) in zip(shown, rows, strict=True):  # rows are independent
        bound = max(within, late) + 9
        candidates = [{"received": w + lt, "within": w, "late": lt}
                      for w in range(bound) for lt in range(bound)
                      if fits(row["received"], w + lt) and fits(row["within"], w)
                      and fits(row["percent"], percent(w, w + lt))]
        truth = {"received": within + late, "within": within, "late": late}
        for name, value in truth.items():
            if 0 < value < SMALL or row.get(name, 0) is None:
                assert len(values_left(candidates, name)) > 1, (name, truth, row)
        assert row["mean_days_late"] is None or row["received"] is not None


# --- The forecast: too big to search, so audited by linear algebra -------------------------

URGENCIES = ("breach_certain", "at_risk", "neither")
FINISH = ("month", "rest of quarter", "rest of year", "later")
FORMS = {"month": {"month"}, "quarter": {"month", "rest of quarter"},
         "year": {"month", "rest of quarter", "rest of year"}}
OPEN_KINDS = [(u, e, ew, m, mw) for u in URGENCIES for e in FINISH for ew in (True, False)
              for m in FINISH for mw in (True, False)
              if (e != "later" or ew) and (m != "later" or mw)]
ISSUED_KINDS = [(when, w) for when in FINISH[:3] for w in (True, False)]
open_cases = st.lists(st.sampled_from(OPEN_KINDS), max_size=40)
issued_plans = st.lists(st.sampled_from(ISSUED_KINDS), max_size=40)


def forecast_members() -> dict[tuple, tuple[set, set]]:
    """Each count the forecast shows: which kinds of open case and of issued plan it counts
    (written from what the forecast means, not from the suppression's tables)."""
    members: dict[tuple, tuple[set, set]] = {
        ("open_assessments",): (set(OPEN_KINDS), set()),
        ("breach_certain",): ({k for k in OPEN_KINDS if k[0] == "breach_certain"}, set()),
        ("at_risk",): ({k for k in OPEN_KINDS if k[0] == "at_risk"}, set())}
    for form, when in FORMS.items():
        for scenario, (finish, within) in {"earliest_lawful": (1, 2),
                                           "median_pace": (3, 4)}.items():
            finishing = {k for k in OPEN_KINDS if k[finish] in when}
            members[form, scenario, "projected"] = (finishing, set())
            members[form, scenario, "projected_within"] = (
                {k for k in finishing if k[within]}, set())
            members[form, scenario, "issued"] = (set(), {k for k in ISSUED_KINDS
                                                         if k[0] in when})
            members[form, scenario, "issued_within"] = (set(), {k for k in ISSUED_KINDS
                                                                if k[0] in when and k[1]})
    return members


MEMBERS = forecast_members()
KINDS = [("open", k) for k in OPEN_KINDS] + [("issued", k) for k in ISSUED_KINDS]


def vector(key: tuple) -> np.ndarray:
    opened, issued = MEMBERS[key]
    return np.array([1.0 if (side == "open" and k in opened) or (side == "issued" and k in issued)
                     else 0.0 for side, k in KINDS])


def shown_count(shown: dict, key: tuple) -> int | None:
    if len(key) == 1:
        return shown[key[0]]
    return shown["projections"][key[0]][key[1]][key[2]]


@given(open_cases, issued_plans)
@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_withheld_forecast_count_can_be_worked_out(opened, issued):
    true = {key: sum(1 for k in opened if k in members[0])
            + sum(1 for k in issued if k in members[1]) for key, members in MEMBERS.items()}
    figures = {"evaluated_on": "2026-12-01", "median_days_to_issue": 150,
               "open_assessments": true["open_assessments",],
               "breach_certain": true["breach_certain",], "at_risk": true["at_risk",],
               "projections": {form: {scenario: {
                   "period": form, **{name: true[form, scenario, name] for name in (
                       "issued", "issued_within", "projected", "projected_within")},
                   "percent": None} for scenario in ("earliest_lawful", "median_pace")}
                   for form in FORMS}}
    shown = forecast_for_board(figures)
    visible = [key for key in MEMBERS if shown_count(shown, key) is not None]
    assert all(shown_count(shown, key) == true[key] for key in visible)
    zero = np.zeros(len(KINDS), dtype=bool)
    for key in visible:  # a zero shown says nobody is of those kinds
        if true[key] == 0:
            zero |= vector(key) > 0
    rows = np.array([vector(key)[~zero] for key in visible]) if visible else np.zeros((0, 1))
    for key in MEMBERS:
        if shown_count(shown, key) is None or 0 < true[key] < SMALL:
            target = vector(key)[~zero]
            if not target.any():
                continue
            assert not 0 < (shown_count(shown, key) or 0) < SMALL, key
            if rows.size:
                weights = np.linalg.lstsq(rows.T, target, rcond=None)[0]
                assert not np.allclose(rows.T @ weights, target, atol=1e-7), (key, true)


def test_a_figure_shown_twice_is_withheld_in_both_places():
    table = Table()
    table.count("month", 3, ["a"])
    table.count("same month, again", 3, ["a"])
    table.count("quarter", 10, ["a", "b"])
    assert table.withheld() >= {"month", "same month, again"}


def test_the_issue_example_is_closed():
    """Advice received 6, within withheld: 50% beside it would say 3."""
    [row] = advice_for_board([{"provider": "health", "received": 6, "within": 3,
                               "percent": 50.0, "mean_days_late": 4.0}])
    assert (row["within"], row["percent"]) == (None, None)


# --- Plan monitoring: every indicator of a plan, every period, from a real read store ------

PLAN = """\
title: Test plan
owner: Board
reporting: quarterly
starts: 2025-01-01
outcomes:
  - id: "1"
    title: Timely plans
    objectives:
      - id: "1.1"
        title: Plans within 20 weeks
        lead: Head of SEN
        indicators:
          - {id: all, title: All, measure: final_plans_within_20_weeks, target: {value: 50},
             period: "2025"}
          - {id: all-incl, title: All incl, measure: final_plans_within_20_weeks,
             exceptions: including, target: {value: 50}, period: "2025"}
          - {id: north, title: North, measure: final_plans_within_20_weeks,
             filters: {team: North}, target: {value: 50}, period: "2025"}
          - {id: started, title: Started, measure: final_plans_within_20_weeks,
             filters: {cohort: requested}, target: {value: 50}, period: "2025"}
"""
PLAN_DAYS = ("2024-11-15", "2025-02-15", "2025-05-15", "2025-08-15", "2025-11-15")
PLAN_KINDS = [(start, done, within, excepted, team)
              for start in PLAN_DAYS for done in PLAN_DAYS[1:] if start <= done
              for within in (True, False) for excepted in (True, False)
              for team in ("North", "South")]
plan_rows = st.lists(st.sampled_from(PLAN_KINDS), max_size=30)


def _deadline_row(n: int, start: str, done: str, within: bool, excepted: bool,
                  team: str) -> tuple:
    from projections.case_record import DEADLINE_COLUMNS

    row = {"case_ref": f"C{n}", "key": "final_plan", "kind": "final_plan", "provider": None,
           "clock_start": start, "due": "2030-01-01", "completed_on": done,
           "status": "met" if within else "late", "days_late": 0 if within else 9,
           "exception_applies": int(excepted),
           "exception": "personal_circumstances" if excepted else None, "team": team,
           "caseworker": "x", "completed_by": "final_plan_issued", "disputed": 0}
    return tuple(row.get(column) for column in DEADLINE_COLUMNS)


@given(plan_rows)
@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_withheld_plan_count_can_be_worked_out(tmp_path_factory, rows):
    from calendars.periods import parse_period
    from projections.monitoring import monitor
    from projections.read_store import SQLiteReadStore
    from service.plan_files import load_plan

    folder = tmp_path_factory.mktemp("plan")
    (folder / "plan.yaml").write_text(PLAN)
    plan = load_plan(folder / "plan.yaml")
    store = SQLiteReadStore(folder / "read-models.sqlite")
    with store.transaction() as cursor:
        store.write_cases(cursor, [], [
            _deadline_row(n, start, done, within, excepted, team)
            for n, (start, done, within, excepted, team) in enumerate(rows)])
    status = monitor(plan, store, parse_period("2025-Q4"), date(2025, 12, 31))
    store.close()

    def member(indicator, span, within):  # what a reading counts, from the plan's words
        kind_filter = {
            "all": lambda k: not k[3], "all-incl": lambda k: True,
            "north": lambda k: not k[3] and k[4] == "North", "started": lambda k: not k[3]}
        day = 0 if indicator == "started" else 1
        return {k for k in PLAN_KINDS if kind_filter[indicator](k)
                and span[0] <= date.fromisoformat(k[day]) <= span[1] and (not within or k[2])}

    figures = []  # (members, true value, shown value)
    for s in status.indicators:
        for reading in (s.actual, s.reporting, *s.trend):
            span = (reading.start, reading.end)
            for part, shown in (("total", reading.shown_total), ("within", reading.shown_within)):
                counted = member(s.indicator.id, span, part == "within")
                true = sum(1 for r in rows if r in counted)
                assert getattr(reading, part) == true
                figures.append((counted, true, None if reading.small else shown,
                                reading.shown_percent))
    index = {k: i for i, k in enumerate(PLAN_KINDS)}

    def vector(counted: set) -> np.ndarray:
        out = np.zeros(len(PLAN_KINDS))
        out[[index[k] for k in counted]] = 1.0
        return out

    zero = np.zeros(len(PLAN_KINDS), dtype=bool)
    for counted, true, shown, _ in figures:
        if shown is not None and true == 0:
            zero |= vector(counted) > 0
    visible = [vector(c)[~zero] for c, _, shown, _ in figures if shown is not None]
    rows_matrix = np.array(visible) if visible else np.zeros((0, int((~zero).sum())))
    for counted, true, shown, _ in figures:
        assert not 0 < (shown or 0) < SMALL
        if shown is None and true > 0:
            target = vector(counted)[~zero]
            if target.any() and rows_matrix.size:
                weights = np.linalg.lstsq(rows_matrix.T, target, rcond=None)[0]
                assert not np.allclose(rows_matrix.T @ weights, target, atol=1e-7), (
                    counted, true)
    for s in status.indicators:
        if s.actual.small or s.actual.withheld:
            assert s.rating == "not_rated" and s.actual.shown_percent is None
            assert "%" not in s.reason
