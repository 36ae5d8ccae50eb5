"""50 WebSocket clients that never read do not hold the feeds back: every book update of the
order's stream is still priced, no feed loses a message, the slow clients are conflated (and
dropped once their socket buffers are full), and Ctrl-C still stops the server cleanly. The
bytes → estimate latency of both runs is printed (measured, never asserted: see
benchmarks/bench_serve.py for the numbers in docs/web.md)."""

from __future__ import annotations

from tests.serve.slow_clients import measure


def test_fifty_slow_clients_never_block_the_feeds() -> None:
    base = measure(0, 8.0)
    slow = measure(50, 8.0)
    print(f"\nwithout slow clients: {base}\nwith 50 slow clients: {slow}")
    for run in (base, slow):
        assert run["exit_status"] == 0 and not run["traceback"]
        # the estimate is repriced on every book update of the order's stream, slow clients or not
        assert run["book_events"] > 20
        assert run["estimates"] >= run["book_events"] - 1
        for stats in run["feeds"].values():
            assert stats["gaps"] == 0 and stats["bad_frames"] == 0 and stats["resyncs"] == 0
    # the stalled clients were connected and served newest-first: updates they never saw counted
    assert slow["push"]["connected_total"] >= 50
    assert slow["push"]["conflated"] > base["push"]["conflated"]
    assert slow["push"]["dropped_clients"] == slow["closed_by_server"]
