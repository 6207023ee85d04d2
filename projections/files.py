"""Files that hold children's data, or the keys to it, are private to their owner."""

from __future__ import annotations

import os
from pathlib import Path


def private_file(path: Path) -> Path:
    """`path`, created empty if absent, readable and writable by its owner only (0600), in a
    folder only its owner can enter when the folder is new (0700): the event store, the read
    models, their lock files and the tokens. A file made world-readable before is narrowed."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        if os.fstat(descriptor).st_mode & 0o077:
            os.fchmod(descriptor, 0o600)
    finally:
        os.close(descriptor)
    return path


def csv_cell(value: object) -> object:
    """A cell safe to open in a spreadsheet: text starting = + - @ (or a tab or CR) would be
    run as a formula (CSV injection), so it is written with a leading apostrophe; anything
    else, numbers included, as it is."""
    if isinstance(value, str) and value and value[0] in "=+-@\t\r":
        return "'" + value
    return value
