"""Run independent tasks on any :class:`concurrent.futures.Executor` and merge their results.

A task is a picklable top-level function applied to one picklable payload; it returns a
:class:`TaskResult` and never raises for a bad input (the input's failure is its result). The
runner keeps the submission order, so the merged output is the same whatever the executor, the
number of workers or the order in which tasks finish.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from tradecost.errors import InvalidInputError

ProgressCallback = Callable[[int, int, "TaskResult"], None]


@dataclass(frozen=True)
class TaskResult:
    """What one task produced: table rows, book-health rows, or the reason it failed."""

    task: str  #: a stable name for the task (the input file, or "pair/period")
    rows: list[dict[str, Any]] = field(default_factory=list)
    health: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None  #: None when the task succeeded

    @property
    def ok(self) -> bool:
        return self.error is None


def run_tasks(
    function: Callable[[Any], TaskResult],
    payloads: Sequence[Any],
    names: Sequence[str],
    executor: cf.Executor | None = None,
    progress: ProgressCallback | None = None,
) -> list[TaskResult]:
    """Apply ``function`` to every payload; results come back in the payloads' order.

    ``executor=None`` runs in this process, one task after another. A task that raises (or
    whose worker dies) becomes a failed :class:`TaskResult` carrying the error; the other tasks
    go on. ``progress(done, total, result)`` is called as each task finishes.
    """
    if len(payloads) != len(names):
        raise InvalidInputError(f"{len(payloads)} payloads but {len(names)} task names")
    total = len(payloads)
    results: list[TaskResult | None] = [None] * total
    done = 0

    def finished(index: int, result: TaskResult) -> None:
        nonlocal done
        results[index] = result
        done += 1
        if progress is not None:
            progress(done, total, result)

    if executor is None:
        for index, payload in enumerate(payloads):
            finished(index, _call(function, payload, names[index]))
    else:
        futures = {
            executor.submit(_call, function, payload, names[index]): index
            for index, payload in enumerate(payloads)
        }
        for future in cf.as_completed(futures):
            index = futures[future]
            try:
                result = future.result()
            except BaseException as exc:  # a worker that died, or a task that raised
                result = TaskResult(names[index], error=_describe(exc))
            finished(index, result)
    return [result for result in results if result is not None]


def _call(function: Callable[[Any], TaskResult], payload: Any, name: str) -> TaskResult:
    """Run one task; what it raises becomes its result (as text, so it always travels back
    from a worker process, picklable or not).

    The task runs with one BLAS/OpenMP thread: the parallelism of a batch is its tasks. The
    pairs tasks' regressions are small (a few thousand rows, two columns), and OpenBLAS threads
    spinning beside the worker processes made 1- and 2-worker pools on a busy 2-core machine
    about three times slower than one thread each (docs/performance.md#batch-runs).
    """
    try:
        with _one_blas_thread():
            return function(payload)
    except Exception as exc:
        return TaskResult(name, error=_describe(exc))


def _one_blas_thread() -> contextlib.AbstractContextManager[Any]:
    try:
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped,unused-ignore]
    except ImportError:  # pragma: no cover - installed with scikit-learn
        return contextlib.nullcontext()
    limits: contextlib.AbstractContextManager[Any] = threadpool_limits(limits=1)
    return limits


def _describe(exc: BaseException) -> str:
    lines = traceback.format_exception_only(type(exc), exc)
    return "".join(lines).strip()


@contextlib.contextmanager
def make_executor(
    workers: int | None = None, dask: str | None = None
) -> Iterator[cf.Executor | None]:
    """The executor the command line asks for, shut down on exit.

    - ``dask=None, workers=None or 1``: ``None`` (run in this process);
    - ``dask=None, workers=N``: a process pool of N workers;
    - ``dask="local"``: a Dask ``LocalCluster`` of ``workers`` (default 2) single-threaded
      worker processes on this machine;
    - ``dask="tcp://host:8786"`` (any scheduler address): that cluster's workers.

    Dask is the optional extra ``tradecost[dask]``; it is imported only here. Its tasks are
    submitted as impure: a recording rewritten under the same path is read again, never
    answered from the cluster's memory of an earlier run.
    """
    if workers is not None and workers < 1:
        raise InvalidInputError(f"workers={workers} must be >= 1")
    if dask is None:
        if workers is None or workers == 1:
            yield None
            return
        with cf.ProcessPoolExecutor(max_workers=workers) as pool:
            yield pool
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise InvalidInputError(
            'Dask is not installed: pip install "tradecost[dask]" (or drop --dask)'
        ) from exc
    if dask == "local":
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers or 2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        with cluster, Client(cluster) as client:  # type: ignore[no-untyped-call]
            yield client.get_executor(pure=False)
        return
    with Client(dask) as client:  # type: ignore[no-untyped-call]
        yield client.get_executor(pure=False)
