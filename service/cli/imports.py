"""`ehc import`: bring an authority's caseload in, from the events template or a SEN2 return."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(commands: argparse._SubParsersAction) -> None:
    imports = commands.add_parser("import", help="bring cases in: the events template (CSV or "
                                  "XLSX) or a SEN2 return")
    sub = imports.add_subparsers()
    events = sub.add_parser("events", help="one row per event (examples/import-template.csv)")
    events.add_argument("files", type=Path, nargs="+", help="CSV or XLSX files")
    _common(events)
    events.set_defaults(run=_events)

    template = sub.add_parser("template", help="write the events template as a workbook "
                              "(the worked example and what each column means)")
    template.add_argument("out", type=Path, help="an .xlsx file")
    template.add_argument("--example", type=Path,
                          default=Path(__file__).resolve().parents[2] / "examples"
                          / "import-template.csv")
    template.set_defaults(run=_template)

    sen2 = sub.add_parser("sen2", help="SEN2 modules 1-5 as CSV files (a folder or a .zip), "
                          "as `ehc export sen2` writes them")
    sen2.add_argument("source", type=Path, help="a folder or a .zip")
    sen2.add_argument("--year", type=int, default=None,
                      help="the collection year (default: from the export's notes.txt, else "
                           "the latest date in the return)")
    _common(sen2)
    sen2.set_defaults(run=_sen2)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true",
                        help="check every row and give the report; store nothing")
    parser.add_argument("--report", type=Path, default=None,
                        help="where to write the rejection report (CSV); default "
                             "import-report.csv beside the first file")
    parser.add_argument("--as", dest="actor", default="import",
                        help="who is importing (shown on every imported event)")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="a progress bar (default: when standard error is a terminal)")


def _template(arguments: argparse.Namespace) -> int:
    from service.imports.template import write_template_xlsx

    print(f"wrote {write_template_xlsx(arguments.example, arguments.out)}")
    return 0


def _events(arguments: argparse.Namespace) -> int:
    from service.imports.run import import_events

    return _run(arguments, arguments.files[0],
                lambda app, people: import_events(
                    app, arguments.files, arguments.actor, people=people,
                    dry_run=arguments.dry_run, progress=arguments.progress))


def _sen2(arguments: argparse.Namespace) -> int:
    from service.imports.sen2 import import_sen2

    return _run(arguments, arguments.source,
                lambda app, people: import_sen2(
                    app, arguments.source, arguments.actor, people=people,
                    dry_run=arguments.dry_run, progress=arguments.progress,
                    year=arguments.year))


def _run(arguments: argparse.Namespace, first: Path, work) -> int:  # type: ignore[no-untyped-def]
    from service.imports.run import ImportRefused
    from service.people import People
    from service.settings import StoreSettings
    from service.stores import open_application

    settings = StoreSettings.from_environment()
    application = open_application(settings)
    people = People(settings, application)
    try:
        report = work(application, people)
    except ImportRefused as error:
        print(f"refused, nothing imported: {error}", file=sys.stderr)
        return 2
    finally:
        people.close()
    out = arguments.report or first.with_name(f"{first.stem}-import-report.csv")
    report.write_csv(out)
    print("\n".join(report.summary()))
    print(f"report: {out}")
    return 1 if report.rejected else 0
