"""The FastAPI application: caseworkers, managers, the board and auditors over HTTP."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI

from service.api import cases, docs, forecasts, imports, people, plans, problems, reports
from service.api.context import AccessLog, BodyLimit, Services
from service.api.heavy import HeavyPool
from service.application import today_in_england
from service.settings import StoreSettings
from service.stores import open_application, open_projection
from service.tokens import TokenStore
from service.tokens import tokens_path as default_tokens_path
from service.web import pages, security

HANDLER_THREADS = 4
DESCRIPTION = """Statutory clocks for EHC needs assessments (SEND Regulations 2014).

Send `Authorization: Bearer <token>`. Errors are RFC 9457 problem details naming the rule.
Writes take `If-Match: "<version>"` (409 when stale) and `Idempotency-Key` (a retry returns
the first result)."""


def app_from_environment() -> FastAPI:
    """The app as `ehc serve` runs it (one per uvicorn worker process)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    sys.setswitchinterval(0.0005)
    settings = StoreSettings.from_environment()
    return create_app(settings, default_tokens_path(settings))


@asynccontextmanager
async def _few_threads(app: FastAPI) -> AsyncIterator[None]:
    """Handlers run in a small thread pool: with dozens of threads contending for the GIL, the
    thread holding the write turn gets a slice of the CPU and every writer waits longer.
    Heavy reads run elsewhere (service.api.heavy), never in these threads."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = HANDLER_THREADS
    yield


def create_app(
    settings: StoreSettings, tokens_path: Path | None = None,
    today: Callable[[], date] = today_in_england,
) -> FastAPI:
    application = open_application(settings)
    app = FastAPI(title="EHC timeline tracker", version="0.1.0", description=DESCRIPTION,
                  lifespan=_few_threads, docs_url=None, redoc_url=None)  # docs.install's
    app.state.services = Services(
        application=application,
        projection=open_projection(settings, application, today=today),
        tokens=TokenStore(tokens_path or default_tokens_path(settings)),
        today=today,
        settings=settings,
        heavy=HeavyPool(settings.data_dir),
    )
    problems.install(app)
    docs.install(app)
    app.include_router(people.router)  # first: it extends POST /cases
    app.include_router(cases.router)
    app.include_router(reports.router)
    app.include_router(forecasts.router)
    app.include_router(plans.router)
    app.include_router(imports.router)
    pages.install(app)
    app.add_middleware(BodyLimit)
    app.add_middleware(AccessLog)
    security.install(app)  # outermost: headers, the pages' Origin check and error pages
    return app
