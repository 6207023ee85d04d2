"""Files that hold children's data, or the keys to it, are private to their owner."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def private_file(path: Path) -> Path:
    """`path`, created empty if absent, readable and writable by its owner only (0600), in a
    folder only its owner can enter when the folder is new (0700): the event store, the read
    models, their lock files and the tokens. A file made world-readable before is narrowed.

    An existing file is never opened here: closing any descriptor of a file drops every POSIX
    lock the process holds on it, SQLite's included. With its shared lock gone, another
    process closing its last connection took the WAL away from under this one's connections
    ("disk I/O error" on every read after an SEN2 export in the heavy-reads process)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        # A new file has no locks to lose; FileExistsError: another process made it meanwhile.
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return path
    if mode & 0o077:
        os.chmod(path, 0o600)
    return path


def csv_cell(value: object) -> object:
    """A cell safe to open in a spreadsheet: text starting = + - @ (or a tab or CR) would be
    run as a formula (CSV injection), so it is written with a leading apostrophe; anything
    else, numbers included, as it is."""
    if isinstance(value, str) and value and value[0] in "=+-@\t\r":
        return "'" + value
    return value
