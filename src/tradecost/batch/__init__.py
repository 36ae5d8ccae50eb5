"""The same analyses over many recordings, days and instruments, on any executor.

``run_costs`` prices a list of order sizes over recorded feeds (one task per file);
``run_pairs`` tests and backtests every pair of a list of symbols per period from tick stores
(one task per store, pair and period). Tasks run
in this process, on a ``concurrent.futures`` process pool, or on a Dask cluster (the optional
extra ``tradecost[dask]``: ``make_executor(dask="local")`` or a scheduler address). The merged
result is the same whatever the executor and however many workers it has.
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tradecost.batch.costs import CostTask, cost_task
from tradecost.batch.pairs import PairOptions, PairTask, pair_task, pair_tasks
from tradecost.batch.result import BatchResult
from tradecost.batch.runner import ProgressCallback, TaskResult, make_executor, run_tasks
from tradecost.batch.store_costs import StoreCostTask, cost_any, plan_costs


def run_costs(
    paths: Sequence[str | Path],
    notionals_usd: Sequence[float],
    *,
    executor: cf.Executor | None = None,
    progress: ProgressCallback | None = None,
    symbols: Sequence[str] | None = None,
    start: str | int | None = None,
    end: str | int | None = None,
    **options: Any,
) -> BatchResult:
    """Cost of each order size (quote notional) over every recording or tick store in ``paths``.

    A recording is one task; a tick store (``.db``/``.sqlite``, or any SQLite file) is one task
    per exchange, symbol and UTC day of its book snapshots, restricted to ``symbols`` and
    ``[start, end)`` (ISO dates/times in UTC, or ns) when given. ``options`` go to
    :class:`CostTask` (``sides``, ``fee_tier``, ``volatility``, ``daily_volume_usd``,
    ``sample_ms``). An input that cannot be read is reported in ``result.failures`` and the
    others complete.
    """
    tasks = plan_costs(paths, notionals_usd, symbols=symbols, start=start, end=end, **options)
    results = run_tasks(cost_any, tasks, [task.name for task in tasks], executor, progress)
    return BatchResult.merge("costs", results)


def run_pairs(
    stores: Sequence[str | Path],
    symbols: Sequence[str],
    *,
    period: str | None = None,
    start: str | int | None = None,
    end: str | int | None = None,
    executor: cf.Executor | None = None,
    progress: ProgressCallback | None = None,
    **options: Any,
) -> BatchResult:
    """Engle–Granger test, half-life and cost-aware backtest of every pair of ``symbols``
    (i < j: the earlier one is y) in every tick store, per ``period`` (``"1d"``: UTC days;
    None: the whole range) of ``[start, end)`` (ISO dates/times in UTC, or ns).

    ``options`` go to :class:`PairOptions` (``interval``, ``window``, ``entry``, ``exit``,
    ``stop``, ``notional``, ``fee_exchange``, ``market``, ``tier``, ``exchange``, ``books``). A
    store that cannot be read, a missing symbol or a period with too few bars is reported in
    ``result.failures`` and the other tasks complete.
    """
    tasks = pair_tasks(stores, symbols, period=period, start=start, end=end, **options)
    results = run_tasks(pair_task, tasks, [task.name for task in tasks], executor, progress)
    return BatchResult.merge("pairs", results)


__all__ = [
    "BatchResult",
    "CostTask",
    "PairOptions",
    "PairTask",
    "StoreCostTask",
    "TaskResult",
    "cost_task",
    "make_executor",
    "pair_task",
    "run_costs",
    "run_pairs",
    "run_tasks",
]
