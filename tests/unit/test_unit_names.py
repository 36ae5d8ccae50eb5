"""Units in names: ``notional_usd=`` beside the design card's ``quantity_usd=``, and the
imaginary-κ branch of Almgren-Chriss said by a flag and ``k`` instead of a sign."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest

import tradecost as tc
from tradecost.errors import InvalidInputError


def _book() -> tc.OrderBook:
    book = tc.OrderBook("0.1", inst_id="BTC-USDT")
    book.apply_snapshot(
        [["100.0", "2"], ["99.9", "3"], ["99.5", "10"]],
        [["100.1", "1.5"], ["100.3", "4"], ["101.0", "10"]],
    )
    return book


def _estimator() -> tc.CostEstimator:
    return tc.CostEstimator("okx", "BTC-USDT", "Lv1", volatility=0.02, daily_volume_usd=1e9)


def _same(a: tc.CostEstimate, b: tc.CostEstimate) -> None:
    left = dataclasses.asdict(a)
    right = dataclasses.asdict(b)
    left.pop("latency_ns")
    right.pop("latency_ns")
    assert left == right


@pytest.mark.parametrize("side", ["buy", "sell"])
@pytest.mark.parametrize("size", [50.0, 400.0, 5000.0])
def test_notional_usd_is_the_design_cards_quantity_usd(side: str, size: float):
    book = _book()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the design card's keyword is a contract: no warning
        by_card = _estimator().estimate(book, side, quantity_usd=size)
        positional = _estimator().estimate(book, side, size)
    by_name = _estimator().estimate(book, side, notional_usd=size)
    _same(by_name, by_card)
    _same(by_name, positional)
    assert by_name.notional_usd == size
    # the base-unit spelling of the same order agrees on the notional
    assert by_name.quantity == pytest.approx(size / book.mid, rel=1e-15)


def test_giving_both_spellings_or_neither_is_an_error():
    book = _book()
    with pytest.raises(InvalidInputError, match="not both"):
        _estimator().estimate(book, "buy", quantity_usd=100.0, notional_usd=100.0)
    with pytest.raises(InvalidInputError, match="exactly one"):
        _estimator().estimate(book, "buy")
    with pytest.raises(InvalidInputError, match="exactly one"):
        _estimator().estimate(book, "buy", notional_usd=100.0, quantity=1.0)
    with pytest.raises(InvalidInputError, match="notional_usd"):
        _estimator().estimate(book, "buy", notional_usd=-5.0)


def test_estimate_curve_takes_notionals_usd():
    book = _book()
    sizes = [10.0, 200.0, 700.0]
    by_name = _estimator().estimate_curve(book, "buy", notionals_usd=sizes)
    by_card = _estimator().estimate_curve(book, "buy", sizes)
    for field in dataclasses.fields(by_name):
        left = getattr(by_name, field.name)
        right = getattr(by_card, field.name)
        if isinstance(left, np.ndarray):
            np.testing.assert_array_equal(left, right)
        else:
            assert left == right
    # each point equals the single estimate of that size
    for i, size in enumerate(sizes):
        single = _estimator().estimate(book, "buy", notional_usd=size)
        assert by_name.slippage_bps[i] == pytest.approx(single.slippage_bps, rel=1e-12)
    with pytest.raises(InvalidInputError, match="exactly one"):
        _estimator().estimate_curve(book, "buy", sizes, notionals_usd=sizes)
    with pytest.raises(InvalidInputError, match="exactly one"):
        _estimator().estimate_curve(book, "buy")


# --- Almgren & Chriss: κ real or imaginary --------------------------------------------------------

AC = tc.AlmgrenChriss(sigma=0.95, eta=2.5e-6, gamma=2.5e-7, epsilon=1 / 16, risk_aversion=1e-6)
HORIZON = 5.0
STEPS = 5


def _reference_k(risk_aversion: float) -> float:
    """From eq. (16 ff.) directly: cosh κτ = 1 + λσ²τ²/(2η̃) for λ ≥ 0, cos kτ = the same for λ < 0."""
    tau = HORIZON / STEPS
    eta_tilde = AC.eta - 0.5 * AC.gamma * tau
    c = 1.0 + risk_aversion * AC.sigma**2 * tau**2 / (2.0 * eta_tilde)
    return (math.acosh(c) if risk_aversion >= 0 else math.acos(c)) / tau


@pytest.mark.parametrize("risk_aversion", [2e-6, 1e-6, 0.0, -1e-7, -5e-7])
def test_kappa_branch_is_a_flag_and_k_a_magnitude(risk_aversion: float):
    ac = AC.with_risk_aversion(risk_aversion)
    imaginary = risk_aversion < 0
    k = ac.k(HORIZON, STEPS)
    assert k == pytest.approx(_reference_k(risk_aversion), rel=1e-9, abs=1e-15)
    assert ac.kappa_is_imaginary() is imaginary
    # the documented old convention still holds: kappa is −k on the imaginary branch
    assert ac.kappa(HORIZON, STEPS) == (-k if imaginary else k)
    schedule = ac.schedule(quantity=1e6, horizon=HORIZON, steps=STEPS)
    assert schedule.kappa_is_imaginary is imaginary
    assert schedule.k == pytest.approx(k, rel=1e-12, abs=1e-15)
    assert schedule.kappa == pytest.approx(-k if imaginary else k, rel=1e-12, abs=1e-15)


def test_frontier_flags_each_row():
    lams = np.array([-5e-7, 0.0, 1e-6])
    frontier = AC.frontier(1e6, HORIZON, STEPS, lams)
    np.testing.assert_array_equal(frontier.kappa_is_imaginary, [True, False, False])
    expected = [_reference_k(lam) for lam in lams]
    np.testing.assert_allclose(frontier.k, expected, rtol=1e-9, atol=1e-15)
    assert AC.kappa_is_imaginary(-1e-7) is True
    assert AC.kappa_is_imaginary(0.0) is False
