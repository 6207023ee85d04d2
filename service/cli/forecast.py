"""`ehc what-if` and `ehc forecast backtest`: the simulator and its track record."""

from __future__ import annotations

import argparse
import json
import sys

from service.settings import StoreSettings


def register(commands: argparse._SubParsersAction) -> None:
    what_if = commands.add_parser(
        "what-if", help="the within-20-weeks figure for a period, simulated, with levers")
    what_if.add_argument("--period", required=True,
                         help='not yet over: "2026", "2025/26", "2026-Q3", "2026-07"')
    what_if.add_argument("--advice", action="append", default=[], metavar="PROVIDER=Nw|N%",
                         help="advice from a provider within N weeks (health=4w) or N%% "
                              "faster (health=25%%); repeat for more providers")
    what_if.add_argument("--decisions-by-week", type=int, default=None, metavar="N")
    what_if.add_argument("--drafts-by-week", type=int, default=None, metavar="N")
    what_if.add_argument("--finals-first-lawful-day", action="store_true",
                         help="every final plan on the first lawful day after its draft")
    what_if.add_argument("--capacity", type=float, default=0.0, metavar="PERCENT",
                         help="more capacity: the authority's own steps take 1/(1+p) as long")
    what_if.add_argument("--runs", type=int, default=1000)
    what_if.add_argument("--seed", type=int, default=1)
    what_if.add_argument("--cohort", choices=["completed", "requested"], default="completed")
    what_if.add_argument("--json", action="store_true", help="the whole result as JSON")
    what_if.set_defaults(run=_what_if)

    forecast = commands.add_parser("forecast", help="the forecast's track record")
    backtest = forecast.add_subparsers().add_parser(
        "backtest", help="each month's forecast of its quarter, as then known, vs what happened")
    backtest.add_argument("--from", dest="first", required=True, metavar="YYYY-MM")
    backtest.add_argument("--runs", type=int, default=200, help="runs a month")
    backtest.add_argument("--seed", type=int, default=1)
    backtest.add_argument("--model", choices=["steps", "whole", "median-pace"], default="steps",
                          help="steps: the what-if simulator (each step drawn); whole: request "
                               "-> final plan drawn in one; median-pace: the dashboard's "
                               "forecast (that draw at the median, no spread)")
    backtest.add_argument("--json", action="store_true")
    backtest.set_defaults(run=_backtest)


def _what_if(arguments: argparse.Namespace) -> int:
    from projections.simulation import SimulationRefused
    from service.application import today_in_england
    from service.forecasts import WhatIfAsk, run_what_if, what_if_text

    ask = WhatIfAsk(arguments.period, tuple(arguments.advice), arguments.decisions_by_week,
                    arguments.drafts_by_week, arguments.finals_first_lawful_day,
                    arguments.capacity, arguments.runs, arguments.seed, arguments.cohort)
    try:
        result = run_what_if(StoreSettings.from_environment(), ask, today_in_england())
    except SimulationRefused as refused:
        print(f"ehc what-if: {refused}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=1) if arguments.json else what_if_text(result))
    return 0


def _backtest(arguments: argparse.Namespace) -> int:
    from projections.simulation import SimulationRefused
    from service.application import today_in_england
    from service.forecasts import backtest_text, run_backtest

    try:
        result = run_backtest(StoreSettings.from_environment(), arguments.first,
                              arguments.runs, arguments.seed, today_in_england(),
                              arguments.model)
    except SimulationRefused as refused:
        print(f"ehc forecast backtest: {refused}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=1) if arguments.json else backtest_text(result))
    return 0
