"""CostEstimator: the decomposition adds up, fees are rate x notional, thin books are flagged."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tradecost as tc
from tradecost.estimator import CostEstimator


@pytest.fixture
def book() -> tc.OrderBook:
    b = tc.OrderBook("0.5", inst_id="TEST-USDT")
    b.apply_snapshot(
        [["99.5", "1.5"], ["99", "3"], ["98", "10"]], [["100", "1"], ["100.5", "2"], ["101", "5"]]
    )
    return b


def estimator(**kwargs) -> CostEstimator:  # type: ignore[no-untyped-def]
    params = {"volatility": 0.03, "daily_volume_usd": 25e9}
    params.update(kwargs)
    return CostEstimator("okx", "BTC-USDT", "Lv1", **params)


def test_market_order_decomposition_adds_up(book):
    est = estimator()
    r = est.estimate(book, "buy", quantity=2.5)
    assert r.slippage_bps == pytest.approx(55.138, abs=5e-4)  # the documented walk vector
    assert r.notional_usd == pytest.approx(2.5 * 99.75)
    assert r.slippage_usd == pytest.approx(r.slippage_bps * 1e-4 * r.notional_usd)
    assert r.avg_price == pytest.approx(100.3, rel=1e-12)
    # fees: OKX spot Lv1 taker 0.10 % of the *filled* notional (2.5 at 100.3, not at the mid),
    # market order = 100 % taker
    assert r.fee_usd == pytest.approx(0.001 * 2.5 * 100.3, rel=1e-12)
    assert (r.maker_fraction, r.taker_fraction) == (0.0, 1.0)
    # impact: square-root law I = Y sigma sqrt(Q/V)
    expected_impact = 0.03 * math.sqrt(r.notional_usd / 25e9) * r.notional_usd
    assert r.impact_usd == pytest.approx(expected_impact, rel=1e-12)
    assert r.impact_model.startswith("square_root")
    assert r.net_cost_usd == pytest.approx(r.slippage_usd + r.fee_usd + r.impact_usd, rel=1e-15)
    assert r.net_cost_bps == pytest.approx(r.slippage_bps + r.fee_bps + r.impact_bps, rel=1e-12)
    assert r.complete and r.remaining_usd == 0.0
    assert r.latency_ns > 0 and est.latency.count == 1
    assert "impact_unavailable" not in r.flags


def test_usd_and_base_quantities_agree(book):
    est = estimator()
    by_usd = est.estimate(book, "sell", 300.0)
    by_base = est.estimate(book, "sell", quantity=300.0 / book.mid)
    assert by_usd.slippage_bps == pytest.approx(by_base.slippage_bps, rel=1e-12)
    assert by_usd.net_cost_usd == pytest.approx(by_base.net_cost_usd, rel=1e-12)


def test_fee_tiers_change_only_the_fee(book):
    lv1 = estimator().estimate(book, "buy", 200.0)
    vip8 = estimator(fees=tc.FeeSchedule.for_exchange("okx", "spot", "VIP8")).estimate(
        book, "buy", 200.0
    )
    assert vip8.slippage_usd == lv1.slippage_usd and vip8.impact_usd == lv1.impact_usd
    filled = vip8.quantity * vip8.avg_price  # fees are charged on the filled notional
    assert vip8.fee_usd == pytest.approx(
        filled * tc.FeeSchedule.for_exchange("okx", "spot", "VIP8").taker, rel=1e-12
    )
    assert vip8.fee_usd < lv1.fee_usd


def test_too_thin_book_is_flagged_never_silently_priced(book):
    r = estimator().estimate(book, "buy", quantity=10.0)
    assert not r.complete
    assert "book_too_thin" in r.flags
    assert r.remaining_usd == pytest.approx(2.0 * book.mid)


def test_impact_unavailable_is_said_and_not_added(book):
    est = CostEstimator("okx", "BTC-USDT", "Lv1")  # volatility and volume on "auto", not warm
    r = est.estimate(book, "buy", 100.0)
    assert math.isnan(r.impact_usd)
    assert "impact_unavailable" in r.flags
    assert r.net_cost_usd == pytest.approx(r.slippage_usd + r.fee_usd)
    assert r.as_dict()["impact_usd"] is None


def test_auto_inputs_warm_up_from_the_stream(book):
    est = CostEstimator("okx", "BTC-USDT", "Lv1")
    rng = np.random.default_rng(1)
    mid = 100.0
    for second in range(60):
        mid *= math.exp(rng.normal(0, 0.001))
        twin = tc.OrderBook("0.01")
        twin.apply_snapshot([[f"{mid - 0.05:.2f}", "1"]], [[f"{mid + 0.05:.2f}", "1"]])
        est.observe_book(second * 1_000_000_000, twin)
        est.observe_trade(second * 1_000_000_000, mid, 2.0)
    # 0.1 % per second -> sqrt(86400) * 0.001 ~ 0.29 per day
    assert 0.15 < est.volatility < 0.45
    assert est.daily_volume_usd == pytest.approx(60 * 200.0 / 59 * 86400, rel=0.05)
    assert not math.isnan(est.estimate(book, "buy", 100.0).impact_usd)


def test_scheduled_order_reports_ac_permanent_impact_and_risk(book):
    est = estimator(risk_aversion=1e-6)
    r = est.estimate(book, "sell", quantity=4.0, horizon_s=600.0, steps=4)
    one_slice = tc.walk_book(book, "sell", quantity=1.0)
    assert r.slippage_bps == pytest.approx(one_slice.slippage_bps, rel=1e-12)
    assert r.impact_model.startswith("almgren_chriss permanent")
    assert r.risk_usd > 0
    assert r.impact_usd > 0


def test_almgren_chriss_linear_immediate_impact(book):
    est = estimator(impact_model="almgren_chriss")
    r = est.estimate(book, "buy", quantity=1.0)
    gamma = book.spread / (0.1 * 25e9 / book.mid)
    assert r.impact_usd == pytest.approx(gamma * 1.0 * 1.0)


def test_curve_matches_single_estimates(book):
    est = estimator()
    sizes = np.array([10.0, 150.0, 400.0])
    curve = est.estimate_curve(book, "buy", sizes)
    for i, usd in enumerate(sizes):
        r = est.estimate(book, "buy", float(usd))
        assert curve.slippage_bps[i] == pytest.approx(r.slippage_bps, rel=1e-9)
        assert curve.net_cost_bps[i] == pytest.approx(r.net_cost_bps, rel=1e-9)


def test_stale_and_crossed_are_flagged(book):
    est = estimator()
    assert "stale_book" in est.estimate(book, "buy", 10.0, stale=True).flags
    crossed = book.copy()
    crossed.apply_update([["100.5", "1"]], [])
    r = est.estimate(crossed, "buy", 10.0)
    assert r.crossed and "crossed_book" in r.flags


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"quantity_usd": -1.0}, tc.InvalidInputError),
        ({"quantity_usd": float("nan")}, tc.InvalidInputError),
        ({"quantity_usd": 1.0, "quantity": 1.0}, tc.InvalidInputError),
        ({}, tc.InvalidInputError),
        ({"quantity_usd": 1.0, "order_type": "stop"}, tc.InvalidInputError),
        ({"quantity_usd": 1.0, "horizon_s": 10.0}, tc.InvalidInputError),
        ({"quantity_usd": 1.0, "horizon_s": 10.0, "steps": 0}, tc.InvalidInputError),
    ],
)
def test_bad_inputs(book, kwargs, error):
    with pytest.raises(error):
        estimator().estimate(book, "buy", **kwargs)


def test_bad_construction():
    with pytest.raises(tc.InvalidInputError):
        CostEstimator("okx", "BTC-USDT", "Lv1", volatility=-0.1)
    with pytest.raises(tc.UnknownFeeScheduleError, match="VIP1"):
        CostEstimator("okx", "BTC-USDT", "Platinum")
    with pytest.raises(tc.InvalidInputError):
        CostEstimator("okx", "BTC-USDT", "Lv1", impact_model="magic")  # type: ignore[arg-type]


def test_empty_book_raises():
    with pytest.raises(tc.EmptyBookError):
        estimator().estimate(tc.OrderBook("1"), "buy", 10.0)


def test_swap_contracts_convert_to_base_units():
    swap = tc.OrderBook("0.1", inst_id="BTC-USDT-SWAP")
    # sizes in contracts of 0.01 BTC
    swap.apply_snapshot([["95000", "100"]], [["95000.1", "100"], ["95001", "100"]])
    est = CostEstimator(
        "okx", "BTC-USDT-SWAP", "Lv1", volatility=0.02, daily_volume_usd=1e9, contract_value=0.01
    )
    r = est.estimate(swap, "buy", quantity=1.5)  # 150 contracts
    assert r.levels == 2 and r.complete
    assert est.fees.market == "swap"
