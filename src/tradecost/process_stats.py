"""The running process's own resource figures: CPU %, resident memory, threads (from psutil).

``tradecost simulate`` shows them in its live view and puts them in every ``--json`` line under
``"process"``. They are sampled by :meth:`ProcessSampler.run`, a task on the event loop that
wakes every ``interval_s`` (0.5 s by default), never by the code that prices a tick: a tick
reads the latest sample, one attribute.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tradecost.errors import InvalidInputError

__all__ = ["ProcessSample", "ProcessSampler"]


@dataclass(frozen=True, slots=True)
class ProcessSample:
    """One reading of the process's resources."""

    cpu_percent: float
    """CPU time used (user + system, all threads) over the span since the previous sample, as
    a percentage of that wall-clock span: 100 = one core busy, up to 100 × cores. The first
    sample covers the span since the process started."""
    rss_bytes: int
    """Resident set size, bytes."""
    threads: int
    """Operating-system threads of the process."""
    sampled_ns: int
    """``time.monotonic_ns()`` when the sample was taken."""

    def as_dict(self) -> dict[str, Any]:
        """``{"cpu_percent", "rss_bytes", "threads", "sampled_ns"}`` for a JSON line (NaN
        becomes None)."""
        cpu = self.cpu_percent
        return {
            "cpu_percent": round(cpu, 2) if math.isfinite(cpu) else None,
            "rss_bytes": self.rss_bytes,
            "threads": self.threads,
            "sampled_ns": self.sampled_ns,
        }


class ProcessSampler:
    """Samples the process every ``interval_s`` seconds; :attr:`latest` is the newest sample.

    Args:
        interval_s: seconds between samples (≥ 0.2: a few samples a second at most).
        process: a ``psutil.Process`` (default: this process). Tests pass a stand-in with the
            same ``oneshot``, ``cpu_times``, ``memory_info``, ``num_threads`` and
            ``create_time`` methods.
        clock_ns: monotonic clock, ns (default ``time.monotonic_ns``).
        wall_clock_s: wall clock, seconds since the epoch, to place ``create_time`` (default
            ``time.time``).

    The constructor takes the first sample, so :attr:`latest` is never None.
    """

    def __init__(
        self,
        interval_s: float = 0.5,
        *,
        process: Any = None,
        clock_ns: Callable[[], int] = time.monotonic_ns,
        wall_clock_s: Callable[[], float] = time.time,
    ) -> None:
        if not (math.isfinite(interval_s) and interval_s >= 0.2):
            raise InvalidInputError(
                f"interval_s={interval_s!r}: sample at most 5 times a second (interval >= 0.2 s)"
            )
        if process is None:
            import psutil  # type: ignore[import-untyped]

            process = psutil.Process()
        self.interval_s = float(interval_s)
        self._process = process
        self._clock_ns = clock_ns
        # the first span starts when the process did
        lifetime_s = max(0.0, wall_clock_s() - float(process.create_time()))
        self._last_cpu_s = 0.0
        self._last_ns = clock_ns() - round(lifetime_s * 1e9)
        self.samples = 0
        self.latest: ProcessSample = self.sample()

    def sample(self) -> ProcessSample:
        """Read the process now, publish the reading as :attr:`latest` and return it."""
        process = self._process
        with process.oneshot():
            times = process.cpu_times()
            rss_bytes = int(process.memory_info().rss)
            threads = int(process.num_threads())
        now_ns = self._clock_ns()
        cpu_s = float(times.user) + float(times.system)
        span_s = (now_ns - self._last_ns) * 1e-9
        cpu_percent = 100.0 * (cpu_s - self._last_cpu_s) / span_s if span_s > 0 else math.nan
        self._last_cpu_s = cpu_s
        self._last_ns = now_ns
        self.samples += 1
        sample = ProcessSample(max(cpu_percent, 0.0), rss_bytes, threads, now_ns)
        self.latest = sample  # one reference assignment: readers see the old or the new
        return sample

    async def run(self, stop: asyncio.Event) -> None:
        """Sample every ``interval_s`` until ``stop`` is set (a task on the event loop)."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.interval_s)
            except TimeoutError:
                self.sample()
