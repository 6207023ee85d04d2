"""The events template as a workbook: the worked example on the first sheet (what is
imported), and what each column means on the second."""

from __future__ import annotations

import csv
from pathlib import Path

from service.imports.rows import TEMPLATE_COLUMNS

COLUMN_HELP = {
    "case_ref": "The case's reference in your old system (required; one case per reference)",
    "child_local_id": "Your own id for the child: rows with the same id are the same child",
    "type": "The event, in the scenario contract's words (required): request_received, "
            "decision_to_assess, advice_requested, advice_received, not_to_issue_notice, "
            "draft_plan_issued, final_plan_issued, exception_recorded, case_withdrawn, "
            "plan_in_place, review_meeting_held, review_decision_notified, … "
            "(docs/spec/scenario-format.md, plan-lifecycle.md)",
    "on": "The day it happened, YYYY-MM-DD (required)",
    "recorded": "The day your old system logged it (optional; default: the day of the "
                "import). Lets an auditor replay the case as it was known before the move",
    "id": "A label for the event, for corrections to name (optional)",
    "requester": "request_received: parent, young_person, school or brought_to_attention",
    "outcome": "decision_to_assess: assess or refuse; review_decision_notified: maintain, "
               "amend or cease; reassessment_decision: reassess or refuse",
    "provider": "advice: health, social_care, educational_psychology, education, "
                "early_years or other",
    "setting": "advice_requested: the school or setting (optional)",
    "family_confirmed_no_comments": "final_plan_issued, amended_plan_issued: true or false",
    "names_next_setting": "amended_plan_issued: true when it completes a phase transfer",
    "reason": "exception_recorded: the reason code; case_withdrawn: why; plan_ceased: "
              "SEN2's reason (max_age, needs_met, …)",
    "from": "exception_recorded: first day, YYYY-MM-DD",
    "to": "exception_recorded: last day (optional)",
    "attested_by": "exception_recorded: who attests it (required for an exception)",
    "applies_to": "exception_recorded: deadline keys, separated by ; (optional)",
    "last_reviewed": "plan_in_place: the last review decision's date",
    "transferred_in_from": "plan_in_place: the authority the plan came from",
    "transferred_in_on": "plan_in_place: the day it came",
    "transfer": "phase_transfer_expected: school, post16 or post16_other",
    "transfer_on": "phase_transfer_expected: the day of the move",
    "about": "mediation_held, appeal_registered: request, assessment or other",
    "order": "tribunal_order: assess, make_plan, amend or dismissed",
    "concession": "appeal_conceded: assess, make_plan or amend",
    "corrects": "correction: the id of the event corrected",
    "set": "correction: field=value; field=value",
    "not_recorded": "Steps your record does not hold (docs/spec/imported-history.md): "
                    "requester, decision_date, draft_plan_issued",
    "team": "The case's team (the same on every row of a case)",
    "caseworker": "The case's caseworker (the same on every row of a case)",
    "surname": "The child's surname (on any one row of the case)",
    "forename": "The child's forename",
    "date_of_birth": "The child's date of birth, YYYY-MM-DD",
    "sex": "M or F (SEN2 Gender)",
    "ethnicity": "DfE ethnicity code, e.g. WBRI",
    "postcode": "The child's postcode",
    "upn": "Unique Pupil Number",
    "uln": "Unique Learner Number",
    "upn_unknown_reason": "UN1-UN5 when neither UPN nor ULN is known",
}


def write_template_xlsx(example_csv: Path, out: Path) -> Path:
    """The workbook: sheet "Events" holds the CSV's rows as text (dates stay YYYY-MM-DD
    text, so a spreadsheet cannot turn them into American dates), sheet "Columns" the help."""
    from openpyxl import Workbook

    book = Workbook()
    events = book.active
    events.title = "Events"
    with example_csv.open(newline="", encoding="utf-8") as handle:
        for cells in csv.reader(handle):
            events.append(cells)
    for cell in events[1]:
        cell.number_format = "@"
    for column in events.columns:
        for cell in column:
            cell.number_format = "@"
    columns = book.create_sheet("Columns")
    columns.append(("column", "what it holds"))
    for name in TEMPLATE_COLUMNS:
        columns.append((name, COLUMN_HELP.get(name, "")))
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)
    return out
