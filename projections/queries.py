"""What managers, the board and auditors read: KPIs, DfE bands, advice timeliness per
provider, caseloads by urgency and the breach forecast, from the read models (pandas).

Statuses and dates come from the engine, evaluated by the projection on its evaluation day;
the queries only filter, count and order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

import pandas as pd

from calendars.periods import Period, period_containing
from domain import law
from projections.case_record import DEADLINE_COLUMNS
from projections.kpis import (
    DISPUTES_MEASURE,
    MEASURES,
    WITHIN_STATUS,
    KpiResult,
    cohort_column,
    cohort_filter,
    deadlines_frame,
    kpi_from_counts,
)
from projections.read_store import ReadStore

FACT_SELECT = f"SELECT {', '.join(DEADLINE_COLUMNS)} FROM ehc_deadline_fact"
# DfE's bands for new plans (SEN2): within 20 weeks, over 20 up to 52, over 52 weeks.
BANDS = (("within 20 weeks", 0, 140), ("20 to 52 weeks", 141, 364), ("over 52 weeks", 365, None))


class Span(NamedTuple):
    """Any run of days, for windows that are not reporting periods (the last 12 months)."""

    label: str
    start: date
    end: date


def deadline_facts(
    store: ReadStore, kinds: tuple[str, ...], period: Period | Span | None = None,
    cohort: str = "completed",
) -> pd.DataFrame:
    """Deadline rows of some kinds, narrowed in SQL to a period when one is given."""
    marks = ", ".join("?" * len(kinds))
    statement, parameters = f"{FACT_SELECT} WHERE kind IN ({marks})", list(kinds)
    if period is not None:
        column = "clock_start" if cohort == "requested" else "completed_on"
        statement += f" AND {column} >= ? AND {column} <= ?"
        parameters += [period.start.isoformat(), period.end.isoformat()]
    return deadlines_frame(store.frame(statement, parameters))


def kpi_table(
    store: ReadStore, period: Period, measures: tuple[str, ...] = tuple(MEASURES),
    cohort: str = "completed", provider: str | None = None, team: str | None = None,
    disputes: str = "included",
) -> list[KpiResult]:
    return [kpi_from_counts(
        kpi_counts(store, measure, period, cohort, provider, team,
                   disputes if measure == DISPUTES_MEASURE else "included"),
        measure, period, cohort, provider) for measure in measures]


def kpi_counts(
    store: ReadStore, measure: str, period: Period, cohort: str = "completed",
    provider: str | None = None, team: str | None = None, disputes: str = "included",
) -> pd.DataFrame:
    """The KPI's cohort counted in SQL by (within, exception_applies): over a million cases
    only a handful of rows reach Python. "Within" is the engine's status (kpis.WITHIN_STATUS)."""
    spec = MEASURES[measure]
    column = cohort_column(spec, cohort)
    conditions, cohort_parameters = cohort_filter(spec, cohort, disputes)
    statement = (
        "SELECT CASE WHEN status = ? THEN 1 ELSE 0 END AS within, exception_applies, "
        f"COUNT(*) AS deadlines FROM ehc_deadline_fact WHERE {conditions} "
        f"AND {column} >= ? AND {column} <= ?"
    )
    parameters: list[object] = [WITHIN_STATUS, *cohort_parameters,
                                period.start.isoformat(), period.end.isoformat()]
    for name, value in (("provider", provider), ("team", team)):
        if value is not None:
            statement += f" AND {name} = ?"
            parameters.append(value)
    return store.frame(statement + " GROUP BY 1, 2", parameters)


def dfe_bands(store: ReadStore, period: Period) -> dict[str, object]:
    """New plans issued in the period by weeks from request to issue (SEN2 publication)."""
    plans = deadline_facts(store, ("final_plan",), period)
    plans = plans[plans["completed_on"].notna()]
    days = (plans["completed_on"] - plans["clock_start"]).dt.days
    bands = {name: int(((days >= low) & (days <= high if high else True)).sum())
             for name, low, high in BANDS}
    return {
        "plans": len(plans),
        **bands,
        "mean_weeks_to_issue": None if plans.empty else round(float(days.mean()) / 7, 1),
    }


def advice_by_provider(store: ReadStore, period: Period, cohort: str = "completed") -> pd.DataFrame:
    """Advice received in the period (or, cohort "requested", asked for in the period and
    received since): within 6 weeks per provider, and how late on average; the seeds'
    "feedback to contributing services on their timeline compliance"."""
    frame = deadline_facts(store, ("advice",), period, cohort)
    frame = frame[frame["completed_on"].notna()]
    if frame.empty:
        return pd.DataFrame(columns=["provider", "received", "within", "percent",
                                     "mean_days_late"])
    frame = frame.assign(within=frame["completed_on"] <= frame["due"])
    table = frame.groupby("provider").agg(
        received=("within", "size"), within=("within", "sum"),
        mean_days_late=("days_late", "mean"),
    ).reset_index()
    table["percent"] = (100 * table["within"] / table["received"]).round(1)
    table["mean_days_late"] = table["mean_days_late"].round(1)
    return table[["provider", "received", "within", "percent", "mean_days_late"]]


CASELOAD_ORDER = (
    "ORDER BY COALESCE(breach_certain, 0) DESC, overdue DESC, next_due IS NULL, next_due, "
    "case_ref"
)


def caseload(
    store: ReadStore, today: date, caseworker: str | None = None, team: str | None = None,
    include_closed: bool = False, awaiting: str | None = None,
) -> pd.DataFrame:
    """Cases ordered by urgency: breach certain, then most overdue deadlines, then the
    nearest next deadline; with days to it (negative when overdue)."""
    where, parameters = [], []
    if not include_closed:
        where.append("(status = 'open' OR next_key IS NOT NULL)")
    for column, value in (("caseworker", caseworker), ("team", team)):
        if value is not None:
            where.append(f"{column} = ?")
            parameters.append(value)
    if awaiting is not None:  # advice from this provider asked for and not yet received
        where.append("case_ref IN (SELECT case_ref FROM ehc_deadline_fact WHERE kind = "
                     "'advice' AND provider = ? AND status IN ('pending', 'overdue'))")
        parameters.append(awaiting)
    clause = f"WHERE {' AND '.join(where)} " if where else ""
    frame = store.frame(f"SELECT * FROM ehc_case_summary {clause}{CASELOAD_ORDER}", parameters)
    due = pd.to_datetime(frame["next_due"])
    frame["days_to_next"] = (due - pd.Timestamp(today)).dt.days.astype("Int64")
    return frame


def caseload_balance(store: ReadStore) -> pd.DataFrame:
    """Open cases, overdue deadlines and certain breaches per caseworker and team."""
    return store.frame(
        "SELECT team, caseworker, COUNT(*) AS open_cases, SUM(overdue) AS overdue_deadlines, "
        "SUM(COALESCE(breach_certain, 0)) AS breach_certain FROM ehc_case_summary "
        "WHERE status = 'open' GROUP BY team, caseworker ORDER BY team, caseworker"
    )


@dataclass(frozen=True)
class Projection:
    period: str
    issued: int
    issued_within: int
    projected: int
    projected_within: int

    @property
    def percent(self) -> float | None:
        total = self.issued + self.projected
        return None if total == 0 else round(100 * (self.issued_within + self.projected_within)
                                             / total, 1)


def breach_forecast(store: ReadStore, today: date) -> dict[str, object]:
    """Open assessments whose 20-week breach is certain, those at risk, and the projected
    within-20-weeks rate for this month, quarter and year.

    At risk (not yet certain) means any of: the decision to assess is overdue; advice from a
    provider is overdue; no draft by week 14 (R+98, IPSEA's advice for a lawful timetable)."""
    open_cases = _open_finals(store)
    overdue_refs = set(store.frame(
        "SELECT DISTINCT case_ref FROM ehc_deadline_fact WHERE status = 'overdue' "
        "AND kind IN ('decision_to_assess', 'advice')")["case_ref"])
    certain = open_cases[open_cases["breach_certain"] == 1]
    week_14 = pd.to_datetime(open_cases["request_received"]) + pd.Timedelta(days=98)
    no_draft = open_cases["latest_draft"].isna() & (week_14 < pd.Timestamp(today))
    risky = (open_cases["case_ref"].isin(overdue_refs) | no_draft) & (
        open_cases["breach_certain"] != 1)
    return {
        "evaluated_on": today.isoformat(),
        "open_assessments": len(open_cases),
        "breach_certain": sorted(certain["case_ref"]),
        "at_risk": sorted(open_cases[risky]["case_ref"]),
        **plans_forecast(store, today),
        "median_days_to_issue": _median_days_to_issue(store, today),
        "projections": {
            form: project_final_plans(store, today, period_containing(today, form), open_cases)
            for form in ("month", "quarter", "year")
        },
    }


# Reg 20(3)-(4): the invitations go out at least 2 weeks before the review meeting, so a review
# due within 14 days with no meeting held can no longer be met lawfully unless one is near.
REVIEW_INVITATION_DAYS = 14


def plans_forecast(store: ReadStore, today: date) -> dict[str, list[str]]:
    """Plans in force: reviews certain to be late (the review or the decision after its
    meeting overdue) and at risk (due within 14 days, no meeting held); tribunal orders and
    concessions whose deadlines are already missed."""
    def cases(statement: str, parameters: tuple = ()) -> list[str]:
        return sorted(store.frame(statement, parameters)["case_ref"])

    meeting_held = ("SELECT case_ref FROM ehc_deadline_fact WHERE kind = 'review_decision' "
                    "AND status IN ('pending', 'overdue')")
    soon = (today + timedelta(days=REVIEW_INVITATION_DAYS)).isoformat()
    return {
        "reviews_certain_late": cases(
            "SELECT DISTINCT case_ref FROM ehc_deadline_fact WHERE status = 'overdue' "
            "AND kind IN ('review', 'review_decision')"),
        "reviews_at_risk": cases(
            "SELECT DISTINCT case_ref FROM ehc_deadline_fact WHERE kind = 'review' "
            f"AND status = 'pending' AND due <= ? AND case_ref NOT IN ({meeting_held})",
            (soon,)),
        "orders_certain_late": cases(
            "SELECT DISTINCT case_ref FROM ehc_deadline_fact WHERE status = 'overdue' "
            "AND kind LIKE ?", ("order.%",)),
    }


def _open_finals(store: ReadStore) -> pd.DataFrame:
    return store.frame(
        "SELECT case_ref, team, caseworker, request_received, breach_certain, earliest_final, "
        "final_due, latest_draft FROM ehc_case_summary WHERE status = 'open' "
        "AND final_status IN ('pending', 'overdue', 'excepted')"
    )


def project_final_plans(
    store: ReadStore, today: date, period: Period | Span,
    open_cases: pd.DataFrame | None = None,
) -> dict[str, dict[str, object]]:
    """The within-20-weeks rate for a running period if every open case finished at its
    earliest lawful date, and if at the local median pace."""
    open_cases = _open_finals(store) if open_cases is None else open_cases
    pace = _median_days_to_issue(store, today)
    return {"earliest_lawful": _project(store, open_cases, period, None),
            "median_pace": _project(store, open_cases, period, pace)}


def _median_days_to_issue(store: ReadStore, today: date) -> int | None:
    year_ago = Span("last 12 months", today - timedelta(days=364), today)
    plans = deadline_facts(store, ("final_plan",), year_ago)
    plans = plans[plans["completed_on"].notna()]
    if plans.empty:
        return None
    return int((plans["completed_on"] - plans["clock_start"]).dt.days.median())


def _project(
    store: ReadStore, open_cases: pd.DataFrame, period: Period | Span, pace: int | None
) -> dict[str, object]:
    issued = deadline_facts(store, ("final_plan",), period)
    issued = issued[issued["completed_on"].notna()]
    finish = pd.to_datetime(open_cases["earliest_final"])
    if pace is not None:
        at_pace = pd.to_datetime(open_cases["request_received"]) + pd.Timedelta(days=pace)
        finish = finish.where(finish >= at_pace, at_pace)
    in_period = (finish >= pd.Timestamp(period.start)) & (finish <= pd.Timestamp(period.end))
    within = finish[in_period] <= pd.to_datetime(open_cases["final_due"][in_period])
    result = Projection(period.label, len(issued), int((issued["completed_on"] <= issued["due"])
                        .sum()), int(in_period.sum()), int(within.sum()))
    return {"period": result.period, "issued": result.issued,
            "issued_within": result.issued_within, "projected": result.projected,
            "projected_within": result.projected_within, "percent": result.percent,
            "limit": f"{law.FINAL_PLAN.weeks} weeks ({law.FINAL_PLAN.citation})"}
