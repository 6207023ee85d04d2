"""Running an import: files in, the report out (the CLI, the upload page and the benchmark
call these)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from service.application import EhcApplication
from service.imports.events import Importer, ProgressBar, group_by_case
from service.imports.reading import MAX_FILE_BYTES, FileRefused, open_table
from service.imports.report import ImportReport
from service.imports.rows import HeaderRefused, ImportRow, cells_of, check_header


class ImportRefused(Exception):
    """A file cannot be imported at all (not CSV/XLSX, empty, too big, wrong headers)."""


def template_rows(path: Path, max_bytes: int = MAX_FILE_BYTES) -> Iterator[ImportRow]:
    try:
        table = open_table(path, max_bytes)
        positions = check_header(table.name, table.header)
    except (FileRefused, HeaderRefused) as error:
        raise ImportRefused(str(error)) from None
    try:
        for number, cells in table.rows:
            yield cells_of(table.name, number, cells, positions)
    except FileRefused as error:
        raise ImportRefused(str(error)) from None


def import_events(
    application: EhcApplication, paths: list[Path], actor: str, *, people: Any = None,
    dry_run: bool = False, progress: bool | None = None, today: date | None = None,
    max_bytes: int = MAX_FILE_BYTES,
) -> ImportReport:
    """Import event files (the template); ImportRefused, with nothing stored, when any file
    cannot be read as a whole."""
    report = ImportReport(dry_run=dry_run)
    rows = [row for path in paths for row in template_rows(path, max_bytes)]
    if not rows:
        raise ImportRefused(f"{', '.join(p.name for p in paths)}: no rows under the header")
    return run_rows(application, rows, actor, report, people=people, dry_run=dry_run,
                    progress=progress, today=today)


def run_rows(application: EhcApplication, rows: list[ImportRow], actor: str,
             report: ImportReport, *, people: Any = None, dry_run: bool = False,
             progress: bool | None = None, today: date | None = None) -> ImportReport:
    from service.people import settings_of
    from service.stores import open_source

    cases = group_by_case(rows, report)
    bar = ProgressBar(len(rows), progress)
    options: dict[str, Any] = {"today": today} if today else {}
    source = open_source(settings_of(application))
    try:
        Importer(application, actor, people, dry_run, progress=bar, report=report,
                 source=source, **options).run(cases)
    finally:
        bar.close()
        source.close()
    return report
