"""Scheduled orders keep the square-root law's impact; fees come from FeeSchedule.fee on the
filled notional; the cost curve says how its impact was computed."""

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
    params = {"volatility": 0.03, "daily_volume_usd": 25e6}
    params.update(kwargs)
    return CostEstimator("okx", "BTC-USDT", "Lv1", **params)


@pytest.mark.parametrize("horizon", [60.0, 3600.0])
@pytest.mark.parametrize("steps", [1, 2, 10, 60])
def test_twap_permanent_impact_follows_the_square_root_law(book, horizon, steps):
    """λ = 0 is TWAP: slice k pays the move γ·(X − x_k) of the slices before it, so the
    permanent cost is γ·Σ x_k·n_k = ½·γ·X²·(1 − 1/N). With γ·X = the square-root law's move
    Y·σ·√(Q/V)·S₀, that is ½·(1 − 1/N) of the immediate order's impact."""
    est = estimator()
    immediate = est.estimate(book, "buy", quantity=4.0)
    scheduled = est.estimate(book, "buy", quantity=4.0, horizon_s=horizon, steps=steps)
    move = 0.03 * math.sqrt(4.0 * book.mid / 25e6)  # Y = 1, fraction of the mid
    assert immediate.impact_usd == pytest.approx(move * 4.0 * book.mid, rel=1e-12)
    expected = 0.5 * (1.0 - 1.0 / steps) * move * book.mid * 4.0
    assert scheduled.impact_usd == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert scheduled.impact_bps == pytest.approx(
        0.5 * (1.0 - 1.0 / steps) * immediate.impact_bps, rel=1e-9, abs=1e-12
    )
    assert "square_root" in scheduled.impact_model and f"N={steps}" in scheduled.impact_model


def test_a_liquid_book_no_longer_makes_a_schedule_look_free():
    """The issue's case: one estimator, a $1M buy on a one-tick-spread book."""
    book = tc.OrderBook("0.1")
    book.apply_snapshot(
        [[f"{95000 - 0.1 * i:.1f}", "5"] for i in range(400)],
        [[f"{95000.1 + 0.1 * i:.1f}", "5"] for i in range(400)],
    )
    est = CostEstimator("okx", "BTC-USDT", "Lv1", volatility=0.02, daily_volume_usd=1e9)
    immediate = est.estimate(book, "buy", 1e6)
    minute = est.estimate(book, "buy", 1e6, horizon_s=60.0, steps=10)
    hour = est.estimate(book, "buy", 1e6, horizon_s=3600.0, steps=10)
    assert immediate.impact_bps == pytest.approx(0.02 * math.sqrt(1e6 / 1e9) * 1e4)  # 6.3 bps
    for scheduled in (minute, hour):
        assert scheduled.impact_bps == pytest.approx(0.45 * immediate.impact_bps, rel=1e-9)
        assert scheduled.risk_usd >= 0.0


def test_risk_aversion_front_loads_and_still_reports_a_permanent_cost(book):
    est = estimator(risk_aversion=1e-3)
    eager = est.estimate(book, "sell", quantity=4.0, horizon_s=3600.0, steps=10)
    twap = estimator().estimate(book, "sell", quantity=4.0, horizon_s=3600.0, steps=10)
    assert eager.impact_usd > 0.0 and eager.risk_usd < twap.risk_usd


def test_schedule_model_is_calibrated_on_the_immediate_inputs(book):
    est = estimator(impact_coefficient=0.7)
    ac = est.schedule_model(book.mid, 4.0, 0.03, 25e6, 600.0, book.spread)
    law = 0.7 * 0.03 * book.mid * math.sqrt(4.0 * book.mid / 25e6)  # per unit, price units
    assert ac.gamma * 4.0 == pytest.approx(law, rel=1e-12)
    assert ac.eta * 4.0 / 600.0 == pytest.approx(law, rel=1e-12)  # TWAP temporary per unit
    assert ac.epsilon == pytest.approx(book.spread / 2.0)


def test_calibrate_permanent_square_root_and_its_errors():
    ac = tc.AlmgrenChriss.calibrate(
        price=100.0, daily_volume=1e6, daily_volatility=0.02, spread=0.1,
        quantity=1e4, horizon=1.0, method="square_root", permanent="square_root",
    )  # fmt: skip
    assert ac.gamma * 1e4 == pytest.approx(0.02 * 100.0 * math.sqrt(1e-2), rel=1e-12)
    paper = tc.AlmgrenChriss.calibrate(100.0, 1e6, 0.02, 0.1)
    assert paper.gamma == pytest.approx(0.1 / (0.1 * 1e6), rel=1e-15)
    with pytest.raises(tc.InvalidInputError, match="quantity="):
        tc.AlmgrenChriss.calibrate(100.0, 1e6, 0.02, 0.1, permanent="square_root")
    with pytest.raises(tc.InvalidInputError, match="permanent"):
        tc.AlmgrenChriss.calibrate(100.0, 1e6, 0.02, 0.1, permanent="magic")  # type: ignore[arg-type]


class _MinimumFee(tc.FeeSchedule):
    """A schedule with a per-order minimum charge: only its own fee() knows about it."""

    def fee(self, notional: float, maker_fraction: float = 0.0) -> float:
        return max(super().fee(notional, maker_fraction), 1.0)


def test_estimate_charges_what_the_fee_schedule_says(book):
    base = tc.FeeSchedule.for_exchange("okx", "spot", "Lv1")
    fees = _MinimumFee(**{f: getattr(base, f) for f in base.__dataclass_fields__})
    r = estimator(fees=fees).estimate(book, "buy", 10.0)
    assert r.fee_usd == 1.0
    assert r.net_cost_usd == pytest.approx(r.slippage_usd + 1.0 + r.impact_usd, rel=1e-12)


def test_fees_are_charged_on_the_filled_notional(book):
    est = estimator()
    fees = est.fees
    for side in ("buy", "sell"):
        r = est.estimate(book, side, quantity=2.5)
        filled = 2.5 * r.avg_price
        assert r.fee_usd == pytest.approx(fees.taker * filled, rel=1e-12)
        assert r.fee_usd != pytest.approx(fees.taker * r.notional_usd, rel=1e-6)


class _HalfFill:
    def fill_probability(self, book, side, distance_ticks, notional, horizon_s):  # type: ignore[no-untyped-def]
        return 0.5, "half"


def test_limit_order_fee_is_maker_taker_weighted_on_the_filled_notional(book):
    est = estimator(fill_model=_HalfFill())
    r = est.estimate(book, "buy", quantity=1.0, order_type="limit", offset_bps=0.0)
    assert r.maker_fraction == pytest.approx(0.5)
    blended = est.fees.maker * 0.5 + est.fees.taker * 0.5
    assert r.fee_usd == pytest.approx(blended * r.quantity * r.avg_price, rel=1e-12)


def test_limit_order_without_a_fill_model_raises_as_documented(book):
    doc = CostEstimator.__doc__ or ""
    assert "documented baseline" not in doc
    assert "raises" in doc and "fill_model" in doc
    with pytest.raises(tc.InvalidInputError, match="fill_model"):
        estimator().estimate(book, "buy", 10.0, order_type="limit", offset_bps=0.0)


def test_curve_states_almgren_chriss_impact_instead_of_nan(book):
    est = estimator(impact_model="almgren_chriss")
    sizes = np.array([10.0, 150.0, 400.0])
    curve = est.estimate_curve(book, "buy", sizes)
    assert np.isfinite(curve.impact_bps).all() and curve.flags == ()
    assert curve.impact_model.startswith("almgren_chriss")
    for i, usd in enumerate(sizes):
        r = est.estimate(book, "buy", float(usd))
        assert curve.impact_bps[i] == pytest.approx(r.impact_bps, rel=1e-9)
        assert curve.net_cost_bps[i] == pytest.approx(r.net_cost_bps, rel=1e-9)


def test_curve_flags_unavailable_impact(book):
    curve = CostEstimator("okx", "BTC-USDT", "Lv1").estimate_curve(book, "sell", [10.0, 20.0])
    assert np.isnan(curve.impact_bps).all()
    assert curve.flags == ("impact_unavailable",)
    assert curve.impact_model.startswith("unavailable")
    np.testing.assert_allclose(curve.net_cost_bps, curve.slippage_bps + curve.fee_bps)


class _FillWithin:
    """P(fill) grows with the resting time, so the horizon reaching the model is visible."""

    def fill_probability(self, book, side, distance_ticks, notional, horizon_s):  # type: ignore[no-untyped-def]
        return min(1.0, horizon_s / 1200.0), "within"


@pytest.mark.parametrize(
    ("order", "kwargs"),
    [
        ("market", {"quantity": 4.0, "steps": 10}),
        ("limit", {"quantity": 4.0, "offset_bps": 1.0}),
    ],
)
def test_horizon_is_the_deprecated_name_of_horizon_s(book, order, kwargs):
    """``horizon=`` (seconds, the old keyword) still prices the same order as ``horizon_s=``,
    with a DeprecationWarning; giving both is refused."""
    est = estimator(fill_model=_FillWithin())
    new = est.estimate(book, "buy", order_type=order, horizon_s=600.0, **kwargs)
    with pytest.warns(DeprecationWarning, match="horizon_s"):
        old = est.estimate(book, "buy", order_type=order, horizon=600.0, **kwargs)
    for name in ("slippage_usd", "impact_usd", "fee_usd", "net_cost_usd", "maker_fraction"):
        assert getattr(old, name) == getattr(new, name), name
    assert old.impact_model == new.impact_model
    if order == "limit":
        assert new.fill_probability == 0.5
    else:
        assert "T=600s" in new.impact_model
    with pytest.raises(tc.InvalidInputError, match="horizon_s"):
        est.estimate(book, "buy", order_type=order, horizon=600.0, horizon_s=600.0, **kwargs)
