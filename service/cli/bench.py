"""`ehc bench`: benchmarks that print their figures (never timed unit tests)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from service.cli.output import print_figures
from service.settings import StoreSettings


def register(commands: argparse._SubParsersAction) -> None:
    bench = commands.add_parser("bench", help="benchmarks that print their figures")
    bench_commands = bench.add_subparsers()
    evaluate = bench_commands.add_parser("evaluate", help="time the deadline engine")
    evaluate.add_argument("--events", type=int, default=20)
    evaluate.add_argument("--repeat", type=int, default=20000)
    evaluate.set_defaults(run=_bench_evaluate)
    rebuild = bench_commands.add_parser(
        "rebuild", help="raw SELECT vs full projection rebuild on N synthetic cases")
    rebuild.add_argument("--cases", type=int, default=10000)
    rebuild.add_argument("--workers", type=int, default=2)
    rebuild.add_argument("--folder", type=Path, default=Path("var"))
    rebuild.add_argument("--profile", action="store_true",
                         help="also split the rebuild's CPU per event by step")
    rebuild.set_defaults(run=_bench_rebuild)
    refresh = bench_commands.add_parser(
        "refresh", help="the daily refresh over a demo-like authority with its plans in force")
    refresh.add_argument("--cases", type=int, default=3000)
    refresh.add_argument("--folder", type=Path, default=Path("var"))
    refresh.set_defaults(run=_bench_refresh)
    api = bench_commands.add_parser(
        "api", help="the real server on the demo data under concurrent clients (loopback)")
    api.add_argument("--clients", type=int, default=20)
    api.add_argument("--seconds", type=float, default=60)
    api.add_argument("--cases", type=int, default=3000, help="demo cases if none yet")
    api.add_argument("--rate", type=float, default=None,
                     help="requests/s in all, on a fixed schedule (default: no pause)")
    api.add_argument("--exports", type=int, default=0,
                     help="instead: one caseworker recording while N SEN2 exports run")
    api.set_defaults(run=_bench_api)
    sen2 = bench_commands.add_parser("sen2", help="SEN2 export of N synthetic cases")
    sen2.add_argument("--cases", type=int, default=100000)
    sen2.add_argument("--year", type=int, default=2025)
    sen2.add_argument("--workers", type=int, default=2)
    sen2.add_argument("--folder", type=Path, default=Path("var"))
    sen2.set_defaults(run=lambda a: print_figures(_people_bench().bench_sen2(
        a.cases, a.year, a.workers, a.folder)))
    imports = bench_commands.add_parser(
        "import", help="import a synthetic full extract (the events template) of N rows")
    imports.add_argument("--rows", type=int, default=100000)
    imports.add_argument("--people", action="store_true",
                         help="each case with its child (registered and linked)")
    imports.add_argument("--folder", type=Path, default=Path("var/bench-import"))
    imports.set_defaults(run=_bench_import)
    search = bench_commands.add_parser("search", help="person search at N children")
    search.add_argument("--cases", type=int, default=100000)
    search.add_argument("--searches", type=int, default=100)
    search.add_argument("--folder", type=Path, default=Path("var"))
    search.set_defaults(run=lambda a: print_figures(_people_bench().bench_search(
        a.cases, a.searches, a.folder)))
    what_if = bench_commands.add_parser(
        "what-if", help="the what-if simulator over N open assessments")
    what_if.add_argument("--open", type=int, default=5000, dest="open_assessments")
    what_if.add_argument("--runs", type=int, default=1000)
    what_if.set_defaults(run=lambda a: print_figures(_forecast_bench().bench_what_if(
        a.open_assessments, a.runs)))
    backtest = bench_commands.add_parser(
        "backtest", help="the forecast's monthly backtest over the demo authority")
    backtest.add_argument("--months", type=int, default=24)
    backtest.add_argument("--runs", type=int, default=200)
    backtest.set_defaults(run=lambda a: print_figures(_forecast_bench().bench_backtest(
        months=a.months, runs=a.runs)))


def _forecast_bench() -> Any:
    from service import forecast_bench

    return forecast_bench


def _bench_import(arguments: argparse.Namespace) -> int:
    from service.imports.bench import bench_import

    return print_figures(bench_import(arguments.rows, arguments.folder, arguments.people))


def _people_bench() -> Any:  # imported when asked for: it loads the reports
    from service import people_bench

    return people_bench


def _bench_evaluate(arguments: argparse.Namespace) -> int:
    from service.benchmarks import bench_evaluate

    return print_figures(bench_evaluate(arguments.events, arguments.repeat))


def _bench_rebuild(arguments: argparse.Namespace) -> int:
    from service.benchmarks import bench_rebuild

    return print_figures(bench_rebuild(arguments.cases, arguments.workers, arguments.folder,
                                       profile=arguments.profile))


def _bench_refresh(arguments: argparse.Namespace) -> int:
    from service.benchmarks import bench_refresh

    return print_figures(bench_refresh(arguments.cases, arguments.folder))


def _bench_api(arguments: argparse.Namespace) -> int:
    from service.load import bench_api, bench_contention

    settings = StoreSettings.from_environment()
    if arguments.exports:
        return print_figures(bench_contention(arguments.exports, arguments.seconds, settings,
                                              arguments.cases))
    return print_figures(bench_api(arguments.clients, arguments.seconds, settings,
                                   arguments.cases, arguments.rate))
