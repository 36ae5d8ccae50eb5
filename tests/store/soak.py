"""Ingest many trades through the store's writer and watch resident memory (used by
tests/store/test_memory.py and benchmarks/soak_store.py)."""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tradecost.store import TickStore

T0 = 1_767_225_600_000_000_000


def chunk(start: int, n: int, rng: np.random.Generator) -> list[tuple[int, float, float, str, str]]:
    """``n`` trades numbered from ``start``: ~86 ms apart (1M trades ≈ a day), a random walk."""
    ts = (T0 + np.arange(start, start + n, dtype=np.int64) * 86_400_000).tolist()
    price = np.round(95_000 + rng.normal(0, 5, n).cumsum(), 1).tolist()
    size = np.round(rng.exponential(0.05, n) + 1e-5, 5).tolist()
    side = np.where(rng.random(n) < 0.5, "buy", "sell").tolist()
    ids = [str(i) for i in range(start, start + n)]
    return list(zip(ts, price, size, side, ids, strict=True))


def rss_mb() -> float:
    """Resident set size now, in MiB (Linux /proc; elsewhere the peak, from getrusage)."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * resource.getpagesize() / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class SoakResult:
    trades: int
    seconds: float
    rss_mb: list[float] = field(default_factory=list)  # after each tenth of the run

    @property
    def trades_per_second(self) -> float:
        return self.trades / self.seconds

    def growth_after_mb(self, tenths: int) -> float:
        """RSS growth from the sample after ``tenths`` tenths of the run to the largest after it
        (before that, SQLite's 32 MiB page cache and the writer's queue are still filling)."""
        warm = self.rss_mb[tenths - 1]
        return max(self.rss_mb[tenths - 1 :]) - warm


def soak(path: Path, n: int, chunk_size: int = 10_000) -> SoakResult:
    rng = np.random.default_rng(11)
    template = chunk(0, chunk_size, rng)
    samples: list[float] = []
    every = max(chunk_size, n // 10)
    started = time.perf_counter()
    with TickStore(path) as store:
        for start in range(0, n, chunk_size):
            size = min(chunk_size, n - start)
            # fresh ids and times per chunk; prices/sizes reused so generation is not measured
            rows = [
                (T0 + (start + i) * 86_400_000, p, s, side, str(start + i))
                for i, (_, p, s, side, _) in enumerate(template[:size])
            ]
            store.append_trades("binance", "BTCUSDT", rows)
            if (start + size) % every == 0:
                samples.append(rss_mb())
        store.flush()
        seconds = time.perf_counter() - started
        assert store.integrity_check() == "ok"
    return SoakResult(n, seconds, samples)
