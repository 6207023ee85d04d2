"""Fixtures: every store-backed test runs on the embedded SQLite store and on PostgreSQL
(127.0.0.1:5432; `make test` starts the server when it is not running).

Each test run gets a PostgreSQL database of its own, created here and dropped at the end, so a
run never touches the tables of the demo (database `test`) or of another run going on at the
same time. Its name is exported as POSTGRES_DBNAME, so the servers and commands a test starts
use it too.
"""

import gc
import os
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from hypothesis import settings as hypothesis_settings

sys.path.insert(0, str(Path(__file__).parent))

from service.settings import StoreSettings

POSTGRES_TABLES = ("ehcapplication_events", "ehc_case_summary", "ehc_deadline_fact",
                   "ehc_tracking", "ehc_rebuild_cursor", "peopleapplication_events",
                   "ehc_person_key", "ehc_person_term", "ehc_person_case", "ehc_audit")
RUN_DATABASE_PREFIX = "ehc_test_"
# Tests never depend on timing: on a busy two-core machine an example may take a second.
hypothesis_settings.register_profile("ehc", deadline=None)
hypothesis_settings.load_profile("ehc")
_SERVER = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def _drop_database(connection: psycopg.Connection, name: str) -> None:
    connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _drop_abandoned_run_databases(connection: psycopg.Connection) -> None:
    """Databases of earlier runs whose pytest process is gone (a run killed before its end)."""
    rows = connection.execute(
        "SELECT datname FROM pg_database WHERE datname LIKE %s",
        (RUN_DATABASE_PREFIX + "%",)).fetchall()
    for (name,) in rows:
        pid = name.removeprefix(RUN_DATABASE_PREFIX).split("_", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            _drop_database(connection, name)


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return
    name = f"{RUN_DATABASE_PREFIX}{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_SERVER, autocommit=True) as connection:
        _drop_abandoned_run_databases(connection)
        connection.execute(f'CREATE DATABASE "{name}"')
    os.environ["POSTGRES_DBNAME"] = name
    config.ehc_run_database = name  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    name = getattr(config, "ehc_run_database", None)
    if name is None:
        return
    gc.collect()  # close the pools of applications still referenced by nothing
    with psycopg.connect(_SERVER, autocommit=True) as connection:
        _drop_database(connection, name)


def run_database() -> str:
    """This run's own PostgreSQL database."""
    return os.environ["POSTGRES_DBNAME"]


def reset_postgres(settings: StoreSettings) -> None:
    with psycopg.connect(settings.postgres_conninfo(), autocommit=True) as connection:
        for table in POSTGRES_TABLES:
            connection.execute(f"DROP TABLE IF EXISTS {table} CASCADE")


def settings_for(backend: str, data_dir: Path | None = None) -> StoreSettings:
    """A store of the kind named, in this run's own database or folder."""
    environment = {"EHC_STORE": backend, "POSTGRES_DBNAME": run_database()}
    if data_dir is not None:
        environment["EHC_DATA_DIR"] = str(data_dir)
    return StoreSettings.from_environment(environment)


@pytest.fixture(params=["sqlite", "postgres"])
def store_settings(request, tmp_path) -> StoreSettings:
    """A fresh, empty store of each kind."""
    settings = settings_for(request.param, tmp_path / "data")
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
