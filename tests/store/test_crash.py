"""Faults: a writer process killed with SIGKILL mid-ingest, and readers in another process."""

from __future__ import annotations

import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import IO

import pytest

from tradecost.store import TickStore
from tradecost.store.writer import Job

from .conftest import T0

WRITER = """
import sys
from tradecost.store import TickStore
path, size, T0 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
store = TickStore(path, batch_rows=4 * size, max_delay_s=0.02)
batch = 0
while True:
    rows = [(T0 + batch * size + i, 100.0 + i % 7, 0.5, "buy", f"{batch}:{i}") for i in range(size)]
    store.append_trades("okx", "BTC-USDT", rows)
    batch += 1
    if batch % 10 == 0:
        store.flush()
        print(batch, flush=True)
"""

READER = """
import sys
from tradecost.store import TickStore
reader = TickStore(sys.argv[1], read_only=True)
for line in sys.stdin:
    trades = reader.trades("BTC-USDT")
    print(len(trades), trades["trade_id"].str.split(":").str[0].nunique(), flush=True)
"""

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1"}


class Lines:
    """A child's stdout, read on a thread so a blocked child fails the test instead of hanging."""

    def __init__(self, stream: IO[str]) -> None:
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put(line)
        self._queue.put("")

    def next(self, timeout: float = 60.0) -> str:
        return self._queue.get(timeout=timeout)


def test_kill_9_during_ingest_loses_at_most_the_open_batch(tmp_path: Path):
    path = tmp_path / "ticks.db"
    size = 500
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(size), str(T0)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
    )
    try:
        lines = Lines(child.stdout)  # type: ignore[arg-type]
        flushed = 0
        while flushed < 40:  # at least 20,000 trades known to be committed
            line = lines.next()
            assert line, child.stderr.read()  # type: ignore[union-attr]
            flushed = int(line)
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=60) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()

    assert Path(str(path) + "-wal").exists()  # killed with a live write-ahead log
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        ids = [row[0] for row in connection.execute("SELECT trade_id FROM trades")]
    finally:
        connection.close()
    per_batch = Counter(trade_id.split(":")[0] for trade_id in ids)
    stored = sorted(int(batch) for batch in per_batch)
    assert stored == list(range(len(stored)))  # no holes: batches are committed in order
    assert len(stored) >= flushed  # everything flushed before the kill survived
    assert set(per_batch.values()) == {size}  # and every stored batch is whole

    with TickStore(path) as store:  # the store reopens and goes on
        assert store.integrity_check() == "ok"
        store.append_trades("okx", "BTC-USDT", [(T0 - 1, 1.0, 1.0, "sell", "after")])
        assert len(store.trades("BTC-USDT")) == len(ids) + 1


def test_a_reader_process_reads_while_the_writer_writes(tmp_path: Path):
    path = tmp_path / "ticks.db"
    reader = None
    with TickStore(path) as store:
        store.append_trades(
            "okx", "BTC-USDT", [(T0 + i, 1.0, 1.0, "buy", f"0:{i}") for i in range(1_000)]
        )
        store.flush()
        reader = subprocess.Popen(
            [sys.executable, "-c", READER, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env(),
        )
        lines = Lines(reader.stdout)  # type: ignore[arg-type]

        def ask() -> tuple[int, int]:
            reader.stdin.write("count\n")  # type: ignore[union-attr]
            reader.stdin.flush()  # type: ignore[union-attr]
            line = lines.next()
            assert line, reader.stderr.read()  # type: ignore[union-attr]
            count, batches = line.split()
            return int(count), int(batches)

        try:
            assert ask() == (1_000, 1)
            # hold the writer inside an open write transaction with 500 uncommitted rows
            inside, release = threading.Event(), threading.Event()

            def write_and_wait(connection: sqlite3.Connection) -> int:
                connection.executemany(
                    "INSERT INTO trades VALUES (1, ?, ?, ?, 1.0, 1.0, 1, NULL)",
                    [(T0 + 5_000 + i, 10**9 + i, f"1:{i}") for i in range(500)],
                )
                inside.set()
                release.wait(60)
                return 500

            assert store._writer is not None
            store._writer.submit(Job(write_and_wait))
            assert inside.wait(60)
            assert ask() == (1_000, 1)  # not blocked, and nothing uncommitted is seen
            release.set()
            store.flush()
            assert ask() == (1_500, 2)
            for batch in range(2, 12):  # more writes, a read between each
                rows = [
                    (T0 + 10_000 * batch + i, 1.0, 1.0, "sell", f"{batch}:{i}") for i in range(700)
                ]
                store.append_trades("okx", "BTC-USDT", rows)
                count, batches = ask()
                assert count == 1_500 + 700 * (batches - 2)  # whole batches only
            store.flush()
            assert ask() == (1_500 + 700 * 10, 12)
        finally:
            reader.stdin.close()  # type: ignore[union-attr]
            reader.wait(timeout=60)
    assert reader.returncode == 0


def test_reads_from_another_thread_during_ingest(store: TickStore):
    errors: list[BaseException] = []
    seen: list[int] = []
    done = threading.Event()

    def read() -> None:
        try:
            while not done.is_set():
                seen.append(len(store.trades("BTC-USDT")))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=read)
    thread.start()
    for batch in range(30):
        store.append_trades(
            "okx",
            "BTC-USDT",
            [(T0 + batch * 100 + i, 1.0, 1.0, "buy", f"{batch}:{i}") for i in range(100)],
        )
    store.flush()
    done.set()
    thread.join(60)
    assert not errors
    assert seen == sorted(seen)
    assert all(n % 100 == 0 for n in seen)
    assert len(store.trades("BTC-USDT")) == 3_000
