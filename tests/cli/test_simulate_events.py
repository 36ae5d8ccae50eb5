"""`tradecost simulate`'s feed callback: every book event is priced, then every event goes to the
learned models, which were handed to the estimator through its constructor.

Oracle: a DatasetBuilder fed the same frames directly; the protocol is driven by hand with the
simulated market's frames and their send times.
"""

from __future__ import annotations

import numpy as np

from tradecost.cli import build_parser
from tradecost.feeds.events import BookEvent, TradeEvent
from tradecost.feeds.okx.protocol import OKXProtocol
from tradecost.models.datasets import DatasetBuilder, frames_from_market
from tradecost.models.live import LiveModels
from tradecost.sim import SimulatedMarket
from tradecost.simulate import SimulateState, _event_handler, build_estimator


def test_book_events_are_priced_and_every_event_reaches_the_models():
    args = build_parser().parse_args(
        ["simulate", "--demo", "--volatility", "0.02", "--daily-volume", "1e9", "--json"]
    )
    models = LiveModels("0.1")  # no loop: drained by hand below
    estimator, _ = build_estimator(args, slippage_model=models, fill_model=models)
    assert estimator.slippage_model is models and estimator.fill_model is models
    state = SimulateState(args=args, estimator=estimator, source="test", models=models)
    records: list[dict] = []
    on_event = _event_handler(state, records.append)
    frames = list(frames_from_market(SimulatedMarket("BTC-USDT", seed=8), 20.0))
    protocol = OKXProtocol(["BTC-USDT"], "books-l2-tbt", trades=True, bootstrap="ws")
    protocol.connection_made(frames[0][0])
    books = trades = 0
    for i, (ts_ns, raw) in enumerate(frames):
        for event in protocol.receive(raw, ts_ns):
            books += isinstance(event, BookEvent)
            trades += isinstance(event, TradeEvent)
            on_event(event)
        if i % 100 == 99:
            models.drain()
    models.drain()
    assert books > 1000 and trades > 50
    assert state.trades == trades
    assert state.estimates == len(records) == books  # a two-sided book all along
    # the estimator asked the models it was built with (untrained here: 20 s of samples)
    assert all("slippage_model_untrained" in r["flags"] for r in records)
    reference = DatasetBuilder("0.1").feed_all(frames)
    reference.finish()
    builder = models.online.builder
    builder.finish()
    assert builder.frames == books + trades
    got, want = builder.slippage_dataset(), reference.slippage_dataset()
    assert len(want) > 100
    np.testing.assert_array_equal(got.t0_ns, want.t0_ns)
    np.testing.assert_array_equal(got.X, want.X)
    np.testing.assert_array_equal(got.y, want.y)
    got_f, want_f = builder.fill_dataset(), reference.fill_dataset()
    np.testing.assert_array_equal(got_f.X, want_f.X)
    np.testing.assert_array_equal(got_f.y, want_f.y)


def test_a_stale_book_event_is_not_priced_but_the_models_hear_of_it():
    args = build_parser().parse_args(
        ["simulate", "--demo", "--volatility", "0.02", "--daily-volume", "1e9"]
    )
    models = LiveModels("0.1")
    estimator, _ = build_estimator(args, slippage_model=models, fill_model=models)
    state = SimulateState(args=args, estimator=estimator, source="test", models=models)
    on_event = _event_handler(state, None)
    frames = list(frames_from_market(SimulatedMarket("BTC-USDT", seed=8), 10.0))
    protocol = OKXProtocol(["BTC-USDT"], "books-l2-tbt", trades=True, bootstrap="ws")
    protocol.connection_made(frames[0][0])
    for ts_ns, raw in frames:
        for event in protocol.receive(raw, ts_ns):
            on_event(event)
    models.drain()
    builder = models.online.builder
    assert builder.extractor.warmed_up
    priced = state.estimates
    book = protocol.books["BTC-USDT"]
    ts = frames[-1][0]
    on_event(BookEvent("BTC-USDT", "books-l2-tbt", book, ts, ts, None, "update", stale=True))
    models.drain()
    assert state.estimates == priced
    assert not builder.extractor.warmed_up  # the models restart their stream features
