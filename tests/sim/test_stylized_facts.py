"""Stylized facts of the simulated market, checked on its own output (not assumed)."""

from __future__ import annotations

import numpy as np
import pytest

from tradecost.sim import MarketParams, SimulatedMarket
from tradecost.sim.facts import (
    MarketSample,
    abs_return_autocorrelation,
    hill_tail_exponent,
    sample_market,
)


@pytest.fixture(scope="module")
def fine() -> MarketSample:
    """10 simulated minutes observed every 100 ms (default BTC-USDT parameters)."""
    return sample_market(SimulatedMarket(seed=1), 600.0, interval_s=0.1, count_level_changes=True)


@pytest.fixture(scope="module")
def long() -> MarketSample:
    """2 simulated hours observed every second: long enough to cross regimes."""
    return sample_market(SimulatedMarket(seed=5), 7200.0, interval_s=1.0, depth_every=60)


def test_spread_is_mostly_one_tick(fine: MarketSample) -> None:
    assert fine.one_tick_spread_fraction() > 0.7
    assert np.all(fine.spread_ticks >= 1)  # never crossed or locked
    assert np.quantile(fine.spread_ticks, 0.99) > 1  # but it does open up after news


def test_activity_looks_like_btc_usdt(fine: MarketSample) -> None:
    # recorded BTC-USDT (2022-05-13): ~390 visible level changes/s, ~4 taker orders/s
    assert 200 < fine.level_changes < 2000
    orders_per_s = len(fine.order_sizes) / 600.0
    assert 1.0 < orders_per_s < 15.0
    assert 0.0005 < float(np.median(fine.order_sizes)) < 0.005


def test_trade_sizes_are_heavy_tailed(fine: MarketSample) -> None:
    alpha = hill_tail_exponent(fine.order_sizes, tail_fraction=0.05)
    assert 0.9 < alpha < 2.0  # default Lomax tail 1.25; Gaussian-like sizes would give >> 3
    assert fine.order_sizes.max() > 100 * np.median(fine.order_sizes)


def test_depth_profile_fills_400_levels_and_thins_out(fine: MarketSample) -> None:
    by_level = fine.depth_by_level
    assert np.all(np.isfinite(by_level))
    assert np.all(by_level > 0)
    near = fine.depth_by_distance[:20].mean()
    far = fine.depth_by_distance[500:1000].mean()
    assert near > 3 * far


def test_volatility_clusters_across_regimes(long: MarketSample) -> None:
    returns = long.returns(1)
    assert len(set(long.regime.tolist())) >= 2
    lags = [abs_return_autocorrelation(returns, lag) for lag in (1, 5, 30, 120)]
    assert all(value > 0.05 for value in lags), lags
    # the regimes do change the cost of trading: realised volatility differs between them
    by_regime = {
        r: float(np.std(returns[long.regime[1:] == r]))
        for r in set(long.regime.tolist())
        if np.sum(long.regime[1:] == r) > 100
    }
    assert max(by_regime.values()) > 1.5 * min(by_regime.values())


def test_shuffled_returns_do_not_cluster(long: MarketSample) -> None:
    """The clustering test can fail: destroy the time order and it does."""
    returns = np.random.default_rng(0).permutation(long.returns(1))
    assert abs(abs_return_autocorrelation(returns, 1)) < 0.05


def test_a_single_calm_regime_has_lower_volatility_than_the_default() -> None:
    calm = MarketParams().regimes[0]
    quiet = sample_market(
        SimulatedMarket(seed=3, params=MarketParams(regimes=(calm,), initial_regime=0)), 300.0
    )
    stressed = MarketParams().regimes[2]
    wild = sample_market(
        SimulatedMarket(seed=3, params=MarketParams(regimes=(stressed,), initial_regime=0)), 300.0
    )
    assert np.std(wild.returns(10)) > 2 * np.std(quiet.returns(10))
