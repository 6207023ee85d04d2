"""Commands that read the projections: KPIs, the SEN2 export, the board pack."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from projections.kpis import COHORTS, DISPUTES, MEASURES
from service.settings import StoreSettings
from service.stores import open_application, open_projection, open_source


def register(commands: argparse._SubParsersAction) -> None:
    kpi = commands.add_parser("kpi", help="timeliness KPIs for a period")
    kpi.add_argument("--period", required=True, help='"2025", "2024/25", "2025-Q1", "2025-03"')
    kpi.add_argument("--measure", action="append", choices=list(MEASURES))
    kpi.add_argument("--cohort", choices=list(COHORTS), default="completed")
    kpi.add_argument("--provider", default=None)
    kpi.add_argument("--disputes", choices=list(DISPUTES), default="included",
                     help="excluded: leave out assessments with mediation or an appeal about "
                          "the request or assessment (DfE's 20-week figure)")
    kpi.set_defaults(run=_kpi)

    export = commands.add_parser("export", help="exports")
    sen2 = export.add_subparsers().add_parser("sen2", help="SEN2 modules as CSV")
    sen2.add_argument("--year", type=int, required=True, help="collection (calendar) year")
    sen2.add_argument("--known-at", type=date.fromisoformat, default=None,
                      help="as the system knew it on this date (auditors' replay)")
    sen2.add_argument("--pseudonymised", action="store_true",
                      help="no module 1; Person ID and request ids as keyed hashes")
    sen2.add_argument("out", type=Path, help="a folder, or a .zip file")
    sen2.set_defaults(run=_export_sen2)

    pack = commands.add_parser("board-pack", help="plan monitoring: HTML, CSV and Excel")
    pack.add_argument("--plan", type=Path, required=True, help="an action-plan YAML file")
    pack.add_argument("--period", required=True, help='the reporting period, e.g. "2025-Q3"')
    pack.add_argument("--out", type=Path, required=True, help="a folder")
    pack.set_defaults(run=_board_pack)


def _kpi(arguments: argparse.Namespace) -> int:
    from calendars.periods import parse_period
    from service.reports import kpi_report

    settings = StoreSettings.from_environment()
    projection = open_projection(settings, open_application(settings))
    projection.catch_up()
    measures = tuple(arguments.measure or MEASURES)
    print(kpi_report(projection.store, parse_period(arguments.period), measures,
                     arguments.cohort, arguments.provider, arguments.disputes))
    return 0


def _export_sen2(arguments: argparse.Namespace) -> int:
    from service.reports import export_sen2

    settings = StoreSettings.from_environment()
    application = open_application(settings)
    for path in export_sen2(open_source(settings), application, arguments.year, arguments.out,
                            arguments.known_at, pseudonymised=arguments.pseudonymised):
        print(f"wrote {path}")
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
    from service.forecasts import board_track_record

    settings = StoreSettings.from_environment()
    projection = open_projection(settings, open_application(settings))
    projection.catch_up()
    today = projection.today()
    for path in write_board_pack(plan, projection.store, period, today, arguments.out,
                                 board_track_record(settings, today)):
        print(f"wrote {path}")
    return 0
