"""Plan monitoring over HTTP for the board and managers: RAG, trend, forecast. Aggregates
only. Plans are YAML files in EHC_PLANS_DIR (default: examples/)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from calendars.periods import parse_period
from projections.monitoring import Reading, monitor
from projections.suppression import WITHHELD_NOTE
from service.api.context import Services, allow, services
from service.api.problems import Problem
from service.plan_files import InvalidPlan, load_plan
from service.tokens import Principal

router = APIRouter(prefix="/plans", tags=["plan monitoring"])
Svc = Annotated[Services, Depends(services)]
Readers = Annotated[Principal, Depends(allow("manager", "board"))]


def plans_dir() -> Path:
    return Path(os.environ.get("EHC_PLANS_DIR", "examples"))


@router.get("")
def plans(who: Readers) -> dict[str, Any]:
    found = sorted(p.stem for p in plans_dir().glob("*.yaml"))
    return {"plans": found}


@router.get("/{name}/status")
def plan_status(name: str, period: str, who: Readers, svc: Svc) -> dict[str, Any]:
    path = plans_dir() / f"{name}.yaml"
    if not name.replace("-", "").replace("_", "").isalnum() or not path.exists():
        raise Problem(404, "Not found", "no such plan", "not_found")
    try:
        plan, chosen = load_plan(path), parse_period(period)
    except (InvalidPlan, ValueError) as error:
        raise Problem(422, "Invalid request", str(error), "invalid_request") from None
    if chosen.end < plan.starts:
        raise Problem(422, "Invalid request", f"the period {chosen.label} ends before the plan "
                      f"starts on {plan.starts}", "period_before_plan")
    board = who.role == "board"
    with svc.read_lock:
        status = monitor(plan, svc.read_models(), chosen, svc.today(), board=board)
    figures = {
        "plan": plan.title, "owner": plan.owner, "period": chosen.label,
        "evaluated_on": status.evaluated_on.isoformat(),
        "indicators": [{
            "id": s.indicator.id, "title": s.indicator.title, "measure": s.indicator.measure,
            "target": s.indicator.target.model_dump(), "target_period": s.target_period,
            "actual": _reading(s.actual, board), "rag": s.rating, "reason": s.reason,
            "direction": s.travel, "trend": [_reading(r, board) for r in s.trend],
            "forecast": s.forecast, "forecast_rag": s.forecast_rating, "notes": s.notes,
        } for s in status.indicators],
        "milestones": status.milestones,
    }
    if board and any(r.withheld or r.small for s in status.indicators
                     for r in (s.actual, *s.trend)):
        figures["withheld"] = WITHHELD_NOTE
    return figures


def _reading(reading: Reading, board: bool) -> dict[str, Any]:
    """Managers get the exact counts; the board what may be shown (projections.monitoring)."""
    if not board:
        return {"period": reading.period, "within": reading.within, "total": reading.total,
                "percent": reading.percent, "shown": reading.shown()}
    small = reading.small
    return {"period": reading.period, "within": None if small else reading.shown_within,
            "total": None if small else reading.shown_total,
            "percent": reading.shown_percent, "shown": reading.shown()}
