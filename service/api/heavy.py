"""Heavy reads (SEN2 exports, board packs, what-if simulations) run away from the writers.

A caseworker's record waits for a thread of the server's small pool and for the GIL; eight
exports in those threads took its median from 18 ms to 2.8 s. So heavy work runs in a
process of its own (at low CPU priority, so a writer gets the core first), and no more than
`slots` of them at once on the machine: the slots are file locks, shared by every server
process. A request waiting for a slot waits on the event loop, holding no thread.

One entry point: `await heavy.run(function, *arguments)`. The function and its arguments
must be picklable (a module-level function and plain values, e.g. StoreSettings): it runs in
another process, so it opens the stores it needs itself. Each job's process is new and has
ended when `run` returns: nothing of one job's state reaches the next.
"""

from __future__ import annotations

import asyncio
import fcntl
import multiprocessing
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, Any, TypeVar

from projections.files import private_file
from service.api.problems import Problem

T = TypeVar("T")
SLOTS = 1  # heavy jobs at once on the machine: with 2 cores, one is left to the writers
WAIT_S = 300.0  # the longest a request queues for a slot before it is told to come back
NICENESS = 10  # the heavy process's CPU priority below the server's
POLL_S = 0.02
PRELOAD = ["service.api.heavy", "service.reports", "service.board_pack", "service.forecasts"]


class HeavyWorkFailed(Exception):
    """The heavy process raised, or died (killed, out of memory) before it answered."""


class HeavyPool:
    """A cap on heavy work shared by the server processes using `lock_dir`."""

    def __init__(self, lock_dir: Path, slots: int = SLOTS, wait_s: float = WAIT_S) -> None:
        self.lock_dir = lock_dir
        self.slots = slots
        self.wait_s = wait_s
        self.queued = 0  # requests in this process waiting for or holding a slot

    async def run(self, work: Callable[..., T], *arguments: Any) -> T:
        """`work(*arguments)` in a heavy process, once a slot is free; 503 (with
        Retry-After) if none frees within `wait_s`. The process is new for each job and has
        ended when this returns (or raises): nothing is left running."""
        self.queued += 1
        try:
            async with self._slot():
                return await _in_a_process(work, arguments)
        finally:
            self.queued -= 1

    @asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        deadline = time.monotonic() + self.wait_s
        while True:
            held = self._try_slot()
            if held is not None:
                break
            if time.monotonic() >= deadline:
                raise Problem(503, "Busy", "heavy reports are queued: try again in a minute",
                              "heavy_reads_busy", {"Retry-After": "60"})
            await asyncio.sleep(POLL_S)
        try:
            yield
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)
            held.close()

    def _try_slot(self) -> IO[bytes] | None:
        for number in range(self.slots):
            path = private_file(self.lock_dir / f"heavy-reads.{number}.lock")
            lock = open(path, "ab")  # noqa: SIM115  (held until the work ends)
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock.close()
                continue
            return lock
        return None


def _context() -> Any:
    """Processes forked from a fork server, not from the server process itself: a server
    process has threads (its pool's, the database's) and a fork copies their locks in
    whatever state they are. The fork server is a clean process with the reports' modules
    already imported, so a job starts in milliseconds rather than importing them anew."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


async def _in_a_process(work: Callable[..., T], arguments: tuple[Any, ...]) -> T:
    """Run `work` in a new process and wait for its answer on the event loop."""
    context = _context()
    receiving, sending = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(work, arguments, sending), daemon=True)
    process.start()
    sending.close()
    answered = False
    try:
        while not receiving.poll():
            if not process.is_alive() and not receiving.poll():
                raise HeavyWorkFailed(f"the heavy process ended ({process.exitcode}) "
                                      "without an answer")
            await asyncio.sleep(POLL_S)
        succeeded, value = receiving.recv()
        answered = True
    finally:
        if not answered:
            process.terminate()  # the request went away (cancelled): stop its work too
        process.join()
        receiving.close()
    if not succeeded:
        raise HeavyWorkFailed(value)
    return value


def _child(work: Callable[..., Any], arguments: tuple[Any, ...], sending: Any) -> None:
    os.nice(NICENESS)
    try:
        answer = (True, work(*arguments))
    except BaseException as error:  # sent back by name: its text could hold a child's data
        answer = (False, f"{type(error).__name__} in {getattr(work, '__name__', work)}")
    sending.send(answer)
    sending.close()
