"""Turning the pages' form fields into the same event payloads the API takes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

# Fields of each event type on the form: name -> kind (text, date, flag, list).
EVENT_FIELDS: dict[str, dict[str, str]] = {
    "request_received": {"requester": "text"},
    "decision_to_assess": {"outcome": "text"},
    "advice_requested": {"provider": "text", "setting": "text"},
    "advice_received": {"provider": "text"},
    "not_to_issue_notice": {},
    "draft_plan_issued": {},
    "final_plan_issued": {"family_confirmed_no_comments": "flag"},
    "exception_recorded": {"reason": "text", "from": "date", "to": "date",
                           "attested_by": "text", "provider": "text", "applies_to": "list"},
    "case_withdrawn": {"reason": "text"},
}
EVENT_LABELS = {
    "request_received": "Request received", "decision_to_assess": "Decision whether to assess",
    "advice_requested": "Advice requested", "advice_received": "Advice received",
    "not_to_issue_notice": "Decision not to issue a plan", "draft_plan_issued": "Draft plan "
    "served", "final_plan_issued": "Final plan issued", "exception_recorded": "Exception "
    "(time limit impractical)", "case_withdrawn": "Case withdrawn",
}


class FormProblem(Exception):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message, self.field = message, field


def date_field(form: Mapping[str, Any], name: str, required: bool) -> str | None:
    """GOV.UK date input: three boxes named <name>-day, -month, -year -> YYYY-MM-DD."""
    parts = [str(form.get(f"{name}-{p}", "")).strip() for p in ("year", "month", "day")]
    if not any(parts):
        if required:
            raise FormProblem("Enter the date", f"{name}-day")
        return None
    problem = FormProblem("The date must be a real date, for example 27 3 2025", f"{name}-day")
    if not all(p.isascii() and p.isdigit() for p in parts):
        raise problem
    try:
        return date(*(int(p) for p in parts)).isoformat()
    except (ValueError, OverflowError):  # 31 February; a year of twenty digits
        raise problem from None


def event_payload(form: Mapping[str, Any]) -> dict[str, Any]:
    kind = str(form.get("type", ""))
    if kind not in EVENT_FIELDS:
        raise FormProblem("Select what happened", "type")
    payload: dict[str, Any] = {"type": kind, "on": date_field(form, "on", required=True)}
    for name, field_kind in EVENT_FIELDS[kind].items():
        key = f"{kind}-{name}"
        if field_kind == "date":
            value = date_field(form, key, required=name == "from")
        elif field_kind == "flag":
            value = True if form.get(key) else None
        elif field_kind == "list":
            items = [v.strip() for v in str(form.get(key, "")).split(",") if v.strip()]
            value = items or None
        else:
            value = str(form.get(key, "")).strip() or None
        if value is not None:
            payload[name] = value
    return payload


def correction_payload(form: Mapping[str, Any]) -> dict[str, Any]:
    corrects = str(form.get("corrects", "")).strip()
    field = str(form.get("field", "")).strip()
    value = str(form.get("value", "")).strip()
    reason = str(form.get("reason", "")).strip()
    for given, name, message in ((corrects, "corrects", "Select the event to correct"),
                                 (field, "field", "Select the field to change"),
                                 (value, "value", "Enter the corrected value"),
                                 (reason, "reason", "Enter the reason for the correction")):
        if not given:
            raise FormProblem(message, name)
    return {"corrects": corrects, "set": {field: value}, "reason": reason}
