"""The documented PostgreSQL backup and restore: pg_dump of the events table, pg_restore into
an empty database, a rebuild of the projections; the authority reads the same afterwards."""

from __future__ import annotations

import subprocess
from datetime import date

from conftest import reset_postgres, run_database, settings_for

from scenarios.generator import GeneratorSettings, generate_cases, save_in_batches
from service.stores import open_application, open_projection

TODAY = date(2026, 11, 23)
PG = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]


def test_pg_dump_restore_and_rebuild(tmp_path):
    settings = settings_for("postgres")
    reset_postgres(settings)
    application = open_application(settings)
    save_in_batches(application.save, generate_cases(GeneratorSettings(150, 8, TODAY)))
    projection = open_projection(settings, application, today=lambda: TODAY)
    projection.rebuild()
    before = projection.store.table_rows("ehc_case_summary")
    facts = application.facts("LA-8-0000042")
    dump = tmp_path / "ehc-events.dump"
    subprocess.run(["pg_dump", *PG, "-d", run_database(), "-t", "ehcapplication_events", "-Fc",
                    "-f", str(dump)], check=True)
    projection.close()
    reset_postgres(settings)  # the disaster: every table gone
    subprocess.run(["pg_restore", *PG, "-d", run_database(), "--no-owner", str(dump)], check=True)
    restored = open_application(settings)
    assert restored.facts("LA-8-0000042") == facts
    rebuilt = open_projection(settings, restored, today=lambda: TODAY)
    rebuilt.rebuild()
    assert rebuilt.store.table_rows("ehc_case_summary") == before
