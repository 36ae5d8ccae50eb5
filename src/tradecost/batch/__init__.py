"""The same analyses over many recordings, days and instruments, on any executor.

``run_costs`` prices a list of order sizes over recorded feeds (one task per file); tasks run
in this process, on a ``concurrent.futures`` process pool, or on a Dask cluster (the optional
extra ``tradecost[dask]``: ``make_executor(dask="local")`` or a scheduler address). The merged
result is the same whatever the executor and however many workers it has.
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tradecost.batch.costs import CostTask, cost_task, cost_tasks
from tradecost.batch.result import BatchResult
from tradecost.batch.runner import ProgressCallback, TaskResult, make_executor, run_tasks


def run_costs(
    paths: Sequence[str | Path],
    notionals_usd: Sequence[float],
    *,
    executor: cf.Executor | None = None,
    progress: ProgressCallback | None = None,
    **options: Any,
) -> BatchResult:
    """Cost of each order size (quote notional) over every recording in ``paths``.

    ``options`` go to :class:`CostTask` (``sides``, ``fee_tier``, ``volatility``,
    ``daily_volume_usd``, ``sample_ms``). A recording that cannot be read is reported in
    ``result.failures`` and the others complete.
    """
    tasks = cost_tasks(paths, notionals_usd, **options)
    results = run_tasks(cost_task, tasks, [task.name for task in tasks], executor, progress)
    return BatchResult.merge("costs", results)


__all__ = [
    "BatchResult",
    "CostTask",
    "TaskResult",
    "cost_task",
    "make_executor",
    "run_costs",
    "run_tasks",
]
