"""The `ehc` command line."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from projections.kpis import COHORTS, MEASURES
from service.application import CaseNotFound, EhcApplication, today_in_england
from service.settings import StoreSettings
from service.stores import open_application, open_projection, open_source
from service.tokens import ROLES, TokenStore, tokens_path


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    if not hasattr(arguments, "run"):
        parser.print_help()
        return 2
    return int(arguments.run(arguments) or 0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ehc", description="EHC needs assessment timelines")
    commands = parser.add_subparsers()

    scenarios = commands.add_parser("scenarios", help="scenario files: the executable examples")
    scenario_commands = scenarios.add_subparsers()
    check = scenario_commands.add_parser("check", help="replay scenario files and compare")
    check.add_argument("paths", nargs="+", help="scenario files or folders (*.yaml, *.yml)")
    check.add_argument("--json", action="store_true", help="print the results as JSON")
    check.set_defaults(run=_scenarios_check)

    demo = commands.add_parser("demo", help="a synthetic local authority")
    generate = demo.add_subparsers().add_parser(
        "generate", help="generate cases through the application, then rebuild projections")
    generate.add_argument("--cases", type=int, default=3000)
    generate.add_argument("--seed", type=int, default=1)
    generate.add_argument("--today", type=date.fromisoformat, default=None,
                          help="the last day of the history (default: today in England)")
    generate.set_defaults(run=_demo_generate)

    rebuild = commands.add_parser("rebuild", help="rebuild every projection from the events")
    rebuild.add_argument("--workers", type=int, default=2, help="processes evaluating cases")
    rebuild.add_argument("--batch-cases", type=int, default=2000, help="cases per commit")
    rebuild.add_argument("--resume", action="store_true",
                         help="carry on an interrupted rebuild instead of starting again")
    rebuild.set_defaults(run=_rebuild)

    follow = commands.add_parser("follow", help="keep projections up to date (polls the log)")
    follow.add_argument("--interval", type=float, default=0.5, help="seconds between polls")
    follow.set_defaults(run=_follow)

    kpi = commands.add_parser("kpi", help="timeliness KPIs for a period")
    kpi.add_argument("--period", required=True, help='"2025", "2024/25", "2025-Q1", "2025-03"')
    kpi.add_argument("--measure", action="append", choices=list(MEASURES))
    kpi.add_argument("--cohort", choices=list(COHORTS), default="completed")
    kpi.add_argument("--provider", default=None)
    kpi.set_defaults(run=_kpi)

    export = commands.add_parser("export", help="exports")
    sen2 = export.add_subparsers().add_parser("sen2", help="SEN2 modules 2-4 as CSV")
    sen2.add_argument("--year", type=int, required=True, help="collection (calendar) year")
    sen2.add_argument("--known-at", type=date.fromisoformat, default=None,
                      help="as the system knew it on this date (auditors' replay)")
    sen2.add_argument("out", type=Path, help="a folder, or a .zip file")
    sen2.set_defaults(run=_export_sen2)

    serve = commands.add_parser("serve", help="serve the HTTP API with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true",
                       help="first create a demo authority if the store is empty, and print "
                            "fresh demo tokens for each role")
    serve.add_argument("--demo-cases", type=int, default=3000)
    serve.add_argument("--workers", type=int, default=2, help="server processes")
    serve.set_defaults(run=_serve)

    tokens = commands.add_parser("tokens", help="bearer tokens")
    add = tokens.add_subparsers().add_parser("add", help="make a token (shown once)")
    add.add_argument("--role", required=True, choices=list(ROLES))
    add.add_argument("--name", required=True)
    add.add_argument("--team", default=None)
    add.set_defaults(run=_tokens_add)

    pack = commands.add_parser("board-pack", help="plan monitoring: HTML, CSV and Excel")
    pack.add_argument("--plan", type=Path, required=True, help="an action-plan YAML file")
    pack.add_argument("--period", required=True, help='the reporting period, e.g. "2025-Q3"')
    pack.add_argument("--out", type=Path, required=True, help="a folder")
    pack.set_defaults(run=_board_pack)

    bench = commands.add_parser("bench", help="benchmarks that print their figures")
    bench_commands = bench.add_subparsers()
    evaluate = bench_commands.add_parser("evaluate", help="time the deadline engine")
    evaluate.add_argument("--events", type=int, default=20)
    evaluate.add_argument("--repeat", type=int, default=20000)
    evaluate.set_defaults(run=_bench_evaluate)
    bench_rebuild = bench_commands.add_parser(
        "rebuild", help="raw SELECT vs full projection rebuild on N synthetic cases")
    bench_rebuild.add_argument("--cases", type=int, default=10000)
    bench_rebuild.add_argument("--workers", type=int, default=2)
    bench_rebuild.add_argument("--folder", type=Path, default=Path("var"))
    bench_rebuild.set_defaults(run=_bench_rebuild)
    bench_api = bench_commands.add_parser(
        "api", help="the real server on the demo data under concurrent clients (loopback)")
    bench_api.add_argument("--clients", type=int, default=20)
    bench_api.add_argument("--seconds", type=float, default=60)
    bench_api.add_argument("--cases", type=int, default=3000, help="demo cases if none yet")
    bench_api.add_argument("--rate", type=float, default=None,
                           help="requests/s in all, on a fixed schedule (default: no pause)")
    bench_api.set_defaults(run=_bench_api)
    return parser


def _scenarios_check(arguments: argparse.Namespace) -> int:
    from scenarios.check import check_paths

    summary = check_paths(arguments.paths)
    if arguments.json:
        print(json.dumps(summary.as_json(), indent=2))
    else:
        print("\n".join(summary.lines()))
    return summary.exit_code


def _tokens_add(arguments: argparse.Namespace) -> int:
    settings = StoreSettings.from_environment()
    try:
        token = TokenStore(tokens_path(settings)).add(arguments.role, arguments.name,
                                                      arguments.team)
    except ValueError as error:
        print(f"ehc tokens add: {error}", file=sys.stderr)
        return 2
    print(token)
    return 0


def _serve(arguments: argparse.Namespace) -> int:
    import uvicorn

    from service.demo import prepare_demo

    settings = StoreSettings.from_environment()
    if arguments.demo:
        prepare_demo(settings, arguments.demo_cases, f"http://{arguments.host}:{arguments.port}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    uvicorn.run("service.api.app:app_from_environment", factory=True, host=arguments.host,
                port=arguments.port, workers=arguments.workers, access_log=False,
                log_level="info",
                # A worker importing the app on a busy two-core machine (say, just after the
                # demo was generated) can take over uvicorn's 5 s: it was killed and restarted.
                timeout_worker_healthcheck=30)
    return 0


def _board_pack(arguments: argparse.Namespace) -> int:
    from calendars.periods import parse_period
    from service.board_pack import write_board_pack
    from service.plan_files import InvalidPlan, load_plan

    try:
        plan = load_plan(arguments.plan)
        period = parse_period(arguments.period)
    except (InvalidPlan, ValueError) as error:
        print(error, file=sys.stderr)
        return 2
    if period.end < plan.starts:
        print(f"the period {period.label} ends before the plan starts on {plan.starts}",
              file=sys.stderr)
        return 2
    settings = StoreSettings.from_environment()
    projection = open_projection(settings, open_application(settings))
    projection.catch_up()
    for path in write_board_pack(plan, projection.store, period, projection.today(),
                                 arguments.out):
        print(f"wrote {path}")
    return 0


def _print_figures(figures: dict[str, str]) -> int:
    for name, value in figures.items():
        print(f"{name}: {value}")
    return 0


def _bench_evaluate(arguments: argparse.Namespace) -> int:
    from service.benchmarks import bench_evaluate

    return _print_figures(bench_evaluate(arguments.events, arguments.repeat))


def _bench_rebuild(arguments: argparse.Namespace) -> int:
    from service.benchmarks import bench_rebuild

    return _print_figures(bench_rebuild(arguments.cases, arguments.workers, arguments.folder))


def _bench_api(arguments: argparse.Namespace) -> int:
    from service.load import bench_api

    settings = StoreSettings.from_environment()
    return _print_figures(bench_api(arguments.clients, arguments.seconds, settings,
                                    arguments.cases, arguments.rate))


def _demo_generate(arguments: argparse.Namespace) -> int:
    from scenarios.generator import GeneratorSettings, generate_cases, save_in_batches

    settings = StoreSettings.from_environment()
    application = open_application(settings)
    config = GeneratorSettings(arguments.cases, arguments.seed,
                               arguments.today or today_in_england())
    first = f"{config.prefix}-{config.seed}-{0:07d}"
    try:
        application.case(first)
    except CaseNotFound:
        pass
    else:
        print(f"the store already holds the demo authority of seed {config.seed} ({first} "
              "is open): choose another --seed, or an empty EHC_DATA_DIR", file=sys.stderr)
        return 2
    saved = save_in_batches(application.save, generate_cases(config),
                            progress=lambda n: _bar("generate", n, config.cases))
    print(f"\ngenerated {saved} cases (seed {config.seed}) up to {config.today}")
    return _rebuild_with(settings, application, workers=2)


def _rebuild(arguments: argparse.Namespace) -> int:
    settings = StoreSettings.from_environment()
    return _rebuild_with(settings, open_application(settings), arguments.workers,
                         arguments.batch_cases, not arguments.resume)


def _rebuild_with(
    settings: StoreSettings, application: EhcApplication, workers: int,
    batch_cases: int = 2000, restart: bool = True,
) -> int:
    projection = open_projection(settings, application, workers=workers,
                                 batch_cases=batch_cases)
    started = time.perf_counter()
    events = projection.rebuild(progress=lambda n, total: _bar("rebuild", n, total),
                                restart=restart)
    elapsed = time.perf_counter() - started
    print(f"\nrebuilt projections from {events} events in {elapsed:.1f}s")
    return 0


def _follow(arguments: argparse.Namespace) -> int:
    settings = StoreSettings.from_environment()
    projection = open_projection(settings, open_application(settings))
    print(f"following the event log every {arguments.interval}s (Ctrl-C stops)", flush=True)
    try:
        while True:
            if projection.catch_up():
                print(f"position {projection.store.tracking().position}", flush=True)
            time.sleep(arguments.interval)
    except KeyboardInterrupt:
        return 0


def _kpi(arguments: argparse.Namespace) -> int:
    from calendars.periods import parse_period
    from service.reports import kpi_report

    settings = StoreSettings.from_environment()
    projection = open_projection(settings, open_application(settings))
    projection.catch_up()
    measures = tuple(arguments.measure or MEASURES)
    print(kpi_report(projection.store, parse_period(arguments.period), measures,
                     arguments.cohort, arguments.provider))
    return 0


def _export_sen2(arguments: argparse.Namespace) -> int:
    from service.reports import export_sen2

    settings = StoreSettings.from_environment()
    application = open_application(settings)
    for path in export_sen2(open_source(settings), application, arguments.year, arguments.out,
                            arguments.known_at):
        print(f"wrote {path}")
    return 0


def _bar(label: str, done: int, total: int) -> None:
    """A progress bar on stderr: label [#####.....] 50% done/total."""
    share = min(1.0, done / total) if total else 1.0
    filled = int(share * 30)
    sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (30 - filled)}] {share:4.0%} "
                     f"{done:,}/{total:,}")
    sys.stderr.flush()


if __name__ == "__main__":
    sys.exit(main())
