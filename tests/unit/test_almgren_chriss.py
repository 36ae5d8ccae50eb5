"""Almgren & Chriss (2000), exact discrete model: the paper's example and reference numbers.

Oracles: the numbers the paper prints for its §3.4 example, the reference table of
shared research notes (cost-models.md §1.7, cross-checked there against DROP's Java outputs), the
closed forms of eqs. (10)-(13) and (20), an independent linear solve of the first-order conditions,
and a Monte Carlo of the price dynamics eqs. (1)-(2).
"""

from __future__ import annotations

import math
from decimal import Decimal, getcontext

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradecost import AlmgrenChriss, ModelDomainError, Schedule
from tradecost.errors import InvalidInputError

X = 1e6  # shares
T = 5.0  # days
N = 5

PAPER = AlmgrenChriss(sigma=0.95, eta=2.5e-6, gamma=2.5e-7, epsilon=1 / 16, risk_aversion=1e-6)


def paper(risk_aversion: float) -> AlmgrenChriss:
    return PAPER.with_risk_aversion(risk_aversion)


def solve_first_order_conditions(ac: AlmgrenChriss, quantity: float, horizon: float, steps: int):
    """Minimise E + λV over x_1..x_{N-1} by solving the linear FOC system directly (eq. 16's
    left-hand form): (η̃/τ)(2x_j − x_{j−1} − x_{j+1}) + λσ²τ x_j = 0, x_0 = X, x_N = 0."""
    tau = horizon / steps
    eta_tilde = ac.eta - 0.5 * ac.gamma * tau
    k = steps - 1
    matrix = np.zeros((k, k))
    rhs = np.zeros(k)
    for i in range(k):
        matrix[i, i] = 2.0 * eta_tilde / tau + ac.risk_aversion * ac.sigma**2 * tau
        if i > 0:
            matrix[i, i - 1] = -eta_tilde / tau
        if i < k - 1:
            matrix[i, i + 1] = -eta_tilde / tau
    rhs[0] = eta_tilde / tau * quantity
    return np.concatenate([[quantity], np.linalg.solve(matrix, rhs), [0.0]])


# --- what the paper prints ------------------------------------------------------------------------


def test_paper_printed_numbers():
    s = PAPER.schedule(quantity=X, horizon=T, steps=N)
    # "from (19) ... κ ≈ 0.6/day" and "κT ≈ 3" (paper §3.4)
    assert round(s.kappa, 1) == 0.6
    assert round(s.kappa_horizon) == 3
    # eq. (19) small-τ approximation √(λσ²/η) = 0.600833; κ̃ = √(λσ²/η̃) = 0.616441
    assert math.sqrt(1e-6 * 0.95**2 / 2.5e-6) == pytest.approx(0.600833, abs=5e-7)
    assert math.sqrt(1e-6 * 0.95**2 / PAPER.eta_tilde(1.0)) == pytest.approx(0.616441, abs=5e-7)
    # σ√T = 2.12 $/share; √V of holding the position for T = 2.12 M$ (eq. 5 with x_k = X, N → ∞)
    steps = 1_000_000
    held = np.full(steps + 1, X)
    held[-1] = 0.0
    assert math.sqrt(PAPER.variance(held, T)) / 1e6 == pytest.approx(2.12426, abs=5e-6)
    # "twice the value of √V for the lowest point in Fig. 3" (linear strategy): 2.041
    ratio = math.sqrt(PAPER.variance(held, T)) / PAPER.twap(X, T, N).std
    assert round(ratio, 3) == 2.041


# --- reference table (cost-models.md §1.7), to the printed digits ---------------------------------

REFERENCE = [
    # λ, κ, θ, x_1..x_4, n_1..n_5 (None: not printed), E, V
    (
        1e-6,
        0.607076,
        1.6472,
        (541_955.6, 289_854.2, 147_897.5, 62_141.8),
        (458_044.4, 252_101.3, 141_956.7, 85_755.7, 62_141.8),
        911_227.0,
        3.641286e11,
    ),
    (
        2e-6,
        0.846297,
        1.1816,
        (428_598.8, 182_932.8, 76_295.7, 27_643.4),
        (571_401.2, 245_666.0, 106_637.1, 48_652.3, 27_643.4),
        1_140_715.2,
        2.019313e11,
    ),
    (
        -2e-7,
        -0.276562,
        None,
        (910_056.4, 750_948.6, 534_768.6, 277_946.3),
        (89_943.6, 159_107.9, 216_179.9, 256_822.4, 277_946.3),
        717_958.1,
        1.584211e12,
    ),
    (
        2.5e-7,
        0.307014,
        3.2572,
        (705_281.7, 477_565.2, 295_217.4, 140_915.2),
        None,
        699_622.8,
        7.513324e11,
    ),
    (1e-5, 1.726711, 0.5791, (177_868.3, 31_636.2, 5_621.6, 969.2), None, 1_845_211.3, 2.948515e10),
]


@pytest.mark.parametrize(
    ("lam", "kappa", "theta", "holdings", "trades", "cost", "variance"), REFERENCE
)
def test_reference_table(lam, kappa, theta, holdings, trades, cost, variance):
    s = paper(lam).schedule(quantity=X, horizon=T, steps=N)
    assert round(s.kappa, 6) == kappa
    if theta is None:
        assert math.isnan(s.e_folding_time)
        assert math.isnan(s.half_life)
    else:
        assert round(s.e_folding_time, 4) == theta
        assert s.half_life == pytest.approx(math.log(2) * s.e_folding_time, rel=1e-15)
    assert s.holdings[0] == X
    assert s.holdings[-1] == 0.0
    assert tuple(np.round(s.holdings[1:5], 1)) == holdings
    if trades is not None:
        assert tuple(np.round(s.trades, 1)) == trades
    assert round(s.expected_cost, 1) == cost
    assert float(f"{s.variance:.6e}") == variance


def test_twap_reference_and_eqs_10_11():
    s = PAPER.twap(X, T, N)
    assert s.expected_cost == pytest.approx(662_500.0, abs=1e-6)
    # 125,000 (½γX²) + 62,500 (εX) + 475,000 (η̃X²/T): eq. (10)
    half_gamma = 0.5 * PAPER.gamma * X**2
    assert half_gamma == 125_000.0
    assert s.expected_cost - half_gamma - PAPER.epsilon * X == pytest.approx(475_000.0, abs=1e-6)
    assert s.variance == pytest.approx(1.083e12, rel=1e-12)
    assert round(s.std, 1) == 1_040_672.9
    # eq. (11) as written in the paper
    eq11 = PAPER.sigma**2 * X**2 * T * (1 - 1 / N) * (1 - 1 / (2 * N)) / 3
    assert s.variance == pytest.approx(eq11, rel=1e-14)
    # 132.5 bp of the $50M notional and √V = 208 bp
    assert round(s.expected_cost / (50 * X) * 1e4, 1) == 132.5
    assert round(s.std / (50 * X) * 1e4) == 208
    assert s.kappa == 0.0
    assert s.e_folding_time == math.inf
    assert np.array_equal(s.trades, np.full(N, X / N))


def test_minimum_variance_reference_and_eq_13():
    s = PAPER.minimum_variance(X, T, N)
    assert s.expected_cost == pytest.approx(2_562_500.0, abs=1e-6)
    assert s.expected_cost == pytest.approx(PAPER.epsilon * X + PAPER.eta * X**2 / (T / N))
    assert s.variance == 0.0
    assert s.components.permanent == 0.0  # ½γX² cancels against −½γΣn²
    assert s.kappa == math.inf
    assert s.e_folding_time == 0.0


def test_unrounded_sigma_calibration_matches_drop_components():
    # Paper rules of thumb from the market description (§3.4): σ = 0.3/√250 · 50 unrounded.
    ac = AlmgrenChriss.calibrate(
        price=50.0, daily_volume=5e6, daily_volatility=0.3 / math.sqrt(250), spread=1 / 8
    )
    assert ac.sigma == pytest.approx(0.948683, abs=5e-7)
    assert ac.eta == pytest.approx(2.5e-6, rel=1e-15)
    assert ac.gamma == pytest.approx(2.5e-7, rel=1e-15)
    assert ac.epsilon == 0.0625
    s = ac.with_risk_aversion(1e-6).schedule(X, T, N)
    assert round(s.kappa, 4) == 0.6063
    assert round(s.e_folding_time, 4) == 1.6495
    assert tuple(np.round(s.holdings, 1)) == (
        1_000_000.0,
        542_380.7,
        290_295.1,
        148_216.1,
        62_303.2,
        0.0,
    )
    assert round(s.expected_cost, 1) == 910_477.8
    assert float(f"{s.variance:.6e}") == 3.638680e11
    # eq. (4) components: permanent γΣx n, spread εX, temporary (η/τ)Σn²
    assert round(s.components.permanent, 1) == 86_948.5
    assert s.components.spread == 62_500.0
    assert round(s.components.temporary, 1) == 761_029.3
    assert round(s.components.spread + s.components.temporary, 1) == 823_529.3  # DROP's split
    assert s.components.impact == pytest.approx(s.expected_cost - 62_500.0, rel=1e-15)
    s2 = ac.with_risk_aversion(2e-6).schedule(X, T, N)
    assert round(s2.expected_cost, 1) == 1_139_645.3
    assert float(f"{s2.variance:.6e}") == 2.019061e11


def test_value_at_risk_schedule():
    best = PAPER.value_at_risk_schedule(X, T, N, z=1.645)
    assert best.risk_aversion == pytest.approx(1.69e-6, abs=5e-9)
    assert round(best.value_at_risk(1.645) / 1e6, 3) == 1.877
    # The notes quote E = $1.078M and √V = $0.486M to three figures, read off at λ = 1.69e-6;
    # at the exact optimum λ* = 1.6944e-6 they are 1.0787M and 0.4854M.
    assert best.expected_cost == pytest.approx(1.078e6, abs=1e3)
    assert best.std == pytest.approx(0.486e6, abs=1e3)
    # first-order condition along the frontier: λ = z/(2√V)
    assert best.risk_aversion == pytest.approx(1.645 / (2 * best.std), rel=1e-6)
    for factor in (0.9, 1.1, 0.5, 2.0):
        other = paper(best.risk_aversion * factor).schedule(X, T, N)
        assert other.value_at_risk(1.645) > best.value_at_risk(1.645)
    assert best.value_at_risk() < PAPER.twap(X, T, N).value_at_risk()


# --- closed forms vs trajectory, and an independent solve ---------------------------------------


@pytest.mark.parametrize("lam", [1e-9, 1e-7, 2.5e-7, 1e-6, 2e-6, 1e-5, 1e-3, 1.0, -1e-7, -2e-7])
def test_frontier_closed_forms_match_trajectory(lam):
    s = paper(lam).schedule(X, T, N)
    f = PAPER.frontier(X, T, N, [lam])
    assert f.kappa[0] == pytest.approx(s.kappa, rel=1e-13)
    assert f.expected_cost[0] == pytest.approx(s.expected_cost, rel=1e-12)
    assert f.variance[0] == pytest.approx(s.variance, rel=1e-10, abs=1e-12 * X**2)
    assert f.permanent[0] == pytest.approx(s.components.permanent, rel=1e-8, abs=1e-6)
    assert f.temporary[0] == pytest.approx(s.components.temporary, rel=1e-12)
    assert f.spread[0] == pytest.approx(s.components.spread, rel=1e-15)


@settings(max_examples=60, deadline=None)
@given(
    sigma=st.floats(0.01, 10.0),
    eta=st.floats(1e-8, 1e-3),
    gamma_share=st.floats(0.0, 0.9),
    lam=st.floats(1e-9, 1e-4),
    steps=st.integers(2, 80),
    horizon=st.floats(0.1, 20.0),
)
def test_schedule_solves_first_order_conditions(sigma, eta, gamma_share, lam, steps, horizon):
    tau = horizon / steps
    gamma = gamma_share * 2.0 * eta / tau  # keeps η̃ > 0
    ac = AlmgrenChriss(sigma=sigma, eta=eta, gamma=gamma, epsilon=0.01, risk_aversion=lam)
    s = ac.schedule(1e4, horizon, steps)
    solved = solve_first_order_conditions(ac, 1e4, horizon, steps)
    np.testing.assert_allclose(s.holdings, solved, rtol=1e-8, atol=1e-8 * 1e4)
    f = ac.frontier(1e4, horizon, steps, [lam])
    assert f.expected_cost[0] == pytest.approx(s.expected_cost, rel=1e-9)
    assert f.variance[0] == pytest.approx(s.variance, rel=1e-7, abs=1e-12 * s.variance + 1e-30)


@settings(max_examples=40, deadline=None)
@given(
    lam=st.floats(-1e-7, 1e-4).filter(lambda v: v != 0.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_schedule_minimises_objective(lam, seed):
    ac = paper(lam)
    s = ac.schedule(X, T, N)
    objective = s.expected_cost + lam * s.variance
    rng = np.random.default_rng(seed)
    for _ in range(5):
        bump = np.zeros(N + 1)
        bump[1:-1] = rng.normal(0.0, 5e3, N - 1)
        other = s.holdings + bump
        value = ac.expected_cost(other, T) + lam * ac.variance(other, T)
        assert value >= objective - 1e-9 * abs(objective)


def test_frontier_slope_is_minus_lambda_and_convex():
    lams = np.geomspace(1e-8, 1e-4, 41)
    h = 1e-4
    up = PAPER.frontier(X, T, N, lams * (1 + h))
    down = PAPER.frontier(X, T, N, lams * (1 - h))
    slope = (up.expected_cost - down.expected_cost) / (up.variance - down.variance)
    np.testing.assert_allclose(slope, -lams, rtol=1e-6)
    f = PAPER.frontier(X, T, N, lams)
    assert np.all(np.diff(f.expected_cost) > 0)
    assert np.all(np.diff(f.variance) < 0)
    # convex E(V): slopes −λ become steeper as V decreases
    dv = np.diff(f.variance)
    de = np.diff(f.expected_cost)
    assert np.all(np.diff(de / dv) < 0)


def test_frontier_vectorised_over_thousand_lambdas():
    lams = np.concatenate([[0.0, -2e-7], np.geomspace(1e-10, 1e2, 998)])
    f = PAPER.frontier(X, T, N, lams)
    assert f.expected_cost.shape == (1000,)
    assert np.all(np.isfinite(f.expected_cost))
    assert np.all(np.isfinite(f.variance))
    assert f.expected_cost[0] == pytest.approx(662_500.0, abs=1e-6)
    assert round(f.expected_cost[1], 1) == 717_958.1
    # large λ approaches the minimum-variance point
    assert f.expected_cost[-1] == pytest.approx(2_562_500.0, rel=1e-6)
    assert f.variance[-1] < 1e-6 * PAPER.twap(X, T, N).variance
    np.testing.assert_allclose(f.value_at_risk(1.645), f.expected_cost + 1.645 * f.std)


# --- limits, overflow, tiny τ -------------------------------------------------------------------


def test_twap_limit_lambda_to_zero():
    twap = PAPER.twap(X, T, N)
    for lam in (0.0, 1e-30, 1e-20):
        s = paper(lam).schedule(X, T, N)
        np.testing.assert_allclose(s.holdings, twap.holdings, rtol=1e-12)
        assert s.expected_cost == pytest.approx(twap.expected_cost, rel=1e-12)
        assert s.variance == pytest.approx(twap.variance, rel=1e-12)
    small = paper(1e-14).schedule(X, T, N)
    assert small.variance == pytest.approx(twap.variance, rel=1e-6)
    assert small.variance < twap.variance


def test_minimum_variance_limit_without_overflow():
    minvar = PAPER.minimum_variance(X, T, N)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for lam in (1e3, 1e12, 1e300):
            s = paper(lam).schedule(X, T, N)
            assert np.all(np.isfinite(s.holdings))
            assert s.expected_cost == pytest.approx(minvar.expected_cost, rel=1e-6)
            assert s.variance <= 1e-6 * PAPER.twap(X, T, N).variance
    # κT far beyond exp overflow (≈ 710): 5 days in seconds, 4,000 slices, large λ
    seconds = PAPER.rescale_time(86_400.0)
    s = seconds.with_risk_aversion(1.0).schedule(X, T * 86_400.0, 4_000)
    assert s.kappa_horizon > 1e3
    assert np.all(np.isfinite(s.holdings))
    assert np.all(s.trades >= 0.0)
    f = seconds.frontier(X, T * 86_400.0, 4_000, [1.0])
    assert f.expected_cost[0] == pytest.approx(s.expected_cost, rel=1e-10)
    assert f.variance[0] == pytest.approx(s.variance, rel=1e-8)


def reference_kappa_tau(z: float) -> Decimal:
    getcontext().prec = 60
    zd = Decimal(z)
    return (1 + zd + (zd * (zd + 2)).sqrt()).ln()


def crypto_daily_model(risk_aversion: float) -> AlmgrenChriss:
    # 10 BTC over 1 h in 60 one-minute slices, S₀ = 60,000, σ_d = 3 %, ADV $20B, spread $6.
    return AlmgrenChriss.calibrate(
        price=60_000.0,
        daily_volume=20e9 / 60_000.0,
        daily_volatility=0.03,
        spread=6.0,
        risk_aversion=risk_aversion,
    )


def test_tiny_tau_kappa_without_cancellation():
    ac = crypto_daily_model(1e-6)
    tau = (1 / 24) / 60
    kappa = ac.kappa(1 / 24, 60)
    z = 1e-6 * ac.sigma**2 * tau**2 / (2 * ac.eta_tilde(tau))
    exact = float(reference_kappa_tau(z)) / tau
    assert kappa == pytest.approx(exact, rel=1e-14)
    # the naive arccosh(1 + z) is visibly worse on this case (why the log1p form is used)
    naive = float(np.arccosh(1.0 + z)) / tau
    assert abs(naive - exact) > 1e3 * abs(kappa - exact)


def test_crypto_one_hour_reference_numbers():
    # cost-models.md §3.2 and §7: paper-rule TWAP $34.3 of which $30 is ε; λ = 1e-6 E $34.89,
    # √V $1,761; square-root-matched TWAP $128.6 with $0.009 of ½γX².
    ac = crypto_daily_model(0.0)
    twap = ac.twap(10.0, 1 / 24, 60)
    assert round(twap.expected_cost, 1) == 34.3
    assert twap.components.spread == pytest.approx(30.0, rel=1e-15)
    s = ac.with_risk_aversion(1e-6).schedule(10.0, 1 / 24, 60)
    assert round(s.expected_cost, 2) == 34.89
    assert round(s.std) == 1_761
    matched = AlmgrenChriss.calibrate(
        price=60_000.0,
        daily_volume=20e9 / 60_000.0,
        daily_volatility=0.03,
        spread=6.0,
        method="square_root",
        quantity=10.0,
        horizon=1 / 24,
    )
    twap2 = matched.twap(10.0, 1 / 24, 60)
    assert round(twap2.expected_cost, 1) == 128.6
    assert round(0.5 * matched.gamma * 100.0, 3) == 0.009


@pytest.mark.parametrize("lam", [0.0, 1e-6, 3e-5, -1e-6])
def test_time_unit_invariance(lam):
    # Rescaling time by c: T' = cT, σ' = σ/√c, η' = cη; γ, λ, ε unchanged (cost-models.md §1.8).
    day = crypto_daily_model(lam)
    minute = day.in_time_unit("minute")
    assert minute.time_unit == "minute"
    assert minute.sigma == pytest.approx(day.sigma / math.sqrt(1440.0), rel=1e-15)
    assert minute.eta == pytest.approx(day.eta * 1440.0, rel=1e-15)
    a = day.schedule(10.0, 1 / 24, 60)
    b = minute.schedule(10.0, 60.0, 60)
    np.testing.assert_allclose(a.holdings, b.holdings, rtol=1e-12, atol=1e-13)
    assert a.expected_cost == pytest.approx(b.expected_cost, rel=1e-12)
    assert a.variance == pytest.approx(b.variance, rel=1e-12)
    assert a.kappa == pytest.approx(b.kappa * 1440.0, rel=1e-12)
    calibrated = AlmgrenChriss.calibrate(
        price=60_000.0,
        daily_volume=20e9 / 60_000.0,
        daily_volatility=0.03,
        spread=6.0,
        risk_aversion=lam,
        time_unit="minute",
    )
    c = calibrated.schedule(10.0, 60.0, 60)
    assert c.expected_cost == pytest.approx(a.expected_cost, rel=1e-12)
    assert c.variance == pytest.approx(a.variance, rel=1e-12)
    hours = PAPER.rescale_time(24.0).with_risk_aversion(lam).schedule(X, T * 24.0, N)
    days = paper(lam).schedule(X, T, N)
    assert hours.expected_cost == pytest.approx(days.expected_cost, rel=1e-12)


def test_square_root_calibration_is_time_unit_invariant():
    kwargs = {
        "price": 60_000.0,
        "daily_volume": 20e9 / 60_000.0,
        "daily_volatility": 0.03,
        "spread": 6.0,
        "method": "square_root",
        "quantity": 10.0,
    }
    day = AlmgrenChriss.calibrate(**kwargs, horizon=1 / 24)
    second = AlmgrenChriss.calibrate(**kwargs, horizon=3600.0, time_unit="second")
    assert day.twap(10.0, 1 / 24, 60).expected_cost == pytest.approx(
        second.twap(10.0, 3600.0, 60).expected_cost, rel=1e-12
    )


# --- λ < 0, buy programs, any trajectory ----------------------------------------------------------


def test_risk_seeking_bound():
    floor = PAPER.minimum_risk_aversion(T, N)
    tau = T / N
    expected = -4 * PAPER.eta_tilde(tau) * math.sin(math.pi / (2 * N)) ** 2 / (0.95**2 * tau**2)
    assert floor == pytest.approx(expected, rel=1e-15)
    near = paper(floor * (1 - 1e-6)).schedule(X, T, N)
    assert -near.kappa * T == pytest.approx(math.pi, rel=1e-5)
    with pytest.raises(ModelDomainError, match="kT < π"):
        paper(floor * 1.01).schedule(X, T, N)
    with pytest.raises(ModelDomainError):
        PAPER.frontier(X, T, N, [1e-6, floor * 1.5])


def test_any_trajectory_by_hand():
    ac = AlmgrenChriss(sigma=2.0, eta=0.5, gamma=0.1, epsilon=0.25)
    # τ = 1: n = (6, 4)
    parts = ac.cost_components([10.0, 4.0, 0.0], horizon=2.0)
    assert parts.permanent == pytest.approx(0.1 * (4 * 6 + 0 * 4))
    assert parts.spread == pytest.approx(0.25 * 10)
    assert parts.temporary == pytest.approx(0.5 * (36 + 16))
    assert ac.expected_cost([10.0, 4.0, 0.0], 2.0) == pytest.approx(2.4 + 2.5 + 26.0)
    # eq. (8): ½γX² + εΣ|n| + (η̃/τ)Σn²
    eq8 = 0.5 * 0.1 * 100 + 0.25 * 10 + (0.5 - 0.05) * 52
    assert ac.expected_cost([10.0, 4.0, 0.0], 2.0) == pytest.approx(eq8)
    assert ac.variance([10.0, 4.0, 0.0], 2.0) == pytest.approx(4.0 * 1.0 * 16.0)
    # overshooting trajectory: buy 2 then sell 12 pays ε on 14 units
    assert ac.cost_components([10.0, 12.0, 0.0], 2.0).spread == pytest.approx(0.25 * 14)


def test_buy_program_symmetry():
    s = PAPER.schedule(X, T, N)
    bought = -s.holdings
    assert PAPER.expected_cost(bought, T) == pytest.approx(s.expected_cost, rel=1e-15)
    assert PAPER.variance(bought, T) == pytest.approx(s.variance, rel=1e-15)


def test_single_slice_and_zero_quantity():
    one = PAPER.schedule(X, T, 1)
    assert tuple(one.holdings) == (X, 0.0)
    assert one.variance == 0.0
    assert one.expected_cost == pytest.approx(PAPER.epsilon * X + PAPER.eta * X**2 / T)
    assert PAPER.frontier(X, T, 1, [1e-6, -10.0]).expected_cost == pytest.approx(one.expected_cost)
    zero = PAPER.schedule(0.0, T, N)
    assert zero.expected_cost == 0.0
    assert zero.variance == 0.0
    assert not np.any(zero.holdings)


def test_schedule_arrays_are_read_only_and_consistent():
    s = PAPER.schedule(X, T, N)
    assert isinstance(s, Schedule)
    with pytest.raises(ValueError, match="read-only"):
        s.holdings[1] = 0.0
    np.testing.assert_allclose(np.diff(-s.holdings), s.trades, rtol=1e-15)
    np.testing.assert_allclose(s.times, np.arange(N + 1) * 1.0)
    assert s.tau == 1.0


# --- Monte Carlo of the price dynamics ------------------------------------------------------------


def test_monte_carlo_of_price_dynamics():
    """Simulate eqs. (1)-(2) and compare the realised shortfall with E and V (eqs. 8 and 5)."""
    s = PAPER.schedule(X, T, N)
    tau = s.tau
    paths = 40_000
    rng = np.random.default_rng(20001214)
    xi = rng.standard_normal((paths, N))
    s0 = 50.0
    price = np.full(paths, s0)
    capture = np.zeros(paths)
    for k in range(N):
        n = s.trades[k]
        executed = price - PAPER.epsilon * np.sign(n) - PAPER.eta / tau * n  # eq. (2)
        capture += n * executed
        price = price + PAPER.sigma * math.sqrt(tau) * xi[:, k] - PAPER.gamma * n  # eq. (1)
    shortfall = X * s0 - capture
    mean_error = abs(shortfall.mean() - s.expected_cost)
    assert mean_error < 4.0 * shortfall.std() / math.sqrt(paths)
    assert shortfall.var() == pytest.approx(s.variance, rel=4.0 * math.sqrt(2.0 / paths))


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"quantity": -1.0}, "quantity"),
        ({"quantity": math.nan}, "quantity"),
        ({"quantity": math.inf}, "quantity"),
        ({"horizon": 0.0}, "horizon"),
        ({"horizon": -1.0}, "horizon"),
        ({"steps": 0}, "steps"),
        ({"steps": 2.5}, "steps"),
        ({"steps": True}, "steps"),
    ],
)
def test_bad_schedule_input(kwargs, match):
    args = {"quantity": X, "horizon": T, "steps": N, **kwargs}
    for method in (PAPER.schedule, PAPER.twap, PAPER.minimum_variance):
        with pytest.raises(InvalidInputError, match=match):
            method(**args)


def test_eta_tilde_not_positive_is_rejected():
    ac = AlmgrenChriss(sigma=1.0, eta=1e-6, gamma=1e-6, epsilon=0.0, risk_aversion=1e-6)
    assert ac.eta_tilde(2.0) == 0.0
    with pytest.raises(ModelDomainError, match="η̃") as info:
        ac.schedule(100.0, horizon=2.0, steps=1)
    assert isinstance(info.value, ValueError)
    for call in (
        lambda: ac.twap(100.0, 4.0, 2),
        lambda: ac.expected_cost([1.0, 0.0], 3.0),
        lambda: ac.frontier(100.0, 3.0, 1, [1e-6]),
    ):
        with pytest.raises(ModelDomainError):
            call()
    assert ac.schedule(100.0, horizon=2.0, steps=2).expected_cost > 0.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sigma": -1.0},
        {"sigma": math.nan},
        {"eta": 0.0},
        {"eta": -1e-6},
        {"gamma": -1e-7},
        {"epsilon": math.inf},
        {"risk_aversion": math.nan},
        {"time_unit": "fortnight"},
    ],
)
def test_bad_model_parameters(kwargs):
    args = {"sigma": 0.95, "eta": 2.5e-6, "gamma": 2.5e-7, "epsilon": 0.0625, **kwargs}
    with pytest.raises(InvalidInputError):
        AlmgrenChriss(**args)


def test_bad_trajectories_and_units():
    with pytest.raises(InvalidInputError, match="x_N = 0"):
        PAPER.expected_cost([X, 5.0], T)
    with pytest.raises(InvalidInputError, match="finite"):
        PAPER.variance([X, math.nan, 0.0], T)
    with pytest.raises(InvalidInputError, match="1-d"):
        PAPER.variance([0.0], T)
    with pytest.raises(InvalidInputError, match="time unit"):
        AlmgrenChriss.calibrate(50.0, 5e6, 0.02, 0.125, time_unit="week")
    with pytest.raises(InvalidInputError, match="time_unit"):
        PAPER.in_time_unit("minute")
    with pytest.raises(InvalidInputError, match="method"):
        AlmgrenChriss.calibrate(50.0, 5e6, 0.02, 0.125, method="guess")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="quantity"):
        AlmgrenChriss.calibrate(50.0, 5e6, 0.02, 0.125, method="square_root")
    with pytest.raises(InvalidInputError, match="spread"):
        AlmgrenChriss.calibrate(50.0, 5e6, 0.02, 0.0)
    with pytest.raises(InvalidInputError):
        PAPER.frontier(X, T, N, [1e-6, math.nan])
