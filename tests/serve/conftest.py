"""`tradecost serve` fixtures: the real command on a free port, stopped with SIGINT."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

pytest.importorskip("fastapi", reason="the web extra (fastapi, uvicorn) is not installed")


@dataclass
class Served:
    url: str
    process: subprocess.Popen[str]

    def stop(self, timeout: float = 10.0) -> tuple[int, str]:
        """Ctrl-C, as a user would; the exit status and everything on stderr."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            _, stderr = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, stderr = self.process.communicate()
            raise AssertionError(f"serve did not stop within {timeout} s of SIGINT") from None
        return self.process.returncode, stderr


#: a short pairs window, so the analytics are ready a few seconds after start
PAIR_WINDOW = 12


def start_serve(*args: str) -> Served:
    command = [sys.executable, "-m", "tradecost.cli", "serve", "--demo", "--port", "0"]
    command += ["--pair-window", str(PAIR_WINDOW), "--pair-period", "0.5", *args]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + 120
    assert process.stdout is not None
    line = process.stdout.readline()
    if "http://" not in line or time.monotonic() > deadline:
        process.kill()
        raise AssertionError(f"serve did not start: {line!r} {process.stderr.read()!r}")  # type: ignore[union-attr]
    url = line.split()[2]
    return Served(url.rstrip("/"), process)


def wait_for(check, timeout: float = 30.0, interval: float = 0.1):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except Exception:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    server = start_serve()
    yield server
    server.stop()
