"""pairs.analyze against one least-squares fit per window, Kalman and Huber references."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.pairs.reference import cointegrated_pair, kalman_reference, window_fit
from tradecost import pairs
from tradecost.errors import InvalidInputError


def tiny_moves(n, seed, price=1e5, relative=1e-7):
    """Prices near 1e5 that move by ~1e-7 relative per step (0.01 per step at 1e5)."""
    rng = np.random.default_rng(seed)
    log_x = np.log(price) + np.cumsum(rng.standard_normal(n)) * relative
    log_y = np.log(price * 0.9) + 0.8 * (log_x - np.log(price)) + rng.standard_normal(n) * relative
    return np.exp(log_y), np.exp(log_x)


@pytest.mark.parametrize("ddof", [0, 1, 2])
def test_inclusive_matches_a_fit_per_window_on_tiny_moves_near_1e5(ddof):
    y, x = tiny_moves(2_000, seed=1)
    window = 300
    result = pairs.analyze(y, x, window, ddof=ddof)
    log_y, log_x = np.log(y), np.log(x)
    assert np.isnan(result.beta[: window - 1]).all()
    assert np.isnan(result.zscore[: window - 1]).all()
    for end in range(window - 1, y.size):
        alpha, beta, resid, sd = window_fit(log_y, log_x, end, window, ddof)
        assert result.beta[end] == pytest.approx(beta, rel=1e-9)
        assert result.alpha[end] == pytest.approx(alpha, rel=1e-12)
        # the residual is ~1e-7 in log units: compare on the scale of its standard deviation
        assert abs(result.spread[end] - resid[-1]) <= 1e-6 * sd
        assert result.spread_sd[end] == pytest.approx(sd, rel=1e-6)
        assert result.zscore[end] == pytest.approx(resid[-1] / sd, abs=1e-6)
        xs = log_x[end - window + 1 : end + 1]
        ys = log_y[end - window + 1 : end + 1]
        assert result.correlation[end] == pytest.approx(np.corrcoef(xs, ys)[0, 1], abs=1e-9)


def test_exclusive_scores_the_point_against_the_previous_window():
    y, x = tiny_moves(900, seed=2, relative=1e-4)
    window = 200
    result = pairs.analyze(y, x, window, zscore_window="exclusive", ddof=1)
    log_y, log_x = np.log(y), np.log(x)
    assert np.isnan(result.zscore[:window]).all()
    for end in range(window, y.size):
        alpha, beta, _, sd = window_fit(log_y, log_x, end - 1, window, 1)
        expected = (log_y[end] - alpha - beta * log_x[end]) / sd
        assert result.zscore[end] == pytest.approx(expected, rel=1e-7, abs=1e-9)
    # the in-window (inclusive) z is damped towards 0 relative to the out-of-sample one
    inclusive = pairs.analyze(y, x, window)
    tail = slice(window, None)
    assert np.mean(np.abs(inclusive.zscore[tail])) < np.mean(np.abs(result.zscore[tail]))


@given(
    window=st.integers(3, 60),
    extra=st.integers(0, 200),
    seed=st.integers(0, 2**32 - 1),
    scale=st.sampled_from([1e-6, 1e-3, 1e-1]),
    level=st.sampled_from([1e-2, 1.0, 1e5]),
)
def test_any_window_matches_lstsq(window, extra, seed, scale, level):
    rng = np.random.default_rng(seed)
    n = window + extra
    log_x = math.log(level) + np.cumsum(rng.standard_normal(n)) * scale
    log_y = 0.3 + rng.uniform(-2, 2) * log_x + rng.standard_normal(n) * scale
    result = pairs.analyze(np.exp(log_y), np.exp(log_x), window)
    for end in range(window - 1, n):
        _, beta, resid, sd = window_fit(log_y, log_x, end, window, 1)
        assert result.beta[end] == pytest.approx(beta, rel=1e-6, abs=1e-9)
        assert result.zscore[end] == pytest.approx(resid[-1] / sd, rel=1e-5, abs=1e-6)


def test_window_equal_to_the_data_is_one_full_sample_fit():
    y, x, _, _ = cointegrated_pair(500, beta=1.3, half_life=10, seed=4)
    result = pairs.analyze(y, x, 500)
    assert np.isnan(result.beta[:-1]).all()
    design = np.column_stack([np.ones(500), np.log(x)])
    coef, *_ = np.linalg.lstsq(design, np.log(y), rcond=None)
    assert result.beta[-1] == pytest.approx(coef[1], rel=1e-10)
    assert result.alpha[-1] == pytest.approx(coef[0], rel=1e-9)


def test_cointegrated_pair_recovers_beta_and_half_life_within_sampling_error():
    n, beta, half_life = 20_000, 1.25, 15.0
    y, x, spread, phi = cointegrated_pair(n, beta=beta, half_life=half_life, seed=11)
    log_x = np.log(x)
    whole = pairs.analyze(y, x, n)
    beta_hat = whole.beta[-1]
    # OLS standard error of β, widened for the AR(1) residuals by √((1+φ)/(1−φ))
    centred = log_x - log_x.mean()
    resid_sd = np.std(spread)
    se_beta = resid_sd / math.sqrt(centred @ centred) * math.sqrt((1 + phi) / (1 - phi))
    assert abs(beta_hat - beta) < 4 * se_beta
    eg = pairs.engle_granger(y, x)
    assert eg.beta == pytest.approx(beta_hat, rel=1e-9)
    assert eg.pvalue < 0.01
    # half-life: the AR(1) estimate has sd √((1−φ²)/n); propagate through ln ½ / ln φ
    estimate = pairs.half_life(np.log(y) - eg.beta * log_x)
    se_phi = math.sqrt((1 - phi**2) / n)
    se_half_life = abs(math.log(0.5) / (phi * math.log(phi) ** 2)) * se_phi
    assert abs(estimate - half_life) < 4 * se_half_life
    # the rolling windows scatter around the true β
    rolling = pairs.analyze(y, x, 2_000)
    assert abs(np.nanmedian(rolling.beta) - beta) < 0.05


def test_kalman_matches_the_matrix_reference_and_tracks_beta():
    y, x, _, _ = cointegrated_pair(3_000, beta=0.8, half_life=5, seed=6)
    result = pairs.analyze(y, x, 300, method="kalman", delta=1e-6)
    alpha, beta, innovation, sd = kalman_reference(np.log(y), np.log(x), 300, 1e-6)
    np.testing.assert_allclose(result.beta, beta, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(result.alpha, alpha, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(result.spread, innovation, rtol=1e-8, atol=1e-14)
    np.testing.assert_allclose(result.zscore, innovation / sd, rtol=1e-8, atol=1e-12)
    assert np.isnan(result.beta[:300]).all()
    assert abs(result.beta[-1] - 0.8) < 0.1
    assert result.zscore_window == "exclusive"


def test_huber_matches_statsmodels_rlm():
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(8)
    y, x, _, _ = cointegrated_pair(400, beta=1.1, half_life=8, seed=8)
    log_y = np.log(y)
    outliers = rng.choice(400, 12, replace=False)
    log_y[outliers] += rng.choice([-1, 1], 12) * 0.02
    y = np.exp(log_y)
    window = 120
    result = pairs.analyze(y, x, window, method="huber")
    log_x = np.log(x)
    for end in range(window - 1, 400, 37):
        xs = log_x[end - window + 1 : end + 1]
        ys = log_y[end - window + 1 : end + 1]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = sm.RLM(ys, sm.add_constant(xs), M=sm.robust.norms.HuberT()).fit(tol=1e-13)
        assert result.beta[end] == pytest.approx(fit.params[1], rel=1e-6)
        assert result.alpha[end] == pytest.approx(fit.params[0], rel=1e-6, abs=1e-9)
    # outliers pull OLS; Huber stays closer to the true β on average
    ols = pairs.analyze(y, x, window)
    assert np.nanmean(np.abs(result.beta - 1.1)) <= np.nanmean(np.abs(ols.beta - 1.1))


def test_rolling_adf_of_the_spread_is_reported():
    y, x, _, _ = cointegrated_pair(1_200, beta=1.0, half_life=5, seed=3)
    result = pairs.analyze(y, x, 300, adf_lags=1)
    assert result.adf_stat is not None and result.adf_pvalue is not None
    first = 2 * 300 - 2
    assert np.isnan(result.adf_stat[:first]).all()
    assert np.isfinite(result.adf_stat[first:]).all()
    assert ((result.adf_pvalue[first:] >= 0) & (result.adf_pvalue[first:] <= 1)).all()
    assert "adf_pvalue" in result.latest()


def test_series_input_keeps_its_index_and_frame_columns():
    pd = pytest.importorskip("pandas")
    y, x, _, _ = cointegrated_pair(400, beta=1.0, half_life=5, seed=9)
    index = pd.RangeIndex(1_000, 1_400)
    result = pairs.analyze(pd.Series(y, index=index), pd.Series(x, index=index), 100)
    frame = result.to_frame()
    assert list(frame.columns) == ["alpha", "beta", "spread", "zscore", "correlation", "spread_sd"]
    assert frame.index.equals(index)
    np.testing.assert_array_equal(frame["beta"].to_numpy(), result.beta)


@given(
    seed=st.integers(0, 2**32 - 1),
    cut=st.integers(0, 399),
    method=st.sampled_from(["ols", "kalman", "huber"]),
    zscore_window=st.sampled_from(["inclusive", "exclusive"]),
)
def test_perturbing_the_future_never_changes_the_past(seed, cut, method, zscore_window):
    if method == "kalman":
        zscore_window = "exclusive"
    y, x, _, _ = cointegrated_pair(400, beta=0.9, half_life=6, seed=seed % 1000)
    rng = np.random.default_rng(seed)
    y2, x2 = y.copy(), x.copy()
    y2[cut:] *= np.exp(rng.normal(0, 0.01, 400 - cut))
    x2[cut:] *= np.exp(rng.normal(0, 0.01, 400 - cut))
    a = pairs.analyze(y, x, 50, method=method, zscore_window=zscore_window)
    b = pairs.analyze(y2, x2, 50, method=method, zscore_window=zscore_window)
    for name in ("alpha", "beta", "spread", "zscore", "correlation", "spread_sd"):
        np.testing.assert_array_equal(getattr(a, name)[:cut], getattr(b, name)[:cut])


@pytest.mark.parametrize("zscore_window", ["inclusive", "exclusive"])
def test_rolling_pair_one_point_at_a_time_equals_analyze(zscore_window):
    y, x = tiny_moves(1_000, seed=12, relative=1e-5)
    batch = pairs.analyze(y, x, 120, zscore_window=zscore_window, ddof=2)
    live = pairs.RollingPair(120, zscore_window=zscore_window, ddof=2)
    rows = [live.update(float(a), float(b)) for a, b in zip(y, x, strict=True)]
    for name in ("alpha", "beta", "spread", "zscore", "correlation", "spread_sd"):
        streamed = np.array([row[name] for row in rows])
        np.testing.assert_allclose(streamed, getattr(batch, name), rtol=1e-12, atol=1e-15)
    assert live.count == 1_000


def test_rolling_pair_names_a_flat_window():
    live = pairs.RollingPair(5)
    for y, x in ((1.0, 2.0), (1.3, 2.1), (1.1, 2.5), (1.7, 2.2), (1.2, 2.4)):
        live.update(y, x)
    for step in range(4):
        live.update(1.0 + 0.1 * step, 9.0)
    with pytest.raises(
        InvalidInputError, match="x is constant over the window of the 5 points ending at point 9"
    ):
        live.update(1.5, 9.0)


def test_kalman_follows_a_hedge_ratio_that_moves():
    rng = np.random.default_rng(14)
    n = 4_000
    log_x = np.log(30_000.0) + np.cumsum(rng.standard_normal(n)) * 2e-3
    beta = np.where(np.arange(n) < n // 2, 0.8, 1.2)
    log_y = 1.0 + beta * (log_x - log_x[0]) + rng.standard_normal(n) * 5e-4
    result = pairs.analyze(np.exp(log_y), np.exp(log_x), 300, method="kalman", delta=1e-4)
    assert abs(np.median(result.beta[1_500:2_000]) - 0.8) < 0.05
    assert abs(np.median(result.beta[3_500:]) - 1.2) < 0.05
    # away from the break, the one-step-ahead z of a well-specified filter is ≈ standard normal
    assert 0.8 < np.std(result.zscore[500:2_000]) < 1.25
    default = pairs.analyze(np.exp(log_y), np.exp(log_x), 300, method="kalman")
    assert 0.8 < np.std(default.zscore[500:2_000]) < 1.25
