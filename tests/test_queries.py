"""Caseloads, forecasts, DfE bands, advice per provider and SEN2 on a hand-checked authority.

Today is 1 July 2025. A: draft served after R+125, so the breach is certain. B: decision
overdue. C: educational psychology advice overdue. D: plan issued at week 18.6 (within 20).
E: plan issued after 39 weeks. F: refused. G: withdrawn (moved out of area)."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from calendars.periods import parse_period
from projections.queries import advice_by_provider, breach_forecast, caseload, dfe_bands
from service.reports import export_sen2
from service.stores import open_application, open_projection, open_source

TODAY = date(2025, 7, 1)
CASES = {
    "A": ("amina", [("request_received", "2025-01-06", {"requester": "parent"}),
                    ("decision_to_assess", "2025-02-10", {"outcome": "assess"}),
                    ("advice_requested", "2025-02-11", {"provider": "health"}),
                    ("advice_received", "2025-03-20", {"provider": "health"}),
                    ("draft_plan_issued", "2025-06-02", {})]),
    "B": ("amina", [("request_received", "2025-05-01", {"requester": "school"})]),
    "C": ("amina", [("request_received", "2025-04-01", {"requester": "parent"}),
                    ("decision_to_assess", "2025-05-01", {"outcome": "assess"}),
                    ("advice_requested", "2025-05-02", {"provider": "educational_psychology"})]),
    "D": ("ben", [("request_received", "2024-09-02", {"requester": "parent"}),
                  ("decision_to_assess", "2024-10-07", {"outcome": "assess"}),
                  ("draft_plan_issued", "2024-12-20", {}),
                  ("final_plan_issued", "2025-01-10", {})]),
    "E": ("ben", [("request_received", "2024-06-03", {"requester": "school"}),
                  ("decision_to_assess", "2024-07-08", {"outcome": "assess"}),
                  ("exception_recorded", "2024-08-01", {
                      "reason": "personal_circumstances", "from": "2024-07-20",
                      "to": "2024-08-20", "attested_by": "Team manager"}),
                  ("draft_plan_issued", "2025-02-10", {}),
                  ("final_plan_issued", "2025-03-03", {})]),
    "F": ("ben", [("request_received", "2025-03-03", {"requester": "parent"}),
                  ("decision_to_assess", "2025-04-01", {"outcome": "refuse"})]),
    "G": ("ben", [("request_received", "2025-02-03", {"requester": "parent"}),
                  ("case_withdrawn", "2025-02-20", {"reason": "moved out of area"})]),
}


@pytest.fixture
def authority(store_settings):
    application = open_application(store_settings)
    for ref, (caseworker, events) in CASES.items():
        application.open_case(ref, team="North", caseworker=caseworker)
        for kind, on, fields in events:
            payload = {"type": kind, "on": on, "recorded": on, **fields}  # logged on the day
            application.record(ref, payload, caseworker, today=TODAY)
    projection = open_projection(store_settings, application, today=lambda: TODAY)
    projection.rebuild()
    return store_settings, application, projection.store


def test_caseload_is_ordered_by_urgency(authority):
    _, _, store = authority
    cases = caseload(store, TODAY, caseworker="amina")
    assert list(cases["case_ref"]) == ["A", "B", "C"]
    assert list(cases["next_key"]) == ["final_plan", "decision_to_assess",
                                       "advice.educational_psychology"]
    assert list(cases["days_to_next"]) == [-36, -19, -18]


def test_breach_forecast_names_certain_and_at_risk_cases(authority):
    _, _, store = authority
    forecast = breach_forecast(store, TODAY)
    assert forecast["breach_certain"] == ["A"]
    assert forecast["at_risk"] == ["B", "C"]
    year = forecast["projections"]["year"]["earliest_lawful"]
    # Issued in 2025: D within, E late. Projected: A (late), B and C (within, if lawful).
    assert (year["issued"], year["issued_within"]) == (2, 1)
    assert (year["projected"], year["projected_within"]) == (3, 2)
    assert year["percent"] == 60.0


def test_dfe_bands_and_mean_weeks(authority):
    _, _, store = authority
    assert dfe_bands(store, parse_period("2025")) == {
        "plans": 2, "within 20 weeks": 1, "20 to 52 weeks": 1, "over 52 weeks": 0,
        "mean_weeks_to_issue": 28.8}


def test_advice_by_provider(authority):
    _, _, store = authority
    table = advice_by_provider(store, parse_period("2025"))
    assert table.to_dict("records") == [{"provider": "health", "received": 1, "within": 1,
                                         "percent": 100.0, "mean_days_late": 0.0}]


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_sen2_export_for_2025(authority, tmp_path):
    settings, application, _ = authority
    export_sen2(open_source(settings), application, 2025, tmp_path / "sen2", None)
    requests = {r["Person ID"]: r for r in read_csv(tmp_path / "sen2/module2_requests.csv")}
    assert {k: (r["Request Outcome"], r["Request Outcome Date"]) for k, r in requests.items()} == {
        "A": ("Y", "2025-02-10"), "B": ("A", ""), "C": ("Y", "2025-05-01"), "D": ("H", ""),
        "E": ("H", ""), "F": ("N", "2025-04-01"), "G": ("W", "")}
    assert requests["G"]["Exported - Child Or Young Person Moves Out Of LA Before Assessment "
                         "Is Completed"] == "1"
    assessments = {r["Person ID"]: (r["Assessment Outcome To Issue EHCP"],
                                    r["Assessment Outcome Date"],
                                    r["Twenty Weeks Time Limit Exceptions Apply"])
                   for r in read_csv(tmp_path / "sen2/module3_assessments.csv")}
    assert assessments == {"A": ("A", "", "0"), "C": ("A", "", "0"),
                           "D": ("Y", "2025-01-10", "0"), "E": ("Y", "2025-03-03", "1")}
    plans = read_csv(tmp_path / "sen2/module4_plans.csv")
    assert sorted((p["Person ID"], p["EHC Plan Start Date"]) for p in plans) == [
        ("D", "2025-01-10"), ("E", "2025-03-03")]


def test_sen2_as_known_on_a_past_date(authority, tmp_path):
    settings, application, _ = authority
    export_sen2(open_source(settings), application, 2025, tmp_path / "then", date(2025, 3, 1))
    assessments = {r["Person ID"]: r["Assessment Outcome To Issue EHCP"]
                   for r in read_csv(tmp_path / "then/module3_assessments.csv")}
    # On 1 March 2025 the system did not yet know E's plan (issued and recorded 3 March).
    assert assessments["E"] == "A"
    assert "C" not in assessments  # C's request arrived on 1 April


def test_advice_by_provider_follows_the_cohort(authority):
    """`ehc kpi --cohort requested`: advice asked for in the period (and received since), not
    advice received in it. A's health advice was asked for in February, received in March."""
    from service.reports import kpi_report

    _, _, store = authority
    february = parse_period("2025-02")
    assert advice_by_provider(store, february).empty
    assert advice_by_provider(store, february, "requested").to_dict("records") == [
        {"provider": "health", "received": 1, "within": 1, "percent": 100.0,
         "mean_days_late": 0.0}]
    by_completion = kpi_report(store, february, ("advice_within_6_weeks",), "completed", None)
    by_request = kpi_report(store, february, ("advice_within_6_weeks",), "requested", None)
    assert "health" not in by_completion and "health" in by_request
