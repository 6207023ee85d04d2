"""What if, and the forecast's track record: heavy reads, run in the heavy-reads process
(service.api.heavy) so they never starve the writers. Managers see everything; the board
counts and rates only, small counts withheld; auditors the backtest (no case in it)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from projections.backtest import backtest_for_board, first_month
from projections.simulation import (
    SimulationRefused,
    check_runs,
    check_seed,
    what_if_for_board,
)
from service.api.context import Services, allow, services
from service.api.problems import Problem
from service.api.text import query_text
from service.forecasts import WhatIfAsk, run_backtest, run_what_if

router = APIRouter(tags=["reports"])
Svc = Annotated[Services, Depends(services)]
Planners = Annotated[Any, Depends(allow("manager", "board"))]
Readers = Annotated[Any, Depends(allow("manager", "board", "auditor"))]


def refused(error: SimulationRefused) -> Problem:
    return Problem(422, "Invalid request", str(error), error.rule)


@router.get("/forecast/what-if")
async def what_if(
    who: Planners, svc: Svc,
    period: Annotated[str, Query(description='not yet over: "2026", "2025/26", "2026-Q3", '
                                 '"2026-07"')],
    advice: Annotated[list[str] | None, Query(description="PROVIDER=Nw (within N weeks) or "
                                              "PROVIDER=N% (N% faster)")] = None,
    decisions_by_week: int | None = None, drafts_by_week: int | None = None,
    finals_first_lawful_day: bool = False, capacity: float = 0.0, runs: int = 1000,
    seed: int = 1, cohort: str = "completed",
) -> dict[str, Any]:
    """The period's within-20-weeks figure simulated over the open assessments (median and
    10th-90th percentile), the baseline beside the scenario the levers make, and (managers)
    the cases that move from late to on time with their reasons. Nothing is stored."""
    period = query_text(period, "period", "the period") or ""
    cohort = query_text(cohort, "cohort", "the cohort") or ""
    levers = tuple(query_text(text, "advice", "the advice lever") or "" for text in advice or ())
    ask = WhatIfAsk(period, levers, decisions_by_week, drafts_by_week,
                    finals_first_lawful_day, capacity, runs, seed, cohort)
    today = svc.today()
    try:
        ask.checked(today)
    except SimulationRefused as error:
        raise refused(error) from None
    assert svc.heavy is not None
    result = await svc.heavy.run(run_what_if, svc.settings, ask, today)
    return what_if_for_board(result) if who.role == "board" else result


@router.get("/forecast/backtest")
async def backtest(
    who: Readers, svc: Svc,
    from_: Annotated[str, Query(alias="from", description="the first month, YYYY-MM")],
    runs: int = 200, seed: int = 1,
) -> dict[str, Any]:
    """Each month's forecast of its quarter, as the service knew the authority on the month's
    first day, beside what happened: the error and whether it fell in the 10-90 range."""
    today = svc.today()
    from_ = query_text(from_, "from", "the first month") or ""
    try:
        first_month(from_, today)
        check_runs(runs)
        check_seed(seed)
    except SimulationRefused as error:
        raise refused(error) from None
    assert svc.heavy is not None
    result = await svc.heavy.run(run_backtest, svc.settings, from_, runs, seed, today)
    return backtest_for_board(result) if who.role == "board" else result
