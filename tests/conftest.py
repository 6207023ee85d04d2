"""Fixtures: every store-backed test runs on the embedded SQLite store and on PostgreSQL
(127.0.0.1:5432, database `test`; .ci/run starts the server when it is not running)."""

import gc
import sys
from pathlib import Path

import psycopg
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from service.settings import StoreSettings

POSTGRES_TABLES = ("ehcapplication_events", "ehc_case_summary", "ehc_deadline_fact",
                   "ehc_tracking", "ehc_rebuild_cursor")


def reset_postgres(settings: StoreSettings) -> None:
    with psycopg.connect(settings.postgres_conninfo(), autocommit=True) as connection:
        for table in POSTGRES_TABLES:
            connection.execute(f"DROP TABLE IF EXISTS {table} CASCADE")


@pytest.fixture(params=["sqlite", "postgres"])
def store_settings(request, tmp_path) -> StoreSettings:
    """A fresh, empty store of each kind."""
    settings = StoreSettings.from_environment(
        {"EHC_STORE": request.param, "EHC_DATA_DIR": str(tmp_path / "data")})
    if request.param == "postgres":
        reset_postgres(settings)
    return settings



@pytest.fixture(autouse=True)
def release_postgres_connections(request):
    """After a PostgreSQL test, collect the applications it dropped: each one's finaliser
    closes its connection pool (the server admits only `max_connections`)."""
    yield
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None and "postgres" in callspec.params.values():
        gc.collect()
