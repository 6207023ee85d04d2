"""Lists of cases from the read models, a page at a time: caseloads with their filters, the
deadlines due soon, teams, and search."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from service.api.context import Services

PAGE_SIZE = 50
# A final plan still to come that is certain to be late (a late plan already issued is not
# urgent any more), then the most overdue deadlines, then the nearest.
WILL_BE_LATE = ("(breach_certain = 1 AND final_status IN ('pending', 'overdue'))")
CASELOAD_ORDER = (f"ORDER BY CASE WHEN {WILL_BE_LATE} THEN 1 ELSE 0 END DESC, overdue DESC, "
                  "next_due IS NULL, next_due, case_ref")
SHOW = {  # the "Show" filter: its words, and the rows it keeps
    "open": ("Open cases", "(status = 'open' OR next_key IS NOT NULL)"),
    "breach_certain": ("Final plan certain to be late", WILL_BE_LATE),
    "overdue": ("With an overdue deadline",
                "(status = 'open' OR next_key IS NOT NULL) AND overdue > 0"),
    "due_this_week": ("Next deadline due in 7 days",
                      "(status = 'open' OR next_key IS NOT NULL) AND next_due >= ? "
                      "AND next_due <= ?"),
    "closed": ("Closed cases", "NOT (status = 'open' OR next_key IS NOT NULL)"),
    "all": ("Open and closed cases", "1 = 1"),
}
CLOSED_FOR = ("manager", "auditor")  # caseworkers list their open cases


@dataclass(frozen=True)
class Filters:
    show: str = "open"
    team: str | None = None
    caseworker: str | None = None
    awaiting: str | None = None  # advice still awaited from this provider


def _where(filters: Filters, today: date) -> tuple[str, list[Any]]:
    clause, parameters = SHOW[filters.show][1], []
    if filters.show == "due_this_week":
        parameters += [today.isoformat(), (today + timedelta(days=7)).isoformat()]
    for column, value in (("team", filters.team), ("caseworker", filters.caseworker)):
        if value is not None:
            clause += f" AND {column} = ?"
            parameters.append(value)
    if filters.awaiting is not None:
        clause += (" AND case_ref IN (SELECT case_ref FROM ehc_deadline_fact WHERE kind = "
                   "'advice' AND provider = ? AND status IN ('pending', 'overdue'))")
        parameters.append(filters.awaiting)
    return clause, parameters


def case_page(svc: Services, filters: Filters, number: int,
              size: int = PAGE_SIZE) -> tuple[list[dict[str, Any]], int]:
    """One page of cases, most urgent first, and how many there are in all."""
    clause, parameters = _where(filters, svc.today())
    with svc.read_lock:
        store = svc.read_models()
        total = int(store.scalar(f"SELECT COUNT(*) FROM ehc_case_summary WHERE {clause}",
                                 parameters) or 0)
        frame = store.frame(f"SELECT * FROM ehc_case_summary WHERE {clause} {CASELOAD_ORDER} "
                            "LIMIT ? OFFSET ?", [*parameters, size, (number - 1) * size])
    return [_row(r, svc.today()) for r in frame.to_dict("records")], total


def all_cases(svc: Services, filters: Filters) -> list[dict[str, Any]]:
    """Every case the filters keep (the caseload as CSV)."""
    clause, parameters = _where(filters, svc.today())
    with svc.read_lock:
        frame = svc.read_models().frame(
            f"SELECT * FROM ehc_case_summary WHERE {clause} {CASELOAD_ORDER}", parameters)
    return [_row(r, svc.today()) for r in frame.to_dict("records")]


def _row(record: dict[str, Any], today: date) -> dict[str, Any]:
    row = {k: (None if v != v else v) for k, v in record.items()}  # NaN -> None
    due = row.get("next_due")
    row["days_to_next"] = (date.fromisoformat(due) - today).days if due else None
    row["closed"] = not (row["status"] == "open" or row.get("next_key"))
    row["will_be_late"] = row.get("breach_certain") == 1 and row.get("final_status") in (
        "pending", "overdue")
    return row


def due_soon(svc: Services, caseworker: str, team: str, days: int = 14) -> list[dict[str, Any]]:
    """A caseworker's deadlines due from today to `days` ahead, soonest first."""
    today = svc.today()
    with svc.read_lock:
        frame = svc.read_models().frame(
            "SELECT case_ref, key, due FROM ehc_deadline_fact WHERE caseworker = ? AND team = ? "
            "AND status = 'pending' AND due >= ? AND due <= ? ORDER BY due, case_ref, key",
            [caseworker, team, today.isoformat(), (today + timedelta(days=days)).isoformat()])
    return frame.to_dict("records")


def known_teams(svc: Services) -> list[str]:
    """Teams with cases, and teams named by caseworkers' tokens."""
    with svc.read_lock:
        frame = svc.read_models().frame(
            "SELECT DISTINCT team FROM ehc_case_summary WHERE team IS NOT NULL")
    return sorted(set(frame["team"]) | set(svc.tokens.teams()), key=str.casefold)


def find_team(svc: Services, typed: str) -> str | None:
    """The team a filter names, whatever its capitals ("north" finds "North")."""
    wanted = typed.strip().casefold()
    return next((t for t in known_teams(svc) if t.casefold() == wanted), None)


def search_cases(svc: Services, query: str, team: str | None,
                 limit: int = PAGE_SIZE) -> tuple[list[dict[str, Any]], int]:
    """Cases whose reference contains `query` (any capitals), within a team if given."""
    clause, parameters = "UPPER(case_ref) LIKE ?", [f"%{_escape_like(query.upper())}%"]
    clause += " ESCAPE '\\'"
    if team is not None:
        clause += " AND team = ?"
        parameters.append(team)
    with svc.read_lock:
        store = svc.read_models()
        total = int(store.scalar(f"SELECT COUNT(*) FROM ehc_case_summary WHERE {clause}",
                                 parameters) or 0)
        frame = store.frame(f"SELECT * FROM ehc_case_summary WHERE {clause} ORDER BY case_ref "
                            "LIMIT ?", [*parameters, limit])
    return [_row(r, svc.today()) for r in frame.to_dict("records")], total


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
