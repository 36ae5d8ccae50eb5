"""The large-tick preset looks like a large-tick book, and the default BTC-USDT one does not.

Large-tick facts (Eisler, Bouchaud & Kockelkoren 2012, §2; Huang, Lehalle & Rosenbaum 2015, §1):
the spread is one tick nearly all the time, touch queues hold many typical orders, the price
moves by well under a tick per second, and touch levels vanish because takers trade them away.
"""

from __future__ import annotations

import numpy as np
import pytest

from tradecost.sim import MarketParams, SimulatedMarket
from tradecost.sim.facts import MarketSample, TouchTurnover, sample_market, touch_turnover


@pytest.fixture(scope="module")
def sample() -> MarketSample:
    market = SimulatedMarket("LTICK-USDT", seed=1, params=MarketParams.large_tick())
    return sample_market(market, 600.0, interval_s=0.1)


@pytest.fixture(scope="module")
def turnover() -> TouchTurnover:
    market = SimulatedMarket("LTICK-USDT", seed=3, params=MarketParams.large_tick())
    return touch_turnover(market, 300.0)


def test_spread_is_one_tick_nearly_always(sample: MarketSample) -> None:
    assert sample.one_tick_spread_fraction() > 0.85
    assert np.all(sample.spread_ticks >= 1)


def test_price_moves_well_under_a_tick_per_second(sample: MarketSample) -> None:
    tick = float(MarketParams.large_tick().tick_size)
    moves = np.diff(sample.mid[::10]) / tick  # 1-s mid changes, ticks
    assert np.std(moves) < 1.0
    assert np.mean(moves == 0) > 0.7  # most seconds the mid does not move at all


def test_touch_queues_hold_many_typical_orders(turnover: TouchTurnover) -> None:
    median_order = MarketParams.large_tick().limit_size_median
    assert np.median(turnover.touch_sizes) > 10 * median_order


def test_touch_levels_vanish_by_being_traded(turnover: TouchTurnover) -> None:
    assert turnover.vanished > 20
    assert turnover.traded_out_fraction() > 0.8
    assert turnover.touched >= turnover.traded_out


def test_btc_touch_is_pulled_not_traded() -> None:
    """The same measure on the default small-tick market: the touch is mostly pulled, so the
    measure separates the two kinds of book (docs/simulated-market.md, Limits)."""
    btc = touch_turnover(SimulatedMarket(seed=3), 60.0)
    assert btc.vanished > 100
    assert btc.traded_out_fraction() < 0.2


def test_changes_override_the_preset() -> None:
    params = MarketParams.large_tick(cancel_rate=0.1)
    assert params.cancel_rate == 0.1
    assert params.tick_size == "0.0001"
