"""Property test: for any valid parameters and seed, the frames obey OKX's rules and the truth."""

from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sim.reference import FeedChecker
from tradecost.sim import MarketParams, SimulatedMarket

params_strategy = st.builds(
    MarketParams,
    limit_rate=st.floats(5.0, 600.0),
    limit_distance_scale=st.floats(0.5, 200.0),
    limit_distance_exponent=st.floats(0.0, 3.0),
    max_distance=st.integers(1, 8000),
    cancel_rate=st.floats(0.01, 3.0),
    market_rate=st.floats(0.0, 40.0),
    market_size_median=st.floats(0.0001, 2.0),
    market_size_tail=st.floats(1.05, 3.0),
    limit_size_median=st.floats(0.0001, 1.0),
    volatility=st.floats(0.0, 3.0),
    jump_size_ticks=st.floats(0.5, 200.0),
    pull_rate=st.floats(0.0, 500.0),
    warmup_s=st.floats(0.0, 30.0),
)


@settings(max_examples=25, deadline=None)
@given(params=params_strategy, seed=st.integers(0, 2**32))
def test_any_market_replays_cleanly(params: MarketParams, seed: int) -> None:
    market = SimulatedMarket(seed=seed, params=params)
    checker = FeedChecker(channel="books-l2-tbt")
    pending: list[dict[str, str]] = []
    before = None
    for raw in market.messages(channels=("trades", "books-l2-tbt"), duration=3.0):
        message = json.loads(raw)
        if message["arg"]["channel"] == "trades":
            if not pending:
                before = checker.copy_book()
            pending.append(message["data"][0])
            continue
        if pending and before is not None:
            side = pending[0]["side"]
            levels = before.sorted_asks() if side == "buy" else before.sorted_bids()
            for k, trade in enumerate(pending):
                assert levels[k][0] == Decimal(trade["px"])
                assert Decimal(trade["sz"]) <= levels[k][1]
            pending = []
        checker.feed(raw)
    truth = market.book_snapshot()
    assert checker.book.rows("bid") == truth.bids
    assert checker.book.rows("ask") == truth.asks
