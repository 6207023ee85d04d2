"""Running `ehc serve` as a real process on loopback: for the load command and the tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO

import httpx

EHC = str(Path(sys.executable).with_name("ehc"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalServer:
    """`ehc serve` on 127.0.0.1 and a free port, in its own process group (so kill -9
    reaches its worker processes too)."""

    def __init__(self, environment: Mapping[str, str], workers: int = 2,
                 log: IO[str] | None = None) -> None:
        self.environment = {**os.environ, **environment}
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> LocalServer:
        output = self.log or subprocess.DEVNULL
        self.process = subprocess.Popen(
            [EHC, "serve", "--port", str(self.port), "--workers", str(self.workers)],
            env=self.environment, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the server did not start")

    def kill(self) -> None:
        """kill -9: the server and every worker process, with no chance to clean up; returns
        once every process of the group has ended."""
        assert self.process is not None
        _signal_group(self.process.pid, signal.SIGKILL)
        self.process.wait()
        _wait_for_group(self.process.pid)

    def stop(self) -> None:
        """SIGTERM to the server and its workers; returns once every one of them has ended
        (SIGKILL after 20 s), so nothing started here outlives its test or benchmark."""
        if self.process is None:
            return
        if self.process.poll() is None:
            _signal_group(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                _signal_group(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if not _wait_for_group(self.process.pid, timeout=20):
            _signal_group(self.process.pid, signal.SIGKILL)
            _wait_for_group(self.process.pid)


def _signal_group(group: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # every process of it has already ended
        os.killpg(group, number)


def _wait_for_group(group: int, timeout: float = 30) -> bool:
    """Wait until no process of `group` is left (its workers are reaped by init once the
    server is gone); False if some are still there after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _group_members(group):
            return True
        time.sleep(0.05)
    return False


def _group_members(group: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group and fields[0] != "Z":  # field 5: the process group
            members.append(int(entry.name))
    return members
