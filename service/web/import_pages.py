"""Managers bring cases in: upload an events file (CSV or XLSX) or a SEN2 return (.zip),
check it (nothing stored) or import it, and get the report back. The upload streams to a
file beside the data (its own size limit, IMPORT_UPLOAD_BYTES; every other body keeps the
64 KiB limit); caseworkers, auditors and the board cannot import."""

from __future__ import annotations

import secrets
import shutil
import time
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse
from starlette.datastructures import UploadFile

from service.api.context import IMPORT_UPLOAD_BYTES
from service.imports.run import ImportRefused
from service.imports.uploaded import import_file
from service.web.forms import FieldError
from service.web.session import PageNotFound, check_csrf, require
from service.web.templating import page

router = APIRouter(prefix="/app", include_in_schema=False)
SHOWN_LINES = 100  # the rest are in the CSV report
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TEMPLATES = {"import-template.xlsx": "application/vnd.openxmlformats-officedocument."
                                     "spreadsheetml.sheet",
             "import-template.csv": "text/csv; charset=utf-8"}
# A report can quote a row's values (a child's name or date of birth), so it is kept only
# long enough to download: a day, then removed when the import page is next used.
REPORT_KEPT_S = 24 * 3600


def _folder(request: Request) -> Path:
    folder = request.app.state.services.settings.data_dir / "imports"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    remove_old_reports(folder)
    return folder


def remove_old_reports(folder: Path, now: float | None = None) -> list[str]:
    """Remove the runs whose folder is older than REPORT_KEPT_S; returns their ids."""
    cutoff = (time.time() if now is None else now) - REPORT_KEPT_S
    removed = []
    for run in folder.iterdir():
        if run.is_dir() and run.stat().st_mtime < cutoff:
            shutil.rmtree(run, ignore_errors=True)
            removed.append(run.name)
    return removed


@router.get("/import")
def import_form(request: Request) -> HTMLResponse:
    require(request, "manager")
    return page(request, "import.html", limit_mb=IMPORT_UPLOAD_BYTES // 1048576)


@router.post("/import")
async def import_upload(request: Request) -> HTMLResponse:
    who = require(request, "manager")  # before the body is read
    form = await request.form(max_files=1, max_fields=5)
    check_csrf(request, form)
    upload = form.get("file")
    kind = str(form.get("kind", "events"))
    dry_run = form.get("dry_run") == "yes"
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _again(request, "file", "Choose a file to import")
    name = Path(upload.filename).name
    suffix = Path(name).suffix.lower()
    allowed = (".zip",) if kind == "sen2" else (".csv", ".xlsx")
    if suffix not in allowed:
        return _again(request, "file", f"The file must be {' or '.join(allowed)}")
    run_id = secrets.token_hex(8)
    folder = _folder(request) / run_id
    folder.mkdir(mode=0o700)
    stored = folder / name
    with stored.open("wb") as handle:  # the upload was spooled to disk, never held whole
        shutil.copyfileobj(upload.file, handle, 1 << 20)
    await upload.close()
    svc = request.app.state.services
    try:
        report = await run_in_threadpool(import_file, svc.application, stored, kind,
                                         f"{who.name}", dry_run)
    except ImportRefused as error:
        shutil.rmtree(folder, ignore_errors=True)
        return _again(request, "file", f"Nothing was imported: {error}")
    report.write_csv(folder / "report.csv")
    stored.unlink()
    return page(request, "import_report.html", report=report, summary=report.summary(),
                lines=report.lines[:SHOWN_LINES], more=max(0, len(report.lines) - SHOWN_LINES),
                run_id=run_id, file_name=name)


@router.get("/import/template/{name}")
def import_template(request: Request, name: str) -> FileResponse:
    """The events template with its worked example, as a workbook or CSV."""
    require(request, "manager")
    if name not in TEMPLATES or not (EXAMPLES / name).is_file():
        raise PageNotFound("Template not found", "There is no template at this address.")
    return FileResponse(EXAMPLES / name, media_type=TEMPLATES[name], filename=name)


@router.get("/import/{run_id}/report.csv")
def import_report(request: Request, run_id: str) -> FileResponse:
    require(request, "manager")
    path = _folder(request) / run_id / "report.csv"
    if not run_id.isalnum() or not path.is_file():
        raise PageNotFound("Report not found", "There is no import report at this address.")
    return FileResponse(path, media_type="text/csv; charset=utf-8",
                        filename="import-report.csv")


def _again(request: Request, field: str, text: str) -> HTMLResponse:
    error = FieldError(text, field, f"#{field}")
    return page(request, "import.html", 422, errors=[error],
                limit_mb=IMPORT_UPLOAD_BYTES // 1048576)
