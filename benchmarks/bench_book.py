"""Latency of the order-book core beside its peers, on the same workloads in the same run.

Run: pytest benchmarks/test_book_bench.py --benchmark-only --benchmark-group-by=group
Each round starts from the same state (pedantic setup), so nothing drifts across rounds.
"""

from __future__ import annotations

import operator

import numpy as np
import pytest

import tradecost as tc
from benchmarks.peers import PEERS
from benchmarks.workloads import Workload, make_workload

WALKS = {"$100": 100.0, "$100k": 100_000.0, "$5M": 5_000_000.0}
STREAM_LENGTH = 2_000


@pytest.fixture(scope="module")
def workload() -> Workload:
    return make_workload(n_updates=STREAM_LENGTH)


def tradecost_book(workload: Workload) -> tc.OrderBook:
    book = tc.OrderBook("0.1", inst_id="BTC-USDT")
    book.apply_message(workload.snapshot)
    return book


def peer_book(name: str, workload: Workload):  # type: ignore[no-untyped-def]
    peer = PEERS[name]()
    peer.apply(workload.snapshot)
    return peer


IMPLEMENTATIONS = ["tradecost", *PEERS]


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_decode_apply_update(benchmark, workload, impl):
    benchmark.group = "decode+apply one update (3 levels) from bytes"
    raw = workload.update
    if impl == "tradecost":
        book = tradecost_book(workload)
        benchmark(book.apply_message, raw)
        assert book.n_bids == 400
    else:
        peer = peer_book(impl, workload)
        benchmark(peer.apply, raw)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_decode_build_snapshot(benchmark, workload, impl):
    benchmark.group = "decode+build a 400x400 snapshot from bytes"
    raw = workload.snapshot
    if impl == "tradecost":
        book = tc.OrderBook("0.1")
        benchmark(book.apply_message, raw)
        assert book.n_asks == 400
    else:
        peer = PEERS[impl]()
        benchmark(peer.apply, raw)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_stream(benchmark, workload, impl):
    benchmark.group = f"replay {STREAM_LENGTH} mixed updates (per round)"
    if impl == "tradecost":

        def setup():  # type: ignore[no-untyped-def]
            return (tradecost_book(workload),), {}

        def run(book: tc.OrderBook) -> None:
            apply = book.apply_message
            for raw in workload.stream:
                apply(raw)
    else:

        def setup():  # type: ignore[no-untyped-def]
            return (peer_book(impl, workload),), {}

        def run(peer) -> None:  # type: ignore[no-untyped-def]
            apply = peer.apply
            for raw in workload.stream:
                apply(raw)

    benchmark.pedantic(run, setup=setup, rounds=15, iterations=1)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_best_bid_ask(benchmark, workload, impl):
    benchmark.group = "best bid and ask"
    if impl == "tradecost":
        book = tradecost_book(workload)
        result = benchmark(operator.attrgetter("best_bid", "best_ask"), book)
    else:
        peer = peer_book(impl, workload)
        result = benchmark(peer.best)
    assert result[0] < result[1]


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize("size", list(WALKS))
def test_walk(benchmark, workload, impl, size):
    benchmark.group = f"walk the asks for {size}"
    notional = WALKS[size]
    if impl == "tradecost":
        book = tradecost_book(workload)
        fill = benchmark(tc.walk_book, book, "buy", notional=notional)
        assert fill.complete
    else:
        peer = peer_book(impl, workload)
        benchmark(peer.walk_notional, notional)


def test_walk_curve_64_sizes(benchmark, workload):
    benchmark.group = "slippage curve: 64 sizes in one call"
    book = tradecost_book(workload)
    sizes = np.geomspace(100, 5_000_000, 64)
    curve = benchmark(tc.walk_book_curve, book, "buy", notionals=sizes)
    assert curve.complete.all()


def test_copy_400x400(benchmark, workload):
    """What the live models pay per book event: a copy of the book to queue with it."""
    benchmark.group = "copy a 400x400 book"
    book = tradecost_book(workload)
    copy = benchmark(book.copy)
    assert (copy.n_bids, copy.n_asks, copy.checksum()) == (
        book.n_bids,
        book.n_asks,
        book.checksum(),
    )


def test_checksum(benchmark, workload):
    benchmark.group = "OKX checksum (top 25 levels)"
    book = tradecost_book(workload)
    benchmark(book.checksum)


@pytest.mark.parametrize("impl", list(PEERS))
def test_peers_build_the_same_book(workload, impl):
    """Not timed: every peer ends the stream with tradecost's book and walks it the same way."""
    book = tradecost_book(workload)
    peer = peer_book(impl, workload)
    for raw in workload.stream:
        book.apply_message(raw)
        peer.apply(raw)
    bids, asks = book.bids(), book.asks()
    peer_bids = peer.bids if hasattr(peer, "bids") else peer.book.bids
    peer_asks = peer.asks if hasattr(peer, "asks") else peer.book.asks
    assert len(peer_bids) == len(bids) and len(peer_asks) == len(asks)
    assert peer.best() == (bids[0, 0], asks[0, 0])
    for notional in WALKS.values():
        fill = tc.walk_book(book, "buy", notional=notional)
        avg_price, quantity = peer.walk_notional(notional)
        assert np.isclose(avg_price, fill.avg_price, rtol=1e-12)
        assert np.isclose(quantity, fill.quantity, rtol=1e-12)
