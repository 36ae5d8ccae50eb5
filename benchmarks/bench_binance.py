"""Binance diff depth: decode + apply from bytes, beside OKX's path and the fastest peer, in the
same run.

Workload: the shared synthetic BTC-USDT book (benchmarks/workloads.py: 400x400 levels, 0.1
apart, around 95,000) written as Binance spot writes it: combined-stream envelope, prices and
quantities padded to 8 decimals, a 0.01 tick grid. The same level changes as OKX's ``update``
(3 size changes at existing levels, idempotent, so every round starts from the same book).

Peer: msgspec typed Structs (``strict=False`` so the quoted numbers decode straight to float,
its fastest mode) feeding bmoscon's C ``order-book`` with float keys: no tick grid, no exact
decimals, no sequence fields kept, so strictly less work.

Run: pytest benchmarks/bench_binance.py -o python_files='bench_*.py' --benchmark-only
"""

from __future__ import annotations

import json

import msgspec
import order_book
import pytest

import tradecost as tc
from benchmarks.workloads import Workload, make_workload
from tradecost.feeds.binance._depth import DepthMessage

STREAM_LENGTH = 2_000


def _pad(text: str) -> str:
    return f"{float(text):.8f}"


def _binance_update(bids: list[list[str]], asks: list[list[str]], first_id: int) -> bytes:
    data = {
        "e": "depthUpdate",
        "E": 1_700_000_000_000 + first_id,
        "s": "BTCUSDT",
        "U": first_id,
        "u": first_id + 2,
        "b": [[_pad(p), _pad(q)] for p, q in bids],
        "a": [[_pad(p), _pad(q)] for p, q in asks],
    }
    return json.dumps(
        {"stream": "btcusdt@depth@100ms", "data": data}, separators=(",", ":")
    ).encode()


def _okx_levels(push: bytes) -> tuple[list[list[str]], list[list[str]]]:
    data = json.loads(push)["data"][0]
    return [r[:2] for r in data["bids"]], [r[:2] for r in data["asks"]]


class BinanceWorkload:
    def __init__(self, workload: Workload) -> None:
        self.okx = workload
        self.snapshot = json.dumps(
            {
                "lastUpdateId": 1,
                "bids": [[_pad(p), _pad(q)] for p, q in workload.bids],
                "asks": [[_pad(p), _pad(q)] for p, q in workload.asks],
            },
            separators=(",", ":"),
        ).encode()
        self.update = _binance_update(*_okx_levels(workload.update), 2)
        self.stream = [
            _binance_update(*_okx_levels(push), 3 + 3 * i) for i, push in enumerate(workload.stream)
        ]


class _Depth(msgspec.Struct):
    e: str
    E: int
    s: str
    U: int
    u: int
    b: list[tuple[float, float]]
    a: list[tuple[float, float]]


class _Envelope(msgspec.Struct):
    stream: str
    data: _Depth


class _Snapshot(msgspec.Struct):
    lastUpdateId: int
    bids: list[tuple[float, float]]
    asks: list[tuple[float, float]]


_update_decoder = msgspec.json.Decoder(_Envelope, strict=False)
_snapshot_decoder = msgspec.json.Decoder(_Snapshot, strict=False)


def _apply(side: object, rows: list[tuple[float, float]]) -> None:
    for price, size in rows:
        if size == 0.0:
            if price in side:  # type: ignore[operator]
                del side[price]  # type: ignore[attr-defined]
        else:
            side[price] = size  # type: ignore[index]


class MsgspecOrderBook:
    """The fastest peer pipeline: msgspec typed decode + bmoscon ``order-book``."""

    def __init__(self) -> None:
        self.book = order_book.OrderBook()

    def apply_update(self, raw: bytes) -> None:
        data = _update_decoder.decode(raw).data
        _apply(self.book.bids, data.b)
        _apply(self.book.asks, data.a)

    def apply_snapshot(self, raw: bytes) -> None:
        snap = _snapshot_decoder.decode(raw)
        self.book = order_book.OrderBook()
        _apply(self.book.bids, snap.bids)
        _apply(self.book.asks, snap.asks)


@pytest.fixture(scope="module")
def workload() -> BinanceWorkload:
    return BinanceWorkload(make_workload(n_updates=STREAM_LENGTH))


IMPLEMENTATIONS = ["tradecost-binance", "tradecost-okx", "order-book+msgspec"]


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_decode_apply_update(benchmark, workload, impl):
    benchmark.group = "Binance: decode+apply one depth update (3 levels) from bytes"
    if impl == "tradecost-binance":
        book = tc.OrderBook("0.01", inst_id="BTCUSDT")
        msg = DepthMessage()
        msg.apply_message(book, workload.snapshot)
        benchmark(msg.apply_message, book, workload.update)
        assert book.n_bids == 400
    elif impl == "tradecost-okx":
        book = tc.OrderBook("0.1", inst_id="BTC-USDT")
        book.apply_message(workload.okx.snapshot)
        benchmark(book.apply_message, workload.okx.update)
        assert book.n_bids == 400
    else:
        peer = MsgspecOrderBook()
        peer.apply_snapshot(workload.snapshot)
        benchmark(peer.apply_update, workload.update)
        assert len(peer.book.bids) == 400


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_decode_build_snapshot(benchmark, workload, impl):
    benchmark.group = "Binance: decode+build a 400x400 REST snapshot from bytes"
    if impl == "tradecost-binance":
        book = tc.OrderBook("0.01", inst_id="BTCUSDT")
        msg = DepthMessage()
        benchmark(msg.apply_message, book, workload.snapshot)
        assert book.n_asks == 400
    elif impl == "tradecost-okx":
        book = tc.OrderBook("0.1")
        benchmark(book.apply_message, workload.okx.snapshot)
        assert book.n_asks == 400
    else:
        peer = MsgspecOrderBook()
        benchmark(peer.apply_snapshot, workload.snapshot)
        assert len(peer.book.asks) == 400


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_stream(benchmark, workload, impl):
    benchmark.group = f"Binance: replay {STREAM_LENGTH} mixed depth updates (per round)"
    if impl == "tradecost-binance":
        msg = DepthMessage()

        def setup():  # type: ignore[no-untyped-def]
            book = tc.OrderBook("0.01", inst_id="BTCUSDT")
            msg.apply_message(book, workload.snapshot)
            return (book,), {}

        def replay(book):  # type: ignore[no-untyped-def]
            for raw in workload.stream:
                msg.apply_message(book, raw)

    elif impl == "tradecost-okx":

        def setup():  # type: ignore[no-untyped-def]
            book = tc.OrderBook("0.1", inst_id="BTC-USDT")
            book.apply_message(workload.okx.snapshot)
            return (book,), {}

        def replay(book):  # type: ignore[no-untyped-def]
            for raw in workload.okx.stream:
                book.apply_message(raw)

    else:

        def setup():  # type: ignore[no-untyped-def]
            peer = MsgspecOrderBook()
            peer.apply_snapshot(workload.snapshot)
            return (peer,), {}

        def replay(peer):  # type: ignore[no-untyped-def]
            for raw in workload.stream:
                peer.apply_update(raw)

    benchmark.pedantic(replay, setup=setup, rounds=20, iterations=1)
