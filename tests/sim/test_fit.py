"""Fitting the simulated market's rates to captures: recovers known rates, runs on real data."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sim.reference import FeedChecker
from tradecost.errors import InvalidInputError
from tradecost.sim import MarketParams, SimulatedMarket
from tradecost.sim.fit import measure_capture
from tradecost.sim.market import fit_params


def test_fit_recovers_the_rates_of_a_simulated_stream() -> None:
    truth = MarketParams(regimes=(MarketParams().regimes[1],), initial_regime=0)
    frames = list(
        SimulatedMarket(seed=31, params=truth).messages(
            channels=("books", "trades"), duration=300.0
        )
    )
    fitted = fit_params(frames, base=MarketParams())
    assert fitted.market_rate == pytest.approx(truth.market_rate, rel=0.25)
    assert fitted.market_size_median == pytest.approx(truth.market_size_median, rel=0.25)
    assert fitted.cancel_rate == pytest.approx(truth.cancel_rate, rel=0.35)
    assert fitted.volatility == pytest.approx(truth.volatility, rel=0.4)
    # arrivals are aggregated over 100 ms: the estimate is a lower bound of the right magnitude
    assert 0.3 * truth.limit_rate < fitted.limit_rate < 1.5 * truth.limit_rate


def test_fit_on_the_recorded_btc_usdt_capture(okx_captures: Path) -> None:
    params = MarketParams.from_capture(okx_captures / "raw" / "OKX.ws.1.0", inst_id="BTC-USDT")
    stats = measure_capture(
        (okx_captures / "raw" / "OKX.ws.1.0").read_text().splitlines(), inst_id="BTC-USDT"
    )
    # 41 taker orders in 10.7 s on 2022-05-13, median 0.0012 BTC (counted by hand from the file)
    assert len(stats.taker_order_sizes) == 41
    assert params.market_rate == pytest.approx(41 / stats.seconds / 2, rel=1e-9)
    assert params.market_size_median == pytest.approx(0.0012, rel=0.01)
    assert 30_000 < params.initial_price < 30_500
    assert 0.01 < params.cancel_rate < 1.0
    assert 10 < params.limit_rate < 2000
    # and the fitted market runs: consistent books, trades
    checker = FeedChecker()
    for raw in SimulatedMarket(seed=1, params=params).messages(duration=10.0):
        checker.feed(raw)
    assert checker.updates > 50


def test_fit_needs_book_updates() -> None:
    with pytest.raises(InvalidInputError, match="too few book updates"):
        fit_params(['{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[]}'])
