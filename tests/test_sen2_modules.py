"""SEN2 modules 1-5 as the councils' SEND tool reads them: every header pinned (names, case,
order), codes as SEN2 defines them, plans in force and ceased in the year from the engine's
part 2 records, reassessments as their own rows, the six dispute flags, phase transfers, and
pseudonyms the same in every module."""

from __future__ import annotations

import csv
from datetime import date

from builders import accept_all, fact

from domain.person import PersonDetails
from projections.case_record import CaseRecord
from projections.sen2 import (
    CEASE_REASON_CODES,
    MODULE_1,
    MODULE_2,
    MODULE_3,
    MODULE_4,
    MODULE_5,
    Identities,
    sen2_return,
)
from service.personal_data import pseudonym

# The D2I SEND tool accepts a file only when its header row is exactly one of these.
HEADERS = {
    "module1_persons.csv": [
        "Person ID", "Surname", "Forename", "Dob (ccyy-mm-dd)", "Gender", "Ethnicity",
        "Postcode", "UPN - Unique Pupil Number", "ULN - Young Persons Unique Learner Number",
        "UPN and ULN unavailable reason"],
    "module2_requests.csv": [
        "Person ID", "Requests Record ID", "Date Request Was Received",
        "Initial Request Whilst In RYA", "Request Outcome Date", "Request Outcome",
        "Request Mediation", "Request Tribunal",
        "Exported - Child Or Young Person Moves Out Of LA Before Assessment Is Completed",
        "New start date"],
    "module3_assessments.csv": [
        "Person ID", "Requests Record ID", "Assessment Outcome To Issue EHCP",
        "Assessment Outcome Date", "Assessment Mediation", "Assessment Tribunal",
        "Other Mediation", "Other Tribunal", "Twenty Weeks Time Limit Exceptions Apply"],
    "module4_plans.csv": [
        "Person ID", "Request Records ID", "EHC Plan Start Date", "Residential Settings",
        "Worked based learning activity", "Personal budget taken up",
        "Personal budget - organised arrangements", "Personal budget - direct payments",
        "Date EHC Plan Ceased", "Reason EHC Plan Ceased"],
    "module5_active_plans.csv": [
        "Person ID", "Request Records ID", "EHC Plan (Transfer)", "Residential Settings",
        "Worked based learning activity", "EHCP review decisions date"],
}


def record(ref: str, *events: tuple) -> CaseRecord:
    facts = accept_all(fact(kind, on, **fields) for kind, on, fields in events)
    return CaseRecord(case_id=ref, case_ref=ref, facts=facts)


CEASED = record(
    "CEASED",
    ("request_received", "2023-02-06", {"requester": "parent"}),
    ("decision_to_assess", "2023-03-13", {"outcome": "assess"}),
    ("draft_plan_issued", "2023-05-15", {}),
    ("final_plan_issued", "2023-06-19", {}),
    ("review_meeting_held", "2024-05-13", {}),
    ("review_decision_notified", "2024-05-31", {"outcome": "maintain"}),
    ("phase_transfer_expected", "2024-09-16", {"transfer": "school",
                                               "transfer_on": "2025-09-01"}),
    ("amendment_proposed", "2025-01-06", {}),
    ("amended_plan_issued", "2025-02-10", {"names_next_setting": True}),
    ("plan_ceased", "2025-10-01", {"reason": "employment"}),
)
MOVED_IN = record(
    "MOVED-IN",
    ("plan_in_place", "2021-03-01", {"last_reviewed": "2024-11-15",
                                     "transferred_in": {"from": "Somerset", "on": "2025-09-10"}}),
    ("mediation_held", "2025-10-06", {"about": "other"}),
)
APPEALED = record(
    "APPEALED",
    ("request_received", "2024-01-08", {"requester": "parent"}),
    ("decision_to_assess", "2024-02-12", {"outcome": "refuse"}),
    ("mediation_held", "2024-02-26", {"about": "request"}),
    ("appeal_registered", "2024-03-04", {"about": "request"}),
    ("tribunal_order", "2024-09-02", {"order": "assess"}),
    ("decision_to_assess", "2024-09-13", {"outcome": "assess"}),
    ("draft_plan_issued", "2024-10-21", {}),
    ("final_plan_issued", "2024-11-25", {}),
    ("reassessment_requested", "2025-03-03", {"requester": "parent"}),
    ("reassessment_decision", "2025-03-17", {"outcome": "reassess"}),
    ("appeal_registered", "2025-04-07", {"about": "assessment"}),
    ("draft_plan_issued", "2025-05-12", {}),
    ("final_plan_issued", "2025-06-02", {}),
)


def by_ref(rows: list[tuple], column: int = 1) -> dict[str, tuple]:
    return {row[column]: row for row in rows}


def test_every_header_is_the_tools_own(tmp_path):
    result = sen2_return([CEASED], 2025)
    result.add_persons({})
    result.write(tmp_path)
    for name, header in HEADERS.items():
        with (tmp_path / name).open(newline="", encoding="utf-8") as handle:
            assert next(csv.reader(handle)) == header, name
    assert [list(m) for m in (MODULE_1, MODULE_2, MODULE_3, MODULE_4, MODULE_5)] == list(
        HEADERS.values())
    assert list(CEASE_REASON_CODES.items()) == [
        ("max_age", "1"), ("needs_met", "2"), ("higher_education", "3"), ("employment", "4"),
        ("transferred_out", "5"), ("disengaged", "6"), ("moved_outside_england", "7"),
        ("deceased", "8"), ("other", "9")]


def test_a_plan_ceased_in_the_year_with_its_review_and_phase_transfer():
    result = sen2_return([CEASED], 2025)
    assert result.requests == [] and result.assessments == []  # round 1 ended in 2023
    assert result.plans == [("CEASED", "CEASED-R1", "2023-06-19", "", "", "", "", "",
                             "2025-10-01", "4")]
    assert result.active_plans == [("CEASED", "CEASED-R1", 0, "", "", "2024-05-31")]
    assert result.phase_transfers == [("CEASED", "CEASED-R1", "phase_transfer", "2025-02-14",
                                       "2025-02-10", "met")]
    assert sen2_return([CEASED], 2024).plans[0][8:] == ("", "")  # not ceased yet in 2024
    assert sen2_return([CEASED], 2026).plans == []  # ceased before 2026
    assert sen2_return([CEASED], 2022).plans == []  # not made yet


def test_a_plan_moved_in_and_a_flag_with_no_row_to_carry_it():
    result = sen2_return([MOVED_IN], 2025)
    assert result.plans == [("MOVED-IN", "MOVED-IN-P", "2021-03-01", "", "", "", "", "", "",
                             "")]
    assert result.active_plans == [("MOVED-IN", "MOVED-IN-P", 1, "", "", "2024-11-15")]
    assert result.requests == [] and result.assessments == []
    assert result.notes == ["MOVED-IN: mediation about other on 2025-10-06 has no SEN2 row to "
                            "carry it in this return."]
    # A plan moved in counts from its latest date (plan-lifecycle.md, reading 1): the
    # authority held no plan for this child in 2024.
    assert sen2_return([MOVED_IN], 2024).active_plans == []


def test_a_refusal_reversed_by_the_tribunal_and_a_reassessment():
    in_2024 = sen2_return([APPEALED], 2024)
    # The refusal keeps its outcome and date; mediation and Tribunal flags say what followed,
    # and the ordered assessment sits under the request appealed.
    assert in_2024.requests == [("APPEALED", "APPEALED-R1", "2024-01-08", "", "2024-02-12",
                                 "N", 1, 1, 0, "")]
    assert in_2024.assessments == [("APPEALED", "APPEALED-R1", "Y", "2024-11-25", 0, 0, 0, 0,
                                    0)]
    assert in_2024.plans[0][:3] == ("APPEALED", "APPEALED-R1", "2024-11-25")
    in_2025 = sen2_return([APPEALED], 2025)
    assert in_2025.requests == [("APPEALED", "APPEALED-R3", "2025-03-03", "", "2025-03-17",
                                 "Y", 0, 0, 0, "")]
    assert in_2025.assessments == [("APPEALED", "APPEALED-R3", "Y", "2025-06-02", 0, 1, 0, 0,
                                    0)]
    assert in_2025.plans == [("APPEALED", "APPEALED-R1", "2024-11-25", "", "", "", "", "", "",
                              "")]


def test_children_named_once_and_pseudonyms_the_same_in_every_module():
    key = b"k" * 32
    person_of = {"CEASED": "p-1", "APPEALED": "p-1", "MOVED-IN": "p-2"}
    shown = Identities(person_of, lambda value: pseudonym(key, value))
    result = sen2_return([CEASED, APPEALED, MOVED_IN], 2025, identities=shown)
    assert result.people == {"p-1", "p-2"}
    child = pseudonym(key, "p-1")
    rows = result.requests + result.assessments + result.plans + result.active_plans
    assert {row[0] for row in rows} == {child, pseudonym(key, "p-2")}
    assert {row[1] for row in result.plans} == {f"{pseudonym(key, 'CEASED')}-R1",
                                                f"{pseudonym(key, 'APPEALED')}-R1",
                                                f"{pseudonym(key, 'MOVED-IN')}-P"}
    text = repr(rows + result.notes)
    assert all(ref not in text for ref in ("CEASED", "APPEALED", "MOVED-IN", "p-1"))


def test_module_1_rows_with_codes():
    zoe = PersonDetails(surname="O'Brién", forename="Zoë", date_of_birth=date(2019, 7, 13),
                        sex="F", ethnicity="WIRI", postcode="N1 9GU",
                        upn_unknown_reason="UN1")
    result = sen2_return([CEASED, MOVED_IN], 2025,
                         identities=Identities({"CEASED": "p-1", "MOVED-IN": "p-2"}))
    result.add_persons({"p-1": zoe, "p-2": None})
    assert result.persons == [
        ("p-1", "O'Brién", "Zoë", "2019-07-13", "F", "WIRI", "N1 9GU", "", "", "UN1"),
        ("p-2", "", "", "", "", "", "", "", "", "")]
    assert "1 children in the return were erased" in result.notes[-1]


def test_a_refusal_of_last_year_with_the_ordered_assessment_finishing_this_year():
    """The request was decided before the year (H), but the assessment the Tribunal ordered
    under it ends in the year: both rows are in the return, and the plan counts from the
    request, as the 20-week KPI counts the case's first final plan."""
    late = record(
        "LATE",
        ("request_received", "2024-06-03", {"requester": "parent"}),
        ("decision_to_assess", "2024-07-08", {"outcome": "refuse"}),
        ("appeal_registered", "2024-08-05", {"about": "request"}),
        ("tribunal_order", "2025-01-13", {"order": "assess"}),
        ("decision_to_assess", "2025-01-20", {"outcome": "assess"}),
        ("draft_plan_issued", "2025-03-10", {}),
        ("final_plan_issued", "2025-04-07", {}),
    )
    result = sen2_return([late], 2025)
    assert result.requests == [("LATE", "LATE-R1", "2024-06-03", "", "", "H", 0, 1, 0, "")]
    assert result.assessments == [("LATE", "LATE-R1", "Y", "2025-04-07", 0, 0, 0, 0, 0)]
    assert result.plans[0][:3] == ("LATE", "LATE-R1", "2025-04-07")
    in_2024 = sen2_return([late], 2024)  # no order yet on 31 December 2024
    assert in_2024.requests == [("LATE", "LATE-R1", "2024-06-03", "", "2024-07-08", "N", 0, 1,
                                 0, "")]
    assert in_2024.assessments == []
