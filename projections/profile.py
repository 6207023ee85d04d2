"""Where a rebuild's CPU goes, step by step (`ehc bench rebuild --profile`).

A rebuild works a chunk of cases at a time, one step after another (read, decode, restore,
evaluate, rows, write, commit), so a lap per step per chunk splits the CPU at a cost of a few
clock reads per 2,000 cases. Workers send their laps back with their event counts; whatever
the laps do not cover (starting processes, the pool, the catch-up at the end) is the rest.
"""

from __future__ import annotations

import time
from collections import Counter

# In the order a rebuild spends them. The workers' steps run once a chunk; "clear",
# "processes" (what the parent spends while the workers rebuild the ranges: the pool), "index"
# and "catch_up" (events recorded since the rebuild began) are the parent's.
STEPS = ("clear", "read", "decode", "restore", "evaluate", "rows", "write", "commit",
         "collect", "processes", "index", "catch_up")


class Stopwatch:
    """CPU nanoseconds of this process, charged to the step that has just ended."""

    def __init__(self) -> None:
        self.spent: Counter[str] = Counter()
        self._last = time.process_time_ns()

    def lap(self, step: str) -> None:
        now = time.process_time_ns()
        self.spent[step] += now - self._last
        self._last = now

    def restart(self) -> None:
        """Charge nothing for the time since the last lap (waiting, or work of no step)."""
        self._last = time.process_time_ns()

    def add(self, spent: dict[str, int]) -> None:
        self.spent.update(spent)
