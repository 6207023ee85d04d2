"""Caseloads (a page at a time, with filters, closed cases for managers and auditors, as CSV),
the deadlines due in the next 2 weeks on a caseworker's home page, opening a case, search."""

from __future__ import annotations

import csv
import io
import math
import re
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from domain import wording
from projections.files import csv_cell
from service.api.cases import CASE_REF
from service.application import CaseExists
from service.people import people_for
from service.tokens import Principal
from service.web import lists
from service.web.forms import FieldError, FormState
from service.web.lists import CLOSED_FOR, PAGE_SIZE, SHOW, Filters
from service.web.session import check_csrf, require
from service.web.templating import page

router = APIRouter(prefix="/app", include_in_schema=False)
PROVIDERS = tuple(wording.PROVIDERS)
SEARCH_MAX = 100


def _page_number(text: str | None) -> int:
    """?page=: a whole number from 1; anything else is the first page."""
    return int(text) if text and text.isascii() and text.isdigit() and int(text) > 0 else 1


def _filters(request: Request, who: Principal) -> tuple[Filters, list[FieldError]]:
    """The list's filters from the address; a caseworker's list is their own open cases."""
    params = request.query_params
    errors = []
    if who.role == "caseworker":
        caseworker, team = who.own_caseload()
        return Filters("open", team, caseworker, _provider(params.get("provider"))), errors
    show = params.get("show") or params.get("status") or "open"
    if show not in SHOW:
        show = "open"
    team = None
    typed = (params.get("team") or "").strip()
    if typed:
        team = lists.find_team(request.app.state.services, typed)
        if team is None:
            errors.append(FieldError(f"There is no team called {typed}: select a team from "
                                     "the list", "team", "#team"))
    return Filters(show, team, None, _provider(params.get("provider"))), errors


def _provider(code: str | None) -> str | None:
    return code if code in PROVIDERS else None


def _query(filters: Filters, **extra: Any) -> str:
    values = {"show": filters.show if filters.show != "open" else None, "team": filters.team,
              "provider": filters.awaiting, **extra}
    return urlencode({k: v for k, v in values.items() if v})


@router.get("/caseload")
def caseload_page(request: Request) -> HTMLResponse:
    return _caseload_view(request)


def _caseload_view(request: Request, errors: list[FieldError] | None = None,
                   typed_ref: str = "") -> HTMLResponse:
    who = require(request, "caseworker", "manager", "auditor")
    svc = request.app.state.services
    filters, problems = _filters(request, who)
    number = _page_number(request.query_params.get("page"))
    cases, total = lists.case_page(svc, filters, number) if not problems else ([], 0)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    due = lists.due_soon(svc, *who.own_caseload()) if who.role == "caseworker" else []
    errors = [*problems, *(errors or [])]
    return page(request, "caseload.html", 422 if errors else 200, cases=cases, total=total,
                filters=filters, errors=errors, today=svc.today(), typed_ref=typed_ref,
                number=min(number, pages), pages=pages, due=due, show=SHOW,
                teams=lists.known_teams(svc), providers=PROVIDERS,
                query=lambda **extra: _query(filters, **extra),
                closed_allowed=who.role in CLOSED_FOR, first=(number - 1) * PAGE_SIZE + 1)


CSV_COLUMNS = ("Case reference", "Team", "Caseworker", "Status", "Next deadline",
               "Next deadline due", "Days to it", "Overdue deadlines",
               "Final plan certain to be late")


@router.get("/caseload.csv")
def caseload_csv(request: Request) -> Response:
    """The list as shown, every page of it, for a spreadsheet (dates as YYYY-MM-DD)."""
    who = require(request, "caseworker", "manager", "auditor")
    filters, _ = _filters(request, who)
    rows = lists.all_cases(request.app.state.services, filters)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([
            # Imported text may begin with "=": escaped, never run by a spreadsheet.
            csv_cell(row["case_ref"]), csv_cell(row["team"] or ""),
            csv_cell(row["caseworker"] or ""),
            wording.CASE_STATUSES.get(row["status"], row["status"]),
            wording.deadline_label(row["next_key"]) if row["next_key"] else "",
            row["next_due"] or "", "" if row["days_to_next"] is None else row["days_to_next"],
            row["overdue"], "Yes" if row["will_be_late"] else "No"])
    name = "my-caseload" if who.role == "caseworker" else "caseload"
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{name}.csv"'})


@router.post("/cases")
async def open_case(request: Request) -> Response:
    form = await request.form()
    check_csrf(request, form)
    who = require(request, "caseworker")
    case_ref = str(form.get("case_ref", "")).strip()
    try:
        if not case_ref:
            raise _Problem("Enter the case reference")
        if not re.fullmatch(CASE_REF, case_ref):
            raise _Problem("The case reference must be up to 64 letters, numbers, dots, "
                           "hyphens or underscores, starting with a letter or number")
        if not who.works_on(who.team):
            raise _Problem("Your access token has no team: ask for one with a team")
        request.app.state.services.application.open_case(
            case_ref, team=who.team, caseworker=who.name, opened_by=who.name)
    except (_Problem, CaseExists) as error:
        text = str(error) if isinstance(error, _Problem) else (
            "A case with this reference is already open: search for it")
        return _caseload_view(request, errors=[FieldError(text, "case_ref", "#case_ref")],
                             typed_ref=case_ref)
    return RedirectResponse(f"/app/cases/{case_ref}", status_code=303)


class _Problem(Exception):
    pass


@router.get("/search")
def search_page(request: Request, q: str = "") -> HTMLResponse:
    """Find a case by the child's surname, forename, both, date of birth or local id (exact,
    ignoring capitals and accents, through keyed hashes), or by its reference (any part of it);
    caseworkers search their own team's cases. Each child shown is an audited read."""
    who = require(request, "caseworker", "manager", "auditor")
    query = q.strip()
    errors, results, children, total = [], [], [], 0
    if len(query) > SEARCH_MAX:
        errors.append(FieldError(f"Search for {SEARCH_MAX} characters or fewer", "q", "#q"))
    elif query:
        svc = request.app.state.services
        children = [hit for hit in people_for(svc.application).search(who, query)
                    if hit.matched_on != "case_ref"]
        team = who.own_caseload()[1] if who.role == "caseworker" else None
        results, total = lists.search_cases(svc, query, team)
    return page(request, "search.html", 422 if errors else 200, query=query,
                results=results, total=total, children=children, errors=errors,
                form=FormState(q=query), limit=PAGE_SIZE)
