"""Private files: made 0600 without ever dropping the locks SQLite holds on them."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from pathlib import Path

from projections.files import private_file


def _open_and_close(path: str) -> None:
    connection = sqlite3.connect(path)
    connection.execute("SELECT COUNT(*) FROM t").fetchone()
    connection.close()


def test_a_new_file_is_made_private_and_a_shared_one_narrowed(tmp_path):
    new = private_file(tmp_path / "folder" / "new.sqlite")
    assert new.exists() and new.stat().st_mode & 0o777 == 0o600
    shared = tmp_path / "shared"
    shared.write_text("x")
    shared.chmod(0o644)
    assert private_file(shared).stat().st_mode & 0o777 == 0o600
    assert shared.read_text() == "x"


def test_checking_a_database_keeps_this_process_s_sqlite_locks(tmp_path):
    """Closing any descriptor of a file drops the process's POSIX locks on it: had
    private_file opened the database, another process's last close would take the WAL away
    from this one's connections (they then fail with "disk I/O error")."""
    path = tmp_path / "events.sqlite"
    ours = sqlite3.connect(path)
    ours.execute("PRAGMA journal_mode=WAL")
    ours.execute("CREATE TABLE t (a)")
    ours.execute("INSERT INTO t VALUES (1)")
    ours.commit()
    assert ours.execute("SELECT COUNT(*) FROM t").fetchone() == (1,)
    private_file(path)  # as every opening of the stores does
    other = multiprocessing.get_context("spawn").Process(target=_open_and_close,
                                                         args=(str(path),))
    other.start()
    other.join()
    assert other.exitcode == 0
    assert os.path.exists(f"{path}-wal")  # still ours: the other process was not the last
    ours.execute("INSERT INTO t VALUES (2)")
    ours.commit()
    assert ours.execute("SELECT COUNT(*) FROM t").fetchone() == (2,)
    assert Path(f"{path}-wal").exists()
