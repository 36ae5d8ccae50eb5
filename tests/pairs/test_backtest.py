"""The cost-aware backtest: hand-computed trades, book vs square-root pricing, no look-ahead."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tradecost as tc
from tests.pairs.reference import cointegrated_pair
from tradecost import pairs
from tradecost.errors import InvalidInputError
from tradecost.pairs.analysis import PairAnalysis

MINUTE_NS = 60 * 10**9


def hand_analysis(zscore, beta, window=3) -> PairAnalysis:
    z = np.asarray(zscore, dtype=float)
    n = z.size
    nan = np.full(n, np.nan)
    return PairAnalysis(
        alpha=nan,
        beta=np.full(n, beta),
        spread=nan,
        zscore=z,
        correlation=nan,
        spread_sd=nan,
        window=window,
        method="ols",
        zscore_window="inclusive",
        ddof=1.0,
    )


def sqrt_law_bps(prices, volume, index, window, quantity):
    """Y=1 square-root law from the bars up to the fill, written out independently."""
    log_p = np.log(prices)
    returns = [log_p[i] - log_p[i - 1] for i in range(max(1, index - window + 1), index + 1)]
    mean_volume = np.mean(volume[max(0, index - window + 1) : index + 1])
    return np.std(returns, ddof=1) * math.sqrt(quantity / mean_volume) * 1e4


def test_one_round_trip_by_hand():
    y = np.array([100.0, 101.0, 100.0, 99.0, 97.0, 98.0])
    x = np.array([50.0, 50.5, 50.0, 50.2, 50.1, 50.0])
    volume_y = np.array([900.0, 1000.0, 1100.0, 1000.0, 1200.0, 1000.0])
    volume_x = np.array([3000.0, 2000.0, 2500.0, 2400.0, 2600.0, 2000.0])
    analysis = hand_analysis([np.nan, 0.0, 2.5, 1.0, -0.1, 0.0], beta=2.0)
    fees = tc.FeeSchedule.for_exchange("binance", "spot", "VIP0")
    result = pairs.backtest(
        y, x, analysis=analysis, notional=10_000, fees=fees, volume_y=volume_y, volume_x=volume_x
    )
    frame = result.trades_frame()
    assert list(frame.columns) == list(pairs.TRADE_COLUMNS)
    assert frame[["leg", "action", "side", "index"]].values.tolist() == [
        ["y", "entry", "sell", 2],
        ["x", "entry", "buy", 2],
        ["y", "exit", "buy", 4],
        ["x", "exit", "sell", 4],
    ]
    quantity_y = 10_000 / 100.0
    quantity_x = 2.0 * 10_000 / 50.0
    np.testing.assert_allclose(frame["quantity"], [quantity_y, quantity_x, quantity_y, quantity_x])
    gross = -quantity_y * (97.0 - 100.0) + quantity_x * (50.1 - 50.0)
    assert result.summary["gross_pnl"] == pytest.approx(gross)
    notionals = [10_000.0, 20_000.0, quantity_y * 97.0, quantity_x * 50.1]
    np.testing.assert_allclose(frame["notional"], notionals)
    np.testing.assert_allclose(frame["fee"], np.array(notionals) * fees.taker)
    expected_bps = [
        sqrt_law_bps(y, volume_y, 2, 3, quantity_y),
        sqrt_law_bps(x, volume_x, 2, 3, quantity_x),
        sqrt_law_bps(y, volume_y, 4, 3, quantity_y),
        sqrt_law_bps(x, volume_x, 4, 3, quantity_x),
    ]
    np.testing.assert_allclose(frame["slippage_bps"], expected_bps, rtol=1e-12)
    assert set(frame["cost_method"]) == {"square_root"}
    costs = float(frame["cost"].sum())
    assert result.summary["net_pnl"] == pytest.approx(gross - costs)
    assert result.summary["turnover"] == pytest.approx(sum(notionals))
    assert result.summary["cost_share"] == pytest.approx(costs / abs(gross))
    assert result.position.tolist() == [0, 0, -1, -1, 0, 0]
    assert result.net_equity[-1] == pytest.approx(gross - costs)
    assert result.gross_equity[3] == pytest.approx(
        -quantity_y * (99.0 - 100.0) + quantity_x * (50.2 - 50.0)
    )


def book(mid: float, depth: float) -> tc.OrderBook:
    ob = tc.OrderBook(tick_size="0.01")
    ob.apply_snapshot(
        [[f"{mid - 0.05 * k:.2f}", str(depth)] for k in range(1, 6)],
        [[f"{mid + 0.05 * k:.2f}", str(depth)] for k in range(1, 6)],
    )
    return ob


def test_fills_walk_the_recorded_book_when_there_is_one():
    y = np.array([100.0, 101.0, 100.0, 99.0, 97.0, 98.0])
    x = np.array([50.0, 50.5, 50.0, 50.2, 50.1, 50.0])
    stamps = np.arange(6, dtype=np.int64) * MINUTE_NS
    asked = []

    def book_at(symbol: str, ts_ns: int):
        asked.append((symbol, ts_ns))
        if symbol == "ETHUSDT":
            return book(100.0, 60.0)  # 100 units needed: two levels
        if ts_ns == 5 * MINUTE_NS:  # x at the exit: a book too thin for 400 units
            return book(50.0, 10.0)
        return None

    result = pairs.backtest(
        y,
        x,
        analysis=hand_analysis([np.nan, 0.0, 2.5, 1.0, -0.1, 0.0], beta=2.0),
        volume_y=np.full(6, 1000.0),
        volume_x=np.full(6, 2000.0),
        timestamps_ns=stamps,
        interval_ns=MINUTE_NS,
        book_at=book_at,
        y_symbol="ETHUSDT",
        x_symbol="BTCUSDT",
    )
    frame = result.trades_frame()
    assert frame["cost_method"].tolist() == [
        "book",
        "square_root (no book)",
        "book",
        "square_root (book too thin)",
    ]
    assert ("ETHUSDT", 3 * MINUTE_NS) in asked  # fill at the end of bar 2
    expected = tc.walk_book(book(100.0, 60.0), "sell", quantity=100.0).slippage_bps
    assert frame["slippage_bps"][0] == pytest.approx(expected)
    assert frame["ts_ns"].tolist() == [3 * MINUTE_NS] * 2 + [5 * MINUTE_NS] * 2


def test_costs_need_a_book_or_volumes():
    y, x, _, _ = cointegrated_pair(600, beta=1.0, half_life=5, seed=1)
    with pytest.raises(InvalidInputError, match="volume_y"):
        pairs.backtest(y, x, window=100)
    with pytest.raises(InvalidInputError, match="timestamps_ns"):
        pairs.backtest(y, x, window=100, book_at=lambda symbol, ts: None)
    with pytest.raises(InvalidInputError, match="notional"):
        pairs.backtest(y, x, window=100, notional=-1, volume_y=np.ones(600), volume_x=np.ones(600))


def test_costs_turn_a_gross_profit_into_the_reported_net():
    y, x, _, _ = cointegrated_pair(4_000, beta=1.2, half_life=8, seed=2)
    volume = np.full(4_000, 50.0)
    result = pairs.backtest(y, x, window=300, volume_y=volume, volume_x=volume, stop=5.0)
    summary = result.summary
    assert summary["round_trips"] > 5
    frame = result.trades_frame()
    assert summary["fees"] == pytest.approx(frame["fee"].sum())
    assert summary["net_pnl"] == pytest.approx(summary["gross_pnl"] - frame["cost"].sum())
    assert summary["cost_bps_of_turnover"] > 10.0  # the 10 bp taker fee alone
    assert result.net_equity[-1] == pytest.approx(summary["net_pnl"])


@settings(max_examples=25)
@given(
    seed=st.integers(0, 10_000),
    cut=st.integers(100, 799),
    delay=st.integers(0, 2),
    method=st.sampled_from(["ols", "kalman"]),
)
def test_perturbing_the_future_never_changes_past_decisions(seed, cut, delay, method):
    y, x, _, _ = cointegrated_pair(800, beta=0.9, half_life=6, seed=seed)
    rng = np.random.default_rng(seed)
    volume = rng.uniform(10, 20, 800)
    y2, x2, volume2 = y.copy(), x.copy(), volume.copy()
    y2[cut:] *= np.exp(rng.normal(0, 0.02, 800 - cut))
    x2[cut:] *= np.exp(rng.normal(0, 0.02, 800 - cut))
    volume2[cut:] *= 3

    def run(py, px, pv):
        analysis = pairs.analyze(py, px, 60, method=method)
        return pairs.backtest(
            py, px, analysis=analysis, volume_y=pv, volume_x=pv, delay_bars=delay, stop=3.5
        )

    a, b = run(y, x, volume), run(y2, x2, volume2)
    past = [f for f in a.fills if f["index"] < cut]
    assert past == [f for f in b.fills if f["index"] < cut]
    np.testing.assert_array_equal(a.position[:cut], b.position[:cut])
    np.testing.assert_array_equal(a.net_equity[:cut], b.net_equity[:cut])
