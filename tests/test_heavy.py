"""Heavy reads run in processes of their own, capped across the server's processes, and leave
nothing running behind them."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from pathlib import Path

import pytest

from service.api.heavy import HeavyPool, HeavyWorkFailed
from service.api.problems import Problem


def _alone(marker: str) -> tuple[int, bool]:
    """Claims `marker` while it works: a second job at once would find it taken."""
    try:
        descriptor = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return os.getpid(), False
    try:
        sum(range(2_000_000))  # some work, so jobs would overlap if they were let
        return os.getpid(), True
    finally:
        os.close(descriptor)
        os.unlink(marker)


def _fails() -> None:
    raise RuntimeError("a child's name would be here")


def test_jobs_run_one_at_a_time_in_other_processes(tmp_path):
    pool = HeavyPool(tmp_path)
    other = HeavyPool(tmp_path)  # another server process's pool: the same slots

    async def main() -> list[tuple[int, bool]]:
        marker = str(tmp_path / "busy")
        return await asyncio.gather(*[p.run(_alone, marker) for p in (pool, other) * 3])

    results = asyncio.run(main())
    assert all(alone for _, alone in results)
    assert os.getpid() not in {pid for pid, _ in results}
    assert multiprocessing.active_children() == []  # every job's process has ended


def test_a_failing_job_says_what_failed_but_not_its_text(tmp_path):
    with pytest.raises(HeavyWorkFailed) as raised:
        asyncio.run(HeavyPool(tmp_path).run(_fails))
    assert "RuntimeError in _fails" in str(raised.value)
    assert "name" not in str(raised.value)
    assert multiprocessing.active_children() == []


def test_a_request_that_waits_too_long_for_a_slot_is_503(tmp_path):
    held = HeavyPool(tmp_path)._try_slot()
    assert held is not None
    try:
        with pytest.raises(Problem) as raised:
            asyncio.run(HeavyPool(tmp_path, wait_s=0.0).run(_alone, str(tmp_path / "m")))
        assert raised.value.status == 503 and raised.value.headers["Retry-After"] == "60"
    finally:
        held.close()
    assert not Path(tmp_path / "m").exists()


def test_the_board_pack_is_made_in_a_heavy_process(tmp_path):
    """What the board pack page runs: a zip of the pack, made in another process."""
    import io
    import zipfile
    from datetime import date

    from calendars.periods import parse_period
    from service.board_pack import board_pack_zip
    from service.settings import StoreSettings
    from service.stores import open_application, open_projection

    settings = StoreSettings(data_dir=tmp_path / "data")
    application = open_application(settings)
    application.open_case("C1", team="North")
    open_projection(settings, application, today=lambda: date(2025, 7, 1)).catch_up()
    plan = Path(__file__).resolve().parents[1] / "examples" / "action-plan.yaml"
    period = parse_period("2025-Q2")
    made = asyncio.run(HeavyPool(tmp_path).run(board_pack_zip, settings, plan, period.label,
                                               date(2025, 7, 1)))
    with zipfile.ZipFile(io.BytesIO(made)) as archive:
        assert "board-pack.html" in archive.namelist()
    assert multiprocessing.active_children() == []


def test_reads_still_work_after_an_export_in_the_heavy_process():
    """The export's process opens and closes stores of its own: the server's connections
    (events, people) must be untouched by it. They were not: the server had dropped its own
    SQLite locks (projections.files.private_file), so the export's last close deleted the
    WAL under them, and a write then a search answered 500 ("disk I/O error")."""
    from datetime import date

    from web_site import open_case, shared_site

    from domain.person import PersonDetails
    from service.people import people_for

    site = shared_site()
    api = site.client()
    manager = {"Authorization": f"Bearer {site.tokens['manager']}"}
    assert api.get("/exports/sen2?year=2025", headers=manager).status_code == 200
    open_case(site.client("caseworker"), "HEAVY-AFTER-1")
    people = people_for(site.app.state.services.application)
    child = people.register(PersonDetails(surname="Afterexport", forename="Ada",
                                          date_of_birth=date(2016, 5, 1)), "test")
    people.link("HEAVY-AFTER-1", child, "test")
    found = api.get("/search?q=Afterexport", headers=manager)
    assert found.status_code == 200 and "HEAVY-AFTER-1" in found.text
    assert site.client("manager").get("/app/search?q=Afterexport").status_code == 200
