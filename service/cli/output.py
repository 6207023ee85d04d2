"""What every command prints the same way: figures, and a progress bar."""

from __future__ import annotations

import sys


def print_figures(figures: dict[str, str]) -> int:
    for name, value in figures.items():
        print(f"{name}: {value}")
    return 0


def bar(label: str, done: int, total: int) -> None:
    """A progress bar on stderr: label [#####.....] 50% done/total."""
    share = min(1.0, done / total) if total else 1.0
    filled = int(share * 30)
    sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (30 - filled)}] {share:4.0%} "
                     f"{done:,}/{total:,}")
    sys.stderr.flush()
