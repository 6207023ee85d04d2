"""The pages' templates and the words they show: every code goes through domain.wording, every
date reads "13 July 2026", every period "October to December 2026"."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader

from domain import wording
from service.application import ENGLAND
from service.web.session import CSRF_FIELD, SignInRequired, csrf_token, current_user

SERVICE_NAME = "EHC timeline tracker"
STATUS_TAGS = {"met": "govuk-tag--green", "pending": "govuk-tag--blue",
               "overdue": "govuk-tag--red", "late": "govuk-tag--red",
               "excepted": "govuk-tag--orange", "not_applicable": "govuk-tag--grey",
               "green": "govuk-tag--green", "amber": "govuk-tag--orange",
               "red": "govuk-tag--red", "grey": "govuk-tag--grey", "not_rated": "govuk-tag--grey"}

templates = Jinja2Templates(env=Environment(
    loader=ChoiceLoader([
        FileSystemLoader(Path(__file__).parent / "templates"),
        PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
    ]),
    autoescape=True,
))


def authority_name() -> str | None:
    """The council's name for the header (EHC_AUTHORITY_NAME); the service is not GOV.UK."""
    return os.environ.get("EHC_AUTHORITY_NAME", "").strip() or None


def day_text(value: Any, missing: str = "") -> str:
    """A date (or ISO text) as "13 July 2026"."""
    if value is None or value == "":
        return missing
    if isinstance(value, datetime):
        local = value.astimezone(ENGLAND) if value.tzinfo else value
        return f"{wording.date_text(local.date())}, {local:%H:%M}"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return wording.date_text(value)


def number_text(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def error_for(errors: dict[str, str] | None, key: str) -> dict[str, str] | None:
    """The inline message for a field, in the shape the GOV.UK macros take."""
    text = (errors or {}).get(key)
    return {"text": text} if text else None


templates.env.filters.update(
    day=day_text, period=wording.period_text, status=wording.status_label,
    deadline=wording.deadline_label, event=wording.event_label, flag=wording.flag_label,
    breach=wording.breach_reason_label, number=number_text, citation=wording.citation_text,
    case_status=lambda code: wording.CASE_STATUSES.get(code, code.replace("_", " ")),
    plan_status=lambda code: wording.PLAN_STATUSES.get(code, code.replace("_", " ")),
    provider=wording.provider_label, sentence=lambda text: str(text)[:1].upper() + str(text)[1:],
)
templates.env.globals.update(status_tags=STATUS_TAGS, error_for=error_for, wording=wording,
                             csrf_field=CSRF_FIELD, service_name=SERVICE_NAME)


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    try:
        user = current_user(request)
    except SignInRequired:
        user = None
    nonce = getattr(request.state, "csp_nonce", None)
    errors = context.pop("errors", None) or []
    inline: dict[str, str] = {}
    for error in errors:
        if hasattr(error, "field"):
            inline.setdefault(error.field, error.text)  # the first problem with each field
    return templates.TemplateResponse(request, name, {
        "user": user, "cspNonce": nonce, "csrf": csrf_token(request) if user else "",
        "authority": authority_name(), "path": request.url.path,
        "errors": [{"text": e.text, "href": e.href} if hasattr(e, "href") else e
                   for e in errors],
        "field_errors": inline, **context}, status_code=status)
