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
    "not_recorded": "Not recorded (imported)",
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
    if name == "draft_not_recorded":
        return "Not known: the imported record does not give the draft plan's date"
    if name == "exception":
        return f"Exception: {EXCEPTION_REASONS.get(detail, detail)}"
    return code


def flag_label(code: str) -> str:
    """`premature_amendment:amended_plan.2` -> its words, naming the deadline."""
    name, _, key = code.partition(":")
    text = FLAGS.get(name, name.replace("_", " "))
    return f"{deadline_label(key)}: {text[0].lower()}{text[1:]}" if key else text


# Form fields: labels and hints for each event's fields, keyed "event.field" (or "field" for
# every event with it; "event.group.field" inside a group such as `transferred_in`). Labels
# read as the question the form asks; error messages are made from them.
FIELD_LABELS = {
    "on": "When did it happen?",
    "plan_in_place.on": "When was the plan made?",
    "requester": "Who made the request?",
    "outcome": "What was decided?",
    "advice_requested.provider": "Who was asked for advice?",
    "advice_received.provider": "Who gave the advice?",
    "exception_recorded.provider": "Whose advice does it excuse?",
    "setting": "Name of the school or early years setting",
    "family_confirmed_no_comments": "The family confirmed they have no further comments",
    "names_next_setting": "The amended plan names the school or setting for the next phase",
    "exception_recorded.reason": "What made the time limit impractical?",
    "case_withdrawn.reason": "Why was the case withdrawn?",
    "plan_ceased.reason": "Why did the plan cease?",
    "from": "Date the exception started",
    "to": "Date the exception ended",
    "attested_by": "Who confirms the reason?",
    "applies_to": "Which deadlines does it excuse?",
    "last_reviewed": "Date of the last annual review decision",
    "transferred_in": "Transferred in from another authority",
    "transferred_in.from": "Name of the authority it came from",
    "transferred_in.on": "Date it transferred in",
    "transfer": "Which move is it?",
    "transfer_on": "Date of the move",
    "about": "What is it about?",
    "order": "What did the Tribunal order?",
    "concession": "What did the authority concede?",
    "corrects": "Which event is being corrected?",
}

FIELD_HINTS = {
    "on": "For example, 27 3 2025",
    "setting": "For advice from a school or early years setting",
    "attested_by": "The name or role of the person who confirms it",
    "applies_to": "Leave all unticked to excuse every deadline the reason can excuse",
    "exception_recorded.provider": "Only for an exception to an adviser's deadline",
    "to": "Leave empty while it goes on",
    "transferred_in": "Only for a plan made by another local authority",
    "family_confirmed_no_comments": "Tick if the family said so before their 15 days ended",
    "not_recorded": "Not in the imported record",
}

# Part 3 (imported-history.md): the steps an imported record may lack, in words.
NOT_RECORDED = {"requester": "who made the request", "decision_date": "the decision's date",
                "draft_plan_issued": "the draft plan"}

CHOICES = {  # the users' words for each choice field's codes, by field (or event.field)
    "requester": REQUESTERS,
    "provider": {code: text[0].upper() + text[1:] for code, text in PROVIDERS.items()},
    "outcome": OUTCOMES,
    "transfer": TRANSFERS,
    "about": {code: text[0].upper() + text[1:] for code, text in DISPUTE_SUBJECTS.items()},
    "order": ORDERS,
    "concession": ORDERS,
    "exception_recorded.reason": {code: text[0].upper() + text[1:]
                                  for code, text in EXCEPTION_REASONS.items()},
    "plan_ceased.reason": CEASE_REASONS,
}

ROUND_OPENERS = {
    "request_received": "The request for an assessment",
    "reassessment_decision": "A decision to reassess",
    "tribunal_order": "A Tribunal order",
    "appeal_conceded": "An appeal conceded",
}

ROUND_OUTCOMES = {**CASE_STATUSES, "open": "Still open"}

DISPUTE_KINDS = {"mediation": "Mediation", "appeal": "Appeal"}

RAG = {"green": "Green: on target", "amber": "Amber: close to target",
       "red": "Red: off target", "grey": "Grey: no cases to rate",
       "not_rated": "Not rated: fewer than 5 cases"}

MILESTONE_STATUSES = {"not_started": "Not started", "on_track": "On track",
                      "at_risk": "At risk", "complete": "Complete", "overdue": "Overdue"}

TRAVEL = {"improving": "Improving", "worsening": "Worsening", "steady": "Steady",
          "unknown": "Not known yet"}

ROLES = {"caseworker": "caseworker", "manager": "manager", "board": "board member",
         "auditor": "auditor"}

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def field_label(event: str, name: str) -> str:
    """The question a form asks for an event's field (`name` may be "group.field")."""
    return (FIELD_LABELS.get(f"{event}.{name}") or FIELD_LABELS.get(name)
            or name.rsplit(".", 1)[-1].replace("_", " ").capitalize())


def field_hint(event: str, name: str) -> str | None:
    return FIELD_HINTS.get(f"{event}.{name}") or FIELD_HINTS.get(name)


def choice_label(event: str, name: str, code: str) -> str:
    """A choice's words: `provider` `social_care` -> "Social care"."""
    words = CHOICES.get(f"{event}.{name}") or CHOICES.get(name) or {}
    return words.get(code) or code.replace("_", " ").capitalize()


def period_text(label: str) -> str:
    """A reporting period as people say it: "2026-Q4" -> "October to December 2026",
    "2025-03" -> "March 2025", "2024/25" -> "September 2024 to August 2025", "2025" -> "2025"."""
    if "-Q" in label:
        year, quarter = label.split("-Q")
        first = 3 * int(quarter) - 3
        return f"{MONTHS[first]} to {MONTHS[first + 2]} {year}"
    if "/" in label:
        first = int(label.split("/")[0])
        return f"September {first} to August {first + 1}"
    if "-" in label:
        year, month = label.split("-")
        return f"{MONTHS[int(month) - 1]} {year}"
    return label


def citation_text(citation: str) -> str:
    """"reg 13(2)" -> "Regulation 13(2)"; "CFA s.36" -> "Children and Families Act 2014,
    section 36"; anything else as it is."""
    text = citation.replace("regs ", "regulations ").replace("reg ", "regulation ")
    text = text.replace("CFA s.", "Children and Families Act 2014, section ")
    return text[0].upper() + text[1:] if text else text


FIELD_NOUNS = {  # what error messages call a field: "Enter the reason", "Select the move"
    "requester": "who made the request",
    "outcome": "what was decided",
    "advice_requested.provider": "who was asked for advice",
    "advice_received.provider": "who gave the advice",
    "exception_recorded.provider": "whose advice it excuses",
    "setting": "the name of the setting",
    "exception_recorded.reason": "what made the time limit impractical",
    "case_withdrawn.reason": "why the case was withdrawn",
    "plan_ceased.reason": "why the plan ceased",
    "attested_by": "who confirms the reason",
    "transferred_in.from": "the name of the authority it came from",
    "transfer": "the move",
    "about": "what it is about",
    "order": "what the Tribunal ordered",
    "concession": "what the authority conceded",
}


def field_noun(event: str, name: str) -> str | None:
    return FIELD_NOUNS.get(f"{event}.{name}") or FIELD_NOUNS.get(name)


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
