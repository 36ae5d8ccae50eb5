"""Scaling of `tradecost batch costs` on this machine: in-process, 1 and 2 pool workers, and a
2-worker Dask LocalCluster, over the same recordings (pytest-benchmark medians; no timing
assertions).

Run: PYTHONPATH=src python -m pytest benchmarks/bench_batch.py -p no:cacheprovider \
         -o python_files='bench_*.py' --benchmark-only --benchmark-group-by=group

Eight recordings of 120 simulated seconds of BTC-USDT `books` + `trades` (≈ 1,200 book updates
each); four order sizes, both sides, every update priced. ``extra_info`` holds book updates per
second. The pools are created once per benchmark (outside the timing), as a long batch would.
"""

from __future__ import annotations

import concurrent.futures as cf
from pathlib import Path

import pytest

from tradecost import batch
from tradecost.record import RecordingWriter
from tradecost.sim import SimulatedMarket

FILES = 8
SECONDS = 120.0
SIZES = (1_000.0, 10_000.0, 100_000.0, 1_000_000.0)


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("batch-bench")
    paths = []
    for seed in range(FILES):
        path = folder / f"btc_{seed}.ndjson.gz"
        with RecordingWriter(path) as writer:
            for timed in SimulatedMarket("BTC-USDT", seed=seed).events(duration=SECONDS):
                writer.write(timed.ts_ns, timed.frame)
        paths.append(path)
    return paths


def _run(benchmark, recordings: list[Path], executor: cf.Executor | None) -> None:
    result = benchmark.pedantic(
        batch.run_costs, args=(recordings, SIZES), kwargs={"executor": executor}, rounds=3
    )
    assert result.summary()["failed"] == 0
    if not benchmark.disabled:
        updates = int(result.health["book_updates"].sum())
        benchmark.extra_info["book_updates_per_s"] = round(updates / benchmark.stats.stats.median)


@pytest.mark.benchmark(group="batch costs, 8 recordings")
def test_in_process(benchmark, recordings):
    _run(benchmark, recordings, None)


@pytest.mark.benchmark(group="batch costs, 8 recordings")
@pytest.mark.parametrize("workers", [1, 2])
def test_process_pool(benchmark, recordings, workers):
    with cf.ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(abs, range(workers)))  # start the workers before timing
        _run(benchmark, recordings, pool)


@pytest.mark.benchmark(group="batch costs, 8 recordings")
def test_dask_local_cluster(benchmark, recordings):
    pytest.importorskip("distributed")
    with batch.make_executor(workers=2, dask="local") as executor:
        _run(benchmark, recordings, executor)
