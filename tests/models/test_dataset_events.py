"""DatasetBuilder reads the feed's events: raw frames go through the OKX protocol (its sequence
checks), and a feed's own BookEvent/TradeEvent stream gives the same samples.

Oracles: the same stream without the gap (samples before the gap must agree, samples inside
it must exist there); an OKXProtocol driven by hand whose events are handed to ``on_event``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tradecost.feeds.events import BookEvent
from tradecost.feeds.okx.protocol import OKXProtocol
from tradecost.models.datasets import DatasetBuilder, frames_from_market
from tradecost.sim import SimulatedMarket

OPTIONS: dict[str, Any] = {"seed": 1, "latency_ms": 100.0, "decision_interval_ms": 100.0}


def _first_update_at(frames: list[tuple[int, str]], ts_ns: int) -> int:
    return next(
        i
        for i, (t, raw) in enumerate(frames)
        if t >= ts_ns and '"action":"update"' in raw and '"books-l2-tbt"' in raw
    )


@pytest.fixture(scope="module")
def streams() -> dict[str, Any]:
    market = SimulatedMarket("BTC-USDT", seed=21)
    before = list(frames_from_market(market, 20.0))
    after = list(frames_from_market(market, 40.0))  # a new subscription: a snapshot first
    assert '"action":"snapshot"' in after[0][1]
    lost = _first_update_at(before, before[0][0] + 10_000_000_000)
    gap_stream = before[:lost] + before[lost + 1 :] + after
    builders = {}
    for name, frames in (("clean", before + after), ("gap", gap_stream)):
        builder = DatasetBuilder("0.1", **OPTIONS)
        builder.feed_all(frames)
        builder.finish()
        builders[name] = builder
    return {
        "clean": builders["clean"],
        "gap": builders["gap"],
        "gap_ns": before[lost][0],
        "snapshot_ns": after[0][0],
    }


def test_a_sequence_gap_stops_the_samples_until_the_next_snapshot(streams):
    gap, clean = streams["gap"], streams["clean"]
    gap_ns, snapshot_ns = streams["gap_ns"], streams["snapshot_ns"]
    assert gap.protocol.stats.gaps == 1 and clean.protocol.stats.gaps == 0
    assert gap.protocol.stats.unsynced_dropped > 100  # the updates after the gap
    for dataset in ("slippage_dataset", "fill_dataset"):
        t_clean = getattr(clean, dataset)().t0_ns
        t_gap = getattr(gap, dataset)().t0_ns
        inside = (t_gap >= gap_ns) & (t_gap < snapshot_ns)
        assert np.count_nonzero((t_clean >= gap_ns) & (t_clean < snapshot_ns)) > 20
        assert not inside.any(), f"{dataset}: samples drawn on an out-of-sync book"
        assert np.count_nonzero(t_gap >= snapshot_ns) > 20  # sampling resumed after it
    assert clean.dropped_unsynced == 0


def test_samples_before_the_gap_are_those_of_the_clean_stream(streams):
    gap, clean = streams["gap"], streams["clean"]
    gap_ns = streams["gap_ns"]
    a, b = gap.slippage_dataset(), clean.slippage_dataset()
    # market orders filled before the gap (decision + latency) are the same orders
    done_a = a.t0_ns + a.latency_ns < gap_ns
    done_b = b.t0_ns + b.latency_ns < gap_ns
    assert np.count_nonzero(done_a) > 50
    np.testing.assert_array_equal(a.t0_ns[done_a], b.t0_ns[done_b])
    np.testing.assert_array_equal(a.X[done_a], b.X[done_b])
    np.testing.assert_array_equal(a.y[done_a], b.y[done_b])
    fa, fb = gap.fill_dataset(), clean.fill_dataset()
    # limit orders are labelled from the trades, which the gap does not stop
    early_a, early_b = fa.t0_ns < gap_ns, fb.t0_ns < gap_ns
    assert np.count_nonzero(early_a) > 20
    np.testing.assert_array_equal(fa.X[early_a], fb.X[early_b])
    np.testing.assert_array_equal(fa.y[early_a], fb.y[early_b])


def _datasets(builder: DatasetBuilder) -> tuple[Any, Any]:
    builder.finish()
    return builder.slippage_dataset(), builder.fill_dataset()


def test_the_feeds_events_give_the_samples_of_its_frames():
    frames = list(frames_from_market(SimulatedMarket("BTC-USDT", seed=4), 30.0))
    from_frames = DatasetBuilder("0.1", **OPTIONS).feed_all(frames)
    protocol = OKXProtocol(["BTC-USDT"], "books-l2-tbt", trades=True, bootstrap="ws")
    protocol.connection_made(frames[0][0])
    from_events = DatasetBuilder("0.1", **OPTIONS).feed_events(
        # each at its local_ts: the receive time
        event
        for ts_ns, raw in frames
        for event in protocol.receive(raw, ts_ns)
    )
    (s1, f1), (s2, f2) = _datasets(from_frames), _datasets(from_events)
    assert len(s1) > 100 and len(f1) > 100
    for left, right in ((s1, s2), (f1, f2)):
        np.testing.assert_array_equal(left.t0_ns, right.t0_ns)
        np.testing.assert_array_equal(left.X, right.X)
        np.testing.assert_array_equal(left.y, right.y)
    assert from_events.book is protocol.books["BTC-USDT"]  # read in place, never copied


def test_a_stale_book_event_drops_the_pending_market_orders():
    frames = list(frames_from_market(SimulatedMarket("BTC-USDT", seed=4), 10.0))
    builder = DatasetBuilder("0.1", latency_ms=5_000.0, seed=2).feed_all(frames)
    pending = len(builder._market_pending) - builder._market_head
    assert pending > 10 and builder.extractor.warmed_up
    ts = frames[-1][0]
    builder.on_event(BookEvent("BTC-USDT", "books-l2-tbt", builder.book, ts, ts, None, "", True))
    assert builder.dropped_unsynced == pending
    assert not builder.extractor.warmed_up
    resting = len(builder._labeller)  # limit orders are labelled from trades: kept
    builder.finish()
    assert builder.censored == resting  # the market orders were not left to censor


def test_live_models_queue_each_event_with_its_book_as_it_stood():
    from tradecost.models.live import LiveModels

    frames = list(frames_from_market(SimulatedMarket("BTC-USDT", seed=6), 30.0))
    reference = DatasetBuilder("0.1").feed_all(frames)
    protocol = OKXProtocol(["BTC-USDT"], "books-l2-tbt", trades=True, bootstrap="ws")
    protocol.connection_made(frames[0][0])
    models = LiveModels("0.1")  # no loop: drained by hand, 64 frames at a time
    for i, (ts_ns, raw) in enumerate(frames):
        for event in protocol.receive(raw, ts_ns):
            models.on_event(event)
        if i % 64 == 63:
            models.drain()
    models.drain()
    (s1, f1), (s2, f2) = _datasets(reference), _datasets(models.online.builder)
    assert len(s1) > 100 and len(f1) > 100
    for left, right in ((s1, s2), (f1, f2)):
        np.testing.assert_array_equal(left.t0_ns, right.t0_ns)
        np.testing.assert_array_equal(left.X, right.X)
        np.testing.assert_array_equal(left.y, right.y)
