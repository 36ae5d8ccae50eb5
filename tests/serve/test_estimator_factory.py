"""Which inputs the estimators of `tradecost serve` use: the order's own volatility and daily
volume where given, else measured from the stream ("auto"), or, with --demo, the simulated
market's own inputs (measured by ``tradecost.simulate.demo_market_inputs`` on another stretch).

The oracle is the estimate itself: ``CostEstimate.volatility`` and ``daily_volume_usd`` report
the inputs the impact was computed with."""

from __future__ import annotations

import math

import pytest

from tradecost import OrderBook
from tradecost.serve.hub import default_estimator
from tradecost.serve.runner import demo_estimator_factory
from tradecost.simulate import demo_market_inputs

SEED = 11


def _book() -> OrderBook:
    book = OrderBook("0.1", inst_id="BTC-USDT")
    book.apply_snapshot(
        [["30000.0", "2.0"], ["29999.9", "3.0"]], [["30000.1", "2.0"], ["30000.2", "3.0"]]
    )
    return book


def test_default_estimator_measures_what_the_order_leaves_open() -> None:
    estimate = default_estimator("okx", "BTC-USDT", None, None, None).estimate(
        _book(), "buy", notional_usd=10_000.0
    )
    # nothing observed yet: the "auto" inputs are still unknown, not a default number
    assert math.isnan(estimate.volatility)
    assert math.isnan(estimate.daily_volume_usd)


def test_default_estimator_keeps_the_orders_inputs() -> None:
    estimate = default_estimator("okx", "BTC-USDT", None, 0.03, 5e8).estimate(
        _book(), "buy", notional_usd=10_000.0
    )
    assert estimate.volatility == 0.03
    assert estimate.daily_volume_usd == 5e8


def test_demo_estimators_use_the_simulated_markets_inputs() -> None:
    volatility, volume = demo_market_inputs(SEED)
    assert volatility > 0 and volume > 0
    build = demo_estimator_factory(SEED)
    measured = build("okx", "BTC-USDT", None, None, None).estimate(
        _book(), "sell", notional_usd=10_000.0
    )
    assert measured.volatility == pytest.approx(volatility, rel=1e-12)
    assert measured.daily_volume_usd == pytest.approx(volume, rel=1e-12)
    # an order's own input wins over the market's
    given = build("okx", "BTC-USDT", None, 0.05, None).estimate(
        _book(), "sell", notional_usd=10_000.0
    )
    assert given.volatility == 0.05
    assert given.daily_volume_usd == pytest.approx(volume, rel=1e-12)
