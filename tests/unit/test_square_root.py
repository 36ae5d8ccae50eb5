"""Square-root impact law and the single-order (immediate) impact estimates."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradecost import AlmgrenChriss, ImmediateImpact, SquareRootImpact
from tradecost.errors import InvalidInputError

ADV_USD = 25e9


@pytest.mark.parametrize(
    ("daily_volatility", "coefficient", "notional", "bps"),
    [
        # cost-models.md §3.1 reference values, V = $25B
        (0.03, 1.0, 600e3, 1.470),
        (0.03, 1.0, 6e6, 4.648),
        (0.03, 1.0, 60e6, 14.70),
        (0.02, 0.5, 600e3, 0.490),
        (0.04, 0.5, 60e6, 9.80),
    ],
)
def test_reference_values(daily_volatility, coefficient, notional, bps):
    law = SquareRootImpact(daily_volatility, ADV_USD, coefficient=coefficient)
    digits = len(str(bps).split(".")[1])
    assert round(law.bps(notional), digits) == bps


def test_dollar_cost_reference():
    law = SquareRootImpact(0.03, ADV_USD)
    # 1.470 bp of $600k = $88.2 (quantities in quote units, price 1)
    assert round(law.cost(600e3, 1.0), 1) == 88.2
    # 10 BTC at 60,000 on $20B ADV (333,333 BTC): 1.64 bp ≈ $98 (cost-models.md §3.2)
    btc = SquareRootImpact(0.03, 20e9 / 60_000.0)
    assert round(btc.bps(10.0), 2) == 1.64
    assert round(btc.cost(10.0, 60_000.0)) == 99  # $98.59
    assert btc.price_move(10.0, 60_000.0) == pytest.approx(9.859006, rel=1e-6)


def test_immediate_impact_estimates_state_their_model():
    btc = SquareRootImpact(0.03, 20e9 / 60_000.0)
    root = btc.immediate_impact(10.0, 60_000.0)
    assert isinstance(root, ImmediateImpact)
    assert root.model == "square_root"
    assert root.cost == pytest.approx(btc.cost(10.0, 60_000.0), rel=1e-15)
    assert root.bps == pytest.approx(btc.bps(10.0), rel=1e-15)
    assert root.price_move == pytest.approx(root.fraction * 60_000.0, rel=1e-15)
    ac = AlmgrenChriss.calibrate(60_000.0, 20e9 / 60_000.0, 0.03, spread=6.0)
    linear = ac.immediate_impact(10.0, 60_000.0)
    assert linear.model == "almgren_chriss_linear"
    assert linear.price_move == pytest.approx(ac.gamma * 10.0, rel=1e-15)
    assert linear.price_move == ac.permanent_price_move(10.0)
    assert linear.cost == pytest.approx(ac.gamma * 100.0, rel=1e-15)
    # γ = spread/(0.1·ADV): 10 BTC move the price by 6/33,333.3 per BTC · 10 = $0.0018
    assert linear.price_move == pytest.approx(0.0018, rel=1e-12)


def test_square_root_matched_calibration_reproduces_the_law():
    """With method='square_root', the TWAP's temporary cost equals the law's cost at that size."""
    btc = SquareRootImpact(0.03, 20e9 / 60_000.0, coefficient=0.7)
    ac = AlmgrenChriss.calibrate(
        60_000.0,
        20e9 / 60_000.0,
        0.03,
        spread=6.0,
        method="square_root",
        quantity=10.0,
        horizon=1 / 24,
        impact_coefficient=0.7,
    )
    for steps in (1, 12, 60):
        twap = ac.twap(10.0, 1 / 24, steps)
        assert twap.components.temporary == pytest.approx(btc.cost(10.0, 60_000.0), rel=1e-12)


def test_general_exponent():
    law = SquareRootImpact(0.02, 1e6, coefficient=1.0, exponent=0.6)
    assert law.fraction(1e4) == pytest.approx(0.02 * 0.01**0.6, rel=1e-15)


@given(
    quantity=st.floats(1e-6, 1e9),
    daily_volatility=st.floats(1e-4, 0.5),
    coefficient=st.floats(0.01, 5.0),
)
def test_square_root_scaling(quantity, daily_volatility, coefficient):
    law = SquareRootImpact(daily_volatility, 1e8, coefficient=coefficient)
    base = law.fraction(quantity)
    assert law.fraction(4.0 * quantity) == pytest.approx(2.0 * base, rel=1e-12)
    assert law.fraction(2.0 * quantity) > base
    doubled = SquareRootImpact(2.0 * daily_volatility, 1e8, coefficient=coefficient)
    assert doubled.fraction(quantity) == pytest.approx(2.0 * base, rel=1e-12)
    assert law.fraction(0.0) == 0.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"daily_volatility": -0.01},
        {"daily_volatility": math.nan},
        {"daily_volume": 0.0},
        {"coefficient": -1.0},
        {"exponent": 0.0},
        {"exponent": 1.5},
    ],
)
def test_bad_parameters(kwargs):
    args = {"daily_volatility": 0.03, "daily_volume": 1e6, **kwargs}
    with pytest.raises(InvalidInputError):
        SquareRootImpact(**args)


@pytest.mark.parametrize("quantity", [-1.0, math.nan, math.inf])
def test_bad_quantity(quantity):
    law = SquareRootImpact(0.03, 1e6)
    with pytest.raises(InvalidInputError, match="quantity"):
        law.fraction(quantity)
    with pytest.raises(InvalidInputError):
        law.immediate_impact(quantity, 100.0)
    with pytest.raises(InvalidInputError, match="quantity"):
        AlmgrenChriss(sigma=1.0, eta=1e-6).immediate_impact(quantity, 100.0)
    with pytest.raises(InvalidInputError, match="price"):
        law.cost(1.0, 0.0)
