"""Scaling of `tradecost batch` on this machine, 1 → 2 workers, and the memory of one task.

    PYTHONPATH=src python benchmarks/batch_scaling.py [--rounds 5] [--json out.json]

Two workloads, each run in process, on a process pool of 1 and of 2 workers and on a 2-worker
Dask LocalCluster (when `distributed` is installed); pools are started before the clock runs, as
in a long batch. Each figure is the median wall time of ``--rounds`` runs.

* ``costs``: 8 simulated OKX recordings of 120 s of BTC-USDT `books` + `trades` (≈ 1,200 book
  updates each), 4 order sizes, both sides, every update priced: 8 tasks.
* ``pairs``: a tick store of 6 symbols (two cointegrated triples) × 4 UTC days of one trade
  every 5 s (17,280 trades a symbol-day), book snapshots every 10 s; `batch pairs --period 1d
  --interval 1m --window 300`: 15 pairs × 4 days = 60 tasks of 1,440 bars each.

The in-process runs also report their CPU time per task, which other jobs on a shared machine
do not inflate (they only stretch the wall time).

Memory per task: one task run in a fresh interpreter after the imports; its peak resident set
(VmHWM, reset through /proc/self/clear_refs once the imports are done, so Linux only) minus the
resident set after the imports.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tradecost import batch
from tradecost.record import RecordingWriter
from tradecost.sim import SimulatedMarket

SIZES = (1_000.0, 10_000.0, 100_000.0, 1_000_000.0)
DAY_NS = 86_400 * 10**9
T0_NS = 1_795_392_000 * 10**9  # 2026-11-23T00:00Z
SYMBOLS = ("AAAUSDT", "BBBUSDT", "CCCUSDT", "DDDUSDT", "EEEUSDT", "FFFUSDT")
DAYS = 4
TRADE_EVERY_S = 5
BOOK_EVERY_S = 10


def write_recordings(folder: Path) -> list[Path]:
    paths = []
    for seed in range(8):
        path = folder / f"btc_{seed}.ndjson.gz"
        with RecordingWriter(path) as writer:
            for timed in SimulatedMarket("BTC-USDT", seed=seed).events(duration=120.0):
                writer.write(timed.ts_ns, timed.frame)
        paths.append(path)
    return paths


def write_store(path: Path) -> None:
    """Two triples of cointegrated symbols (log price = common random walk + AR(1) noise)."""
    import tradecost as tc
    from tradecost.store import TickStore

    n = DAYS * 86_400 // TRADE_EVERY_S
    rng = np.random.default_rng(1)
    with TickStore(str(path)) as store:
        for group in range(2):
            common = np.cumsum(rng.standard_normal(n)) * 3e-4
            for k, symbol in enumerate(SYMBOLS[3 * group : 3 * group + 3]):
                noise = np.zeros(n)
                shocks = rng.standard_normal(n) * 3e-4
                for i in range(1, n):
                    noise[i] = 0.995 * noise[i - 1] + shocks[i]
                prices = (100.0 * (k + 1)) * np.exp((0.8 + 0.2 * k) * common + noise)
                times = T0_NS + np.arange(n, dtype=np.int64) * TRADE_EVERY_S * 10**9
                sizes = rng.uniform(0.1, 3.0, n)
                sides = np.where(rng.random(n) < 0.5, "buy", "sell")
                rows = [
                    (int(t), float(p), float(q), str(s), f"{symbol}-{i}")
                    for i, (t, p, q, s) in enumerate(zip(times, prices, sizes, sides, strict=True))
                ]
                store.append_trades("binance", symbol, rows)
                step = BOOK_EVERY_S // TRADE_EVERY_S
                for i in range(0, n, step):
                    best = int(prices[i] / 0.01)
                    book = tc.OrderBook("0.01", inst_id=symbol)
                    book.apply_snapshot(
                        [[f"{(best - j) * 0.01:.2f}", "2.5"] for j in range(20)],
                        [[f"{(best + 1 + j) * 0.01:.2f}", "2.5"] for j in range(20)],
                    )
                    store.append_book("binance", symbol, book, int(times[i]) + 10**9)
        store.flush()


def run_costs(paths: list[Path], executor: cf.Executor | None) -> Any:
    return batch.run_costs(paths, SIZES, executor=executor)


def run_pairs(store: Path, executor: cf.Executor | None) -> Any:
    return batch.run_pairs(
        [store], SYMBOLS, period="1d", interval="1m", window=300, executor=executor
    )


def timed(function: Any, rounds: int) -> tuple[float, list[float], float, Any]:
    """Median wall time, the runs, median CPU time of this process (the in-process runs' own
    work, which other jobs on the machine do not inflate), and the last result."""
    times, cpu = [], []
    result = None
    for _ in range(rounds):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = function()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(times), times, statistics.median(cpu), result


def task_rss_mb(task: str) -> dict[str, float]:
    """Run ``task`` in a fresh interpreter after the imports: its resident memory after the
    imports, and the peak during the task (Linux: the peak is reset through
    /proc/self/clear_refs once the imports are done)."""
    code = (
        "import pandas, numpy\n"
        "from tradecost import batch, pairs\n"
        "from tradecost.store import TickStore\n"
        "from tradecost.estimator import CostEstimator\n"
        "from tradecost.feeds.okx.protocol import OKXProtocol\n"
        "def status(key):\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith(key):\n"
        "            return int(line.split()[1]) / 1024\n"
        "before = status('VmRSS')\n"
        "open('/proc/self/clear_refs', 'w').write('5')\n"
        f"{task}\n"
        "print(before, status('VmHWM'))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    before, peak = map(float, out.stdout.split()[-2:])
    return {"after_imports_mb": round(before, 1), "task_peak_mb": round(peak, 1),
            "task_increment_mb": round(peak - before, 1)}  # fmt: skip


def task_memory(recording: Path, store: Path) -> dict[str, Any]:
    return {
        "costs_one_recording": task_rss_mb(f"batch.run_costs([{str(recording)!r}], {SIZES!r})"),
        "pairs_one_pair_day": task_rss_mb(
            f"batch.run_pairs([{str(store)!r}], ['AAAUSDT', 'BBBUSDT'], period='1d', "
            f"start={T0_NS}, end={T0_NS + DAY_NS}, window=300)"
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", default=None, help="also write the figures here")
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()
    try:
        import distributed  # noqa: F401

        dask = not args.no_dask
    except ImportError:
        dask = False

    figures: dict[str, Any] = {"cpus": os.cpu_count(), "load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        recordings = write_recordings(root)
        store = root / "pairs.db"
        write_store(store)
        workloads = {
            "costs": lambda executor: run_costs(recordings, executor),
            "pairs": lambda executor: run_pairs(store, executor),
        }
        for name, workload in workloads.items():
            rows: dict[str, Any] = {}
            runs: list[tuple[str, Any]] = [("in_process", None)]
            for label, executor in runs:
                rows[label] = _measure(workload, executor, args.rounds)
            for workers in (1, 2):
                with cf.ProcessPoolExecutor(max_workers=workers) as pool:
                    list(pool.map(abs, range(workers)))  # start the workers before timing
                    workload(pool)  # and let them import tradecost
                    rows[f"pool_{workers}"] = _measure(workload, pool, args.rounds)
            if dask:
                with batch.make_executor(workers=2, dask="local") as executor:
                    workload(executor)
                    rows["dask_local_2"] = _measure(workload, executor, args.rounds)
            rows["speedup_pool_2_vs_1"] = round(
                rows["pool_1"]["median_s"] / rows["pool_2"]["median_s"], 2
            )
            figures[name] = rows
        figures["memory"] = task_memory(recordings[0], store)
    figures["load_after"] = os.getloadavg()
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")


def _measure(workload: Any, executor: cf.Executor | None, rounds: int) -> dict[str, Any]:
    median, times, cpu, result = timed(lambda: workload(executor), rounds)
    summary = result.summary()
    assert summary["failed"] == 0, summary["failures"]
    out = {
        "tasks": summary["tasks"],
        "median_s": round(median, 3),
        "runs_s": [round(t, 3) for t in times],
        "tasks_per_s": round(summary["tasks"] / median, 2),
    }
    if executor is None:
        out["cpu_s"] = round(cpu, 3)
        out["cpu_ms_per_task"] = round(cpu / summary["tasks"] * 1e3, 1)
    return out


if __name__ == "__main__":
    main()
