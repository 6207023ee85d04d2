"""Imports over the API (managers): the file is the request's body, streamed to disk, then
imported through the same importer as `ehc import` and the import page; the answer is the
report as JSON. The body has its own size limit (IMPORT_UPLOAD_BYTES, declared length only);
every other route keeps 64 KiB."""

from __future__ import annotations

import re
import secrets
import shutil
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from service.api.context import Services, allow, json_response, services
from service.api.problems import Problem
from service.imports.run import ImportRefused
from service.imports.uploaded import import_file
from service.tokens import Principal

router = APIRouter(tags=["imports"])
Svc = Annotated[Services, Depends(services)]
Managers = Annotated[Principal, Depends(allow("manager"))]
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,199}")
SUFFIXES = {"events": (".csv", ".xlsx"), "sen2": (".zip",)}


@router.post("/imports/{kind}", summary="Import events (CSV or XLSX) or a SEN2 return (.zip)")
async def upload(request: Request, kind: str, who: Managers, svc: Svc,
                 name: Annotated[str, Query(max_length=200)] = "upload.csv",
                 dry_run: bool = False) -> Any:
    """The body is the file itself; `name` its file name (its suffix says CSV or XLSX).
    Answers the report: counts and every line (rejected, not imported, not carried)."""
    if kind not in SUFFIXES:
        raise Problem(404, "Not found", "imports are of `events` or `sen2`", "not_found")
    if not SAFE_NAME.fullmatch(name):
        raise Problem(422, "Invalid file name", "name: letters, digits, spaces, dots, dashes "
                      "and underscores only, e.g. extract-2025.csv", "invalid_value")
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES[kind]:
        raise Problem(422, "Unsupported file", f"an {kind} import takes "
                      f"{' or '.join(SUFFIXES[kind])} files", "import_refused")
    folder = svc.settings.data_dir / "imports" / secrets.token_hex(8)
    folder.mkdir(parents=True, mode=0o700)
    path = folder / name
    try:
        with path.open("wb") as handle:
            async for chunk in request.stream():
                handle.write(chunk)
        report = await run_in_threadpool(import_file, svc.application, path, kind, who.name,
                                         dry_run)
    except ImportRefused as error:
        raise Problem(422, "File refused, nothing imported", str(error),
                      "import_refused") from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return json_response(report.as_json())
