"""The store's single writer: one thread, one SQLite connection, fed by a bounded queue.

Producers (a feed's callback, a recording loop, a bulk load) put *jobs* on the queue and go on;
the writer opens a transaction on the first job, applies each job inside its own savepoint (so a
job is stored whole or not at all), and commits when ``batch_rows`` rows are pending or
``max_delay_s`` has passed since the transaction began, whichever comes first. Commits, not rows,
bound SQLite's throughput, so batching them is what makes 200k+ trades/s possible; the queue's
bound keeps memory flat when the disk is slower than the feed (producers then wait).

Only this connection ever writes or checkpoints the file, which keeps clear of the WAL-reset bug
of SQLite 3.7.0-3.51.2 (see :mod:`tradecost.store.schema`).
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from tradecost.errors import StoreError

__all__ = ["Job", "Writer"]


class Job:
    """``apply(connection) -> rows written``; ``future`` (optional) gets the result after commit."""

    __slots__ = ("apply", "future", "rows")

    def __init__(
        self,
        apply: Callable[[sqlite3.Connection], Any],
        future: Future[Any] | None = None,
        rows: int = 1,
    ) -> None:
        self.apply = apply
        self.future = future
        self.rows = rows  #: what it holds in memory while queued, for the queue's bound


_BARRIER = object()  # commit now (a flush)
_STOP = object()


class Writer:
    """Runs the writer thread. ``connect`` opens the writer's connection (in the thread)."""

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        *,
        batch_rows: int,
        max_delay_s: float,
        queue_size: int,
        queue_rows: int = 200_000,
        name: str = "tradecost-store-writer",
    ) -> None:
        self.batch_rows = batch_rows
        self.max_delay_s = max_delay_s
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=queue_size)
        self.queue_rows = queue_rows
        self.queued_rows = 0  # rows in queued jobs: producers wait above queue_rows
        self._room = threading.Condition()
        self.error: BaseException | None = None
        self.deferred: list[BaseException] = []  # failed jobs nobody waits for: raised once
        self.commits = 0
        self.rows_committed = 0
        self._connect = connect
        self._ready: Future[None] = Future()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        self._ready.result()

    # ---------------------------------------------------------------- producer side

    def _check(self) -> None:
        if self.deferred:
            exc = self.deferred.pop(0)
            raise StoreError(f"an earlier write failed and was not stored: {exc!r}") from exc
        if self.error is not None:
            raise StoreError(f"the store's writer failed: {self.error!r}") from self.error
        if not self._thread.is_alive():
            raise StoreError("the store is closed")

    def submit(self, job: Any) -> None:
        """Queue a job (waits while the queue is full: ``queue_size`` jobs or ``queue_rows``)."""
        self._check()
        rows = job.rows if isinstance(job, Job) else 0
        with self._room:
            while self.queued_rows and self.queued_rows + rows > self.queue_rows:
                self._room.wait(0.5)
                self._check()
            self.queued_rows += rows
        while True:
            try:
                self.queue.put(job, timeout=0.5)
                return
            except queue.Full:
                self._check()

    def call(self, apply: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run ``apply`` on the writer's connection and wait for its result (after the commit)."""
        future: Future[Any] = Future()
        self.submit(Job(apply, future))
        return self._wait(future)

    def flush(self) -> None:
        """Wait until every job queued before this call is committed."""
        future: Future[Any] = Future()
        self.submit((_BARRIER, future))
        self._wait(future)
        self._check()

    def _wait(self, future: Future[Any]) -> Any:
        while True:
            try:
                return future.result(timeout=0.5)
            except TimeoutError:
                if not self._thread.is_alive():
                    raise StoreError("the store's writer stopped") from self.error
        return None  # pragma: no cover

    def close(self) -> None:
        if self._thread.is_alive():
            self.queue.put(_STOP)
            self._thread.join()

    # ---------------------------------------------------------------- the thread

    def _run(self) -> None:
        try:
            connection = self._connect()
        except BaseException as exc:
            self._ready.set_exception(exc)
            return
        self._ready.set_result(None)
        try:
            self._loop(connection)
        except BaseException as exc:  # a failed commit: the store cannot go on
            self.error = exc
        finally:
            connection.close()

    def _loop(self, connection: Connection) -> None:
        stopping = False
        while not stopping:
            item = self.queue.get()
            pending_rows = 0
            in_transaction = False
            deadline = 0.0
            done: list[tuple[Future[Any], Any]] = []
            failed: list[tuple[Future[Any] | None, BaseException]] = []
            while True:
                if item is _STOP:
                    stopping = True
                    break
                if isinstance(item, tuple) and item[0] is _BARRIER:
                    done.append((item[1], None))
                    break
                job: Job = item
                with self._room:
                    self.queued_rows -= job.rows
                    self._room.notify_all()
                if not in_transaction:
                    connection.execute("BEGIN IMMEDIATE")
                    in_transaction = True
                    deadline = time.monotonic() + self.max_delay_s
                connection.execute("SAVEPOINT job")
                try:
                    result = job.apply(connection)
                except Exception as exc:
                    connection.execute("ROLLBACK TO job")
                    connection.execute("RELEASE job")
                    failed.append((job.future, exc))
                else:
                    connection.execute("RELEASE job")
                    if job.future is not None:
                        done.append((job.future, result))
                    if isinstance(result, int):
                        pending_rows += result
                if pending_rows >= self.batch_rows or job.future is not None:
                    break  # a full batch, or a caller waiting for this job: commit now
                timeout = deadline - time.monotonic()
                try:
                    item = (
                        self.queue.get(timeout=timeout) if timeout > 0 else self.queue.get_nowait()
                    )
                except queue.Empty:
                    break
            if in_transaction:
                try:
                    connection.execute("COMMIT")
                except BaseException as commit_error:
                    connection.rollback()
                    for future, _ in done:
                        future.set_exception(StoreError(f"commit failed: {commit_error!r}"))
                    raise
                self.commits += 1
                self.rows_committed += pending_rows
            for future, result in done:
                future.set_result(result)
            for maybe_future, job_error in failed:
                if maybe_future is not None:
                    maybe_future.set_exception(job_error)
                else:
                    self.deferred.append(job_error)
        # drain: answer anyone still waiting
        while True:
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, tuple) and item[0] is _BARRIER:
                item[1].set_exception(StoreError("the store is closed"))
            elif isinstance(item, Job) and item.future is not None:
                item.future.set_exception(StoreError("the store is closed"))


Connection = sqlite3.Connection
