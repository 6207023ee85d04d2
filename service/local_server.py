"""Running `ehc serve` as a real process on loopback: for the load command and the tests."""

from __future__ import annotations

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
        """kill -9: the server and every worker process, with no chance to clean up."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
