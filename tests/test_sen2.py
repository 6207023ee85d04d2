"""SEN2 derivation on hand-made cases: which cases are in a year's return and their codes
(sen2-export.md). Each case here once came out wrong in a review."""

from __future__ import annotations

from datetime import date

from domain.history import build_fact
from projections.case_record import CaseRecord
from projections.sen2 import sen2_return


def case(ref: str, *events: tuple) -> CaseRecord:
    facts = [build_fact({"type": kind, "on": on, **fields}) for kind, on, fields in events]
    return CaseRecord(case_id=ref, case_ref=ref, facts=facts)


RECEIVED = ("request_received", "2024-11-01", {"requester": "parent"})


def rows(*records: CaseRecord, known_at: date | None = None):
    result = sen2_return(records, 2025, known_at)
    requests = {r[0]: (r[5], r[4], r[8]) for r in result.requests}  # outcome, date, exported
    assessments = {r[0]: (r[2], r[3], r[8]) for r in result.assessments}  # outcome, date, week20
    return requests, assessments


def test_a_case_open_on_1_january_and_withdrawn_in_the_year_is_in_the_return():
    requests, assessments = rows(
        case("W1", RECEIVED, ("case_withdrawn", "2025-02-01", {"reason": "moved out of area"})),
        case("W2", ("request_received", "2024-06-03", {"requester": "parent"}),
             ("decision_to_assess", "2024-07-01", {"outcome": "assess"}),
             ("case_withdrawn", "2025-03-01", {"reason": "family moved out of area"})))
    assert requests == {"W1": ("W", "", 1), "W2": ("H", "", 1)}
    assert assessments == {"W2": ("W", "", 0)}


def test_a_refusal_later_withdrawn_stays_a_refusal():
    requests, assessments = rows(case(
        "RW", ("request_received", "2025-03-03", {"requester": "parent"}),
        ("decision_to_assess", "2025-04-01", {"outcome": "refuse"}),
        ("case_withdrawn", "2025-05-01", {"reason": "family moved out of area"})))
    assert requests == {"RW": ("N", "2025-04-01", 0)}
    assert assessments == {}


def test_exported_only_when_the_assessment_had_not_finished():
    requests, _ = rows(
        case("NTI", ("request_received", "2025-02-03", {"requester": "parent"}),
             ("decision_to_assess", "2025-03-03", {"outcome": "assess"}),
             ("not_to_issue_notice", "2025-05-01", {}),
             ("case_withdrawn", "2025-06-02", {"reason": "family moved out of area"})),
        case("STAY", RECEIVED, ("case_withdrawn", "2025-01-20",
                                {"reason": "parent withdrew the request; family has not moved"})),
        case("KENT", RECEIVED, ("case_withdrawn", "2025-01-20",
                                {"reason": "relocated to Kent (new LA)"})))
    assert {ref: exported for ref, (_, _, exported) in requests.items()} == {
        "NTI": 0, "STAY": 0, "KENT": 1}


def test_an_exception_attested_after_the_year_counts_for_week20_as_in_the_kpi():
    late = case("LX", ("request_received", "2025-02-03", {"requester": "parent"}),
                ("decision_to_assess", "2025-03-03", {"outcome": "assess"}),
                ("draft_plan_issued", "2025-09-01", {}),
                ("final_plan_issued", "2025-10-01", {}),
                ("exception_recorded", "2026-01-12", {
                    "reason": "personal_circumstances", "from": "2025-05-01",
                    "to": "2025-06-30", "attested_by": "Team manager"}))
    assert rows(late)[1] == {"LX": ("Y", "2025-10-01", 1)}
    assert rows(late, known_at=date(2026, 1, 5))[1] == {"LX": ("Y", "2025-10-01", 0)}


def test_a_case_closed_before_the_year_stays_out_whatever_arrives_later():
    requests, _ = rows(case(
        "AR", ("request_received", "2024-09-02", {"requester": "parent"}),
        ("decision_to_assess", "2024-10-14", {"outcome": "refuse"}),
        ("advice_requested", "2024-09-10", {"provider": "health"}),
        ("advice_received", "2025-01-10", {"provider": "health"})))
    assert requests == {}
