"""Every error tradecost raises on purpose is a TradecostError (and a ValueError where the
caller passed a bad value); the exported feed errors are raised where they apply."""

from __future__ import annotations

import json
from typing import Any

import pytest

import tradecost as tc
from tradecost.errors import (
    ChecksumMismatchError,
    FeedError,
    InvalidInputError,
    InvalidStateError,
    SequenceGapError,
    TradecostError,
)
from tradecost.feeds.okx.protocol import OKXProtocol
from tradecost.latency import LatencyHistogram
from tradecost.sim import SimulatedMarket
from tradecost.stream_stats import RealizedVolatility


@pytest.mark.parametrize("q", [0.0, -1.0, 100.5, float("nan")])
def test_latency_percentile_out_of_range(q):
    histogram = LatencyHistogram("x")
    with pytest.raises(InvalidInputError, match="percentile"):
        histogram.percentile(q)
    with pytest.raises(ValueError, match="percentile"):  # for callers outside the tree
        histogram.percentile(q)


@pytest.mark.parametrize(
    "kwargs", [{"interval_s": 0.0}, {"half_life": -1.0}, {"min_samples": 0}, {"half_life": 0.0}]
)
def test_realized_volatility_parameters(kwargs):
    with pytest.raises(InvalidInputError):
        RealizedVolatility(**kwargs)


def test_superseded_market_stream_is_a_tradecost_error():
    market = SimulatedMarket(seed=3)
    first = market.messages(n=10_000)
    next(first)
    second = market.messages(n=5)
    next(second)

    def read_on() -> None:
        for _ in range(2_000):  # past the frames already generated for the first stream
            next(first)

    with pytest.raises(InvalidStateError, match="re-subscribed") as raised:
        read_on()
    assert isinstance(raised.value, TradecostError) and isinstance(raised.value, RuntimeError)


def test_public_names_stay_importable():
    assert (
        tc.SequenceGapError is SequenceGapError
        and tc.ChecksumMismatchError is ChecksumMismatchError
    )
    assert issubclass(SequenceGapError, FeedError) and issubclass(ChecksumMismatchError, FeedError)


# --- the feed errors, raised by a strict protocol ----------------------------------------------

BTC = "BTC-USDT"


def _push(prev: int, seq: int, bids: list[list[str]], asks: list[list[str]], **data: Any) -> str:
    action = "snapshot" if prev == -1 else "update"
    row = {"asks": asks, "bids": bids, "ts": "1597026383085", "checksum": 0, **data}
    row.update({"prevSeqId": prev, "seqId": seq})
    return json.dumps({"arg": {"channel": "books", "instId": BTC}, "action": action, "data": [row]})


def _synced(strict: bool) -> OKXProtocol:
    protocol = OKXProtocol([BTC], strict=strict)
    protocol.connection_made(0)
    protocol.receive(
        json.dumps({"event": "subscribe", "arg": {"channel": "books", "instId": BTC}}), 1
    )
    snapshot = _push(-1, 10, [["8476.9", "256", "0", "1"]], [["8477.0", "415", "0", "1"]])
    assert len(protocol.receive(snapshot, 2)) == 1
    return protocol


def test_strict_protocol_raises_sequence_gap_after_counting_it():
    protocol = _synced(strict=True)
    before = protocol.books[BTC].bids().tolist()
    with pytest.raises(SequenceGapError, match="does not chain onto the last seqId 10"):
        protocol.receive(_push(11, 12, [["8476.9", "1", "0", "1"]], []), 3)
    assert protocol.stats.gaps == 1 and protocol.stats.resyncs == 1
    assert not protocol.is_synced(BTC)
    assert protocol.books[BTC].bids().tolist() == before  # the gapped update was not applied


def test_strict_protocol_raises_checksum_mismatch():
    protocol = _synced(strict=True)
    update = _push(10, 11, [["8476.9", "7", "0", "1"]], [], checksum=123456789)
    with pytest.raises(ChecksumMismatchError, match="checksum 123456789"):
        protocol.receive(update, 3)
    assert protocol.stats.checksum_errors == 1 and not protocol.is_synced(BTC)


def test_live_protocol_still_resyncs_silently():
    protocol = _synced(strict=False)
    assert protocol.receive(_push(11, 12, [["8476.9", "1", "0", "1"]], []), 3) == []
    assert protocol.stats.gaps == 1 and not protocol.is_synced(BTC)
