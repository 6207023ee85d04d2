"""An uploaded file imported (the page and the API): which importer its kind takes."""

from __future__ import annotations

from pathlib import Path

from service.application import EhcApplication
from service.imports.report import ImportReport
from service.imports.run import import_events
from service.imports.sen2 import import_sen2
from service.people import people_for


def import_file(application: EhcApplication, path: Path, kind: str, actor: str,
                dry_run: bool) -> ImportReport:
    """One uploaded file (the page, the API): `events` (CSV or XLSX) or `sen2` (a .zip)."""
    people = people_for(application)
    if kind == "sen2":
        return import_sen2(application, path, actor, people=people, dry_run=dry_run,
                           progress=False)
    return import_events(application, [path], actor, people=people, dry_run=dry_run,
                         progress=False)
