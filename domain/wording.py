"""The users' words for the engine's codes: every page, export header, refusal message and
report says "Decision whether to assess", never `decision_to_assess`.

Codes stay the contract's (scenario files, the API's `rule` and fields); people read these.
"""

from __future__ import annotations

from datetime import date

EVENTS = {
    "request_received": "Request for an assessment received",
    "decision_to_assess": "Decision whether to assess",
    "advice_requested": "Advice requested",
    "advice_received": "Advice received",
    "not_to_issue_notice": "Decision not to issue a plan",
    "draft_plan_issued": "Draft plan sent",
    "final_plan_issued": "Final plan issued",
    "exception_recorded": "Exception recorded",
    "case_withdrawn": "Case withdrawn",
    "correction": "Correction",
    "plan_in_place": "Plan already in place",
    "review_meeting_held": "Annual review meeting held",
    "review_decision_notified": "Annual review decision sent",
    "amendment_proposed": "Amendments proposed",
    "amended_plan_issued": "Amended plan issued",
    "amendment_not_made": "Decision not to amend the plan",
    "phase_transfer_expected": "Phase transfer expected",
    "reassessment_requested": "Reassessment requested",
    "reassessment_decision": "Decision whether to reassess",
    "plan_ceased": "Plan ceased",
    "mediation_held": "Mediation held",
    "appeal_registered": "Appeal registered",
    "tribunal_order": "Tribunal order",
    "appeal_conceded": "Appeal conceded",
}

PROVIDERS = {
    "health": "health",
    "social_care": "social care",
    "educational_psychology": "educational psychology",
    "education": "education",
    "early_years": "early years",
    "other": "another adviser",
}

DEADLINES = {
    "decision_to_assess": "Decision whether to assess",
    "not_to_issue_notice": "Decision not to issue a plan",
    "final_plan": "Final plan",
    "review": "Annual review",
    "review_decision": "Annual review decision",
    "amended_plan": "Amended plan",
    "phase_transfer": "Phase transfer",
    "reassessment_decision": "Decision whether to reassess",
    "reassessment_final": "Final plan after reassessment",
    "order.decision": "Decision to assess, after a tribunal order",
    "order.not_to_issue": "Decision not to issue a plan, after a tribunal order",
    "order.final_plan": "Final plan, after a tribunal order",
    "order.draft_plan": "Draft plan, after a tribunal order",
    "order.amended_plan": "Amended plan, after a tribunal order",
}

STATUSES = {
    "pending": "Due",
    "overdue": "Overdue",
    "met": "Met",
    "late": "Late",
    "excepted": "Late, with an exception",
    "not_applicable": "Not needed",
}

CASE_STATUSES = {
    "open": "Open",
    "refused": "Assessment refused",
    "not_issued": "No plan to be issued",
    "plan_issued": "Plan issued",
    "withdrawn": "Withdrawn",
}

PLAN_STATUSES = {"none": "No plan yet", "in_force": "Plan in force", "ceased": "Plan ceased"}

EXCEPTION_REASONS = {
    "school_closure": "school or college closure",
    "early_years_closure": "early years setting closure",
    "personal_circumstances": "exceptional personal circumstances",
    "absence_from_area": "absence from the area for 28 days or more",
    "missed_appointment": "missed appointment",
    "coronavirus": "coronavirus (2020)",
}

REQUESTERS = {
    "parent": "Parent",
    "young_person": "Young person",
    "school": "School or college",
    "brought_to_attention": "Brought to the authority's attention",
}

OUTCOMES = {
    "assess": "Assess",
    "refuse": "Refuse",
    "maintain": "Keep the plan as it is",
    "amend": "Amend the plan",
    "cease": "Cease the plan",
    "reassess": "Reassess",
}

TRANSFERS = {
    "school": "Between school phases (plan amended before 15 February)",
    "post16": "From school to post-16 (plan amended before 31 March)",
    "post16_other": "Between post-16 settings (plan amended 5 months before)",
}

CEASE_REASONS = {  # SEN2 CeaseReason 1-9, in order
    "max_age": "Reached the maximum age",
    "needs_met": "Needs met without a plan",
    "higher_education": "Moved on to higher education",
    "employment": "Moved on to paid employment",
    "transferred_out": "Moved to another local authority",
    "disengaged": "Young person no longer wishes to engage",
    "moved_outside_england": "Moved outside England",
    "deceased": "Died",
    "other": "Other reason",
}

DISPUTE_SUBJECTS = {
    "request": "the decision whether to assess or reassess",
    "assessment": "the decision whether to issue, amend or replace a plan after assessing",
    "other": "the plan's content, placement or ceasing",
}

ORDERS = {
    "assess": "Assess",
    "make_plan": "Make a plan",
    "amend": "Amend the plan",
    "dismissed": "Appeal dismissed",
}

FLAGS = {
    "premature_final": "Final plan issued before the family's 15 days to comment had ended",
    "premature_amendment": "Amended plan issued before the family's 15 days to comment had "
                           "ended",
    "phase_transfer_on_deadline_day": "Plan amended on the deadline's next day: on time only "
                                      "if \"before\" is read as \"by\"",
}

ORDINALS = {2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh",
            8: "eighth", 9: "ninth", 10: "tenth"}


def date_text(day: date | None, missing: str = "") -> str:
    """13 July 2026: the GOV.UK style for a date in a sentence or table."""
    return missing if day is None else f"{day.day} {day:%B %Y}"


def event_label(code: str) -> str:
    return EVENTS.get(code, code.replace("_", " ").capitalize())


def provider_label(code: str | None) -> str:
    return PROVIDERS.get(code or "", code or "")


def _request_suffix(number: int) -> str:
    return "" if number == 1 else f" ({ORDINALS.get(number, f'number {number}')} request)"


def deadline_label(key: str) -> str:
    """`advice.health.2` -> "Advice from health (second request)"; `review.3` -> "Annual
    review 3"; `order.final_plan.2` -> "Final plan, after a tribunal order 2"."""
    parts = key.split(".")
    if parts[0] == "advice" and len(parts) >= 2:
        number = int(parts[2]) if len(parts) == 3 and parts[2].isdigit() else 1
        return f"Advice from {provider_label(parts[1])}" + _request_suffix(number)
    if parts[0] == "order" and len(parts) >= 2:
        kind, rest = f"order.{parts[1]}", parts[2:]
    else:
        kind, rest = parts[0], parts[1:]
    label = DEADLINES.get(kind, kind.replace("_", " ").capitalize())
    if rest and rest[0].isdigit():
        return f"{label} {int(rest[0])}"  # review.3 -> "Annual review 3"
    return label


def status_label(code: str) -> str:
    return STATUSES.get(code, code.replace("_", " "))


def breach_reason_label(code: str) -> str:
    """The contract's breach reasons (`advice_late:health.2`) in words."""
    name, _, detail = code.partition(":")
    if name == "decision_to_assess_late":
        return "The decision whether to assess was late"
    if name == "advice_late":
        return f"{deadline_label('advice.' + detail)} was late"
    if name == "draft_too_late":
        return "The draft plan was sent too late for a final plan within 20 weeks"
    if name == "finalisation_delay":
        return "The final plan was delayed after the draft"
    if name == "exception":
        return f"Exception: {EXCEPTION_REASONS.get(detail, detail)}"
    return code


def flag_label(code: str) -> str:
    """`premature_amendment:amended_plan.2` -> its words, naming the deadline."""
    name, _, key = code.partition(":")
    text = FLAGS.get(name, name.replace("_", " "))
    return f"{deadline_label(key)}: {text[0].lower()}{text[1:]}" if key else text


_PHASE_TRANSFER_DUTIES = {
    "reg 18(1)(b)": "the plan amended, naming the next school, before 15 February of the "
                    "transfer year",
    "reg 18(1)(a)": "the plan amended, naming the post-16 setting, before 31 March of the "
                    "transfer year",
    "reg 18(2)": "the plan amended, naming the next setting, at least 5 months before the "
                 "transfer",
}


def deadline_explanation(kind: str, start: date, due: date, provider: str | None,
                         citation: str) -> str:
    """The deadline's rule in one line, from its own dates: "20 weeks from the request
    received on 3 February 2025"."""
    since = date_text(start)
    weeks = (due - start).days // 7
    if kind == "advice":
        return f"6 weeks from the day {provider_label(provider)} received the request, {since}"
    if kind in ("decision_to_assess", "not_to_issue_notice", "final_plan"):
        return f"{weeks} weeks from the request received on {since}"
    if kind == "review":
        return ("by the end of 12 months starting with the plan or its last review decision "
                "(3 months from a transfer in, if later)")
    if kind == "review_decision":
        return f"4 weeks from the review meeting held on {since}"
    if kind == "amended_plan":
        return (f"8 weeks from the amendment notice of {since}, and no later than 12 weeks "
                "from the review meeting")
    if kind == "phase_transfer":
        return _PHASE_TRANSFER_DUTIES.get(citation, "before the transfer")
    if kind == "reassessment_decision":
        return f"15 days from the reassessment request of {since}"
    if kind == "reassessment_final":
        return f"14 weeks from the decision to reassess on {since}"
    if kind.startswith("order."):
        return f"{weeks} weeks from the Tribunal's order (or the concession) of {since}"
    return f"due {date_text(due)}"
