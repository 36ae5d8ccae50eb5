"""adf / rolling_adf / engle_granger / half_life against statsmodels and arch."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from tests.pairs.reference import cointegrated_pair
from tradecost import pairs
from tradecost.errors import InvalidInputError
from tradecost.pairs._mackinnon import mackinnon_critical_values, mackinnon_pvalue

stattools = pytest.importorskip("statsmodels.tsa.stattools")
adfvalues = pytest.importorskip("statsmodels.tsa.adfvalues")


def series(kind: str, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    e = rng.standard_normal(n)
    if kind == "random_walk":
        return 100.0 + np.cumsum(e)
    if kind == "ar1":
        out = np.empty(n)
        out[0] = e[0]
        for i in range(1, n):
            out[i] = 0.6 * out[i - 1] + e[i]
        return out
    if kind == "trending":
        return 0.05 * np.arange(n) + 0.5 * np.cumsum(e)
    if kind == "ar2":
        out = np.zeros(n)
        for i in range(2, n):
            out[i] = 0.5 * out[i - 1] + 0.3 * out[i - 2] + e[i]
        return out
    raise AssertionError(kind)


def adfuller(x, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return stattools.adfuller(x, result_object=False, **kwargs)


@pytest.mark.parametrize("kind", ["random_walk", "ar1", "trending", "ar2"])
@pytest.mark.parametrize("n", [25, 120, 1_000])
@pytest.mark.parametrize("regression", ["c", "ct", "ctt", "n"])
@pytest.mark.parametrize("autolag", ["AIC", "BIC", "t-stat", None])
def test_adf_equals_adfuller(kind, n, regression, autolag):
    check_against_adfuller(series(kind, n, seed=n), regression, autolag)


@pytest.mark.parametrize(
    ("kind", "regression", "autolag"),
    [("random_walk", "c", "AIC"), ("ar1", "ct", "BIC"), ("trending", "n", "t-stat")],
)
def test_adf_equals_adfuller_on_long_series(kind, regression, autolag):
    check_against_adfuller(series(kind, 5_000, seed=7), regression, autolag)


def check_against_adfuller(x, regression, autolag):
    expected = adfuller(x, regression=regression, autolag=autolag)
    got = pairs.adf(x, regression=regression, autolag=autolag)
    assert got.usedlag == expected[2]
    assert got.nobs == expected[3]
    assert got.stat == pytest.approx(expected[0], rel=1e-8)
    assert got.pvalue == pytest.approx(expected[1], rel=1e-7, abs=1e-9)
    for level in ("1%", "5%", "10%"):
        assert got.critical_values[level] == pytest.approx(expected[4][level], rel=1e-12)
    if autolag is not None:
        assert got.icbest == pytest.approx(expected[5], rel=1e-8)


@pytest.mark.parametrize("maxlag", [0, 1, 4, 10])
def test_adf_explicit_maxlag(maxlag):
    x = series("ar2", 300, seed=3)
    for autolag in ("AIC", None):
        expected = adfuller(x, maxlag=maxlag, autolag=autolag)
        got = pairs.adf(x, maxlag=maxlag, autolag=autolag)
        assert (got.usedlag, got.nobs) == (expected[2], expected[3])
        assert got.stat == pytest.approx(expected[0], rel=1e-9)


def test_mackinnon_surfaces_equal_statsmodels():
    for regression in ("c", "ct", "ctt", "n"):
        for n_series in (1, 2):
            for stat in np.linspace(-25, 4, 291):
                expected = adfvalues.mackinnonp(stat, regression=regression, N=n_series)
                assert mackinnon_pvalue(stat, regression, n_series) == pytest.approx(
                    expected, rel=1e-12, abs=1e-15
                )
            if regression == "n" and n_series == 2:
                continue
            for nobs in (20, 100, 1_000, math.inf):
                expected = adfvalues.mackinnoncrit(N=n_series, regression=regression, nobs=nobs)
                got = mackinnon_critical_values(regression, n_series, nobs)
                assert list(got.values()) == pytest.approx(list(expected), rel=1e-12)


def test_vectorised_pvalues_equal_the_scalar_ones():
    from tradecost.pairs.stationarity import mackinnon_pvalues

    stats = np.r_[np.linspace(-30, 6, 721), np.nan]
    for regression in ("c", "ct", "ctt", "n"):
        for n_series in (1, 2):
            got = mackinnon_pvalues(stats, regression, n_series)
            expected = [mackinnon_pvalue(s, regression, n_series) for s in stats]
            np.testing.assert_allclose(got, expected, rtol=1e-14, atol=0)


@pytest.mark.parametrize("regression", ["c", "ct", "ctt", "n"])
@pytest.mark.parametrize("lags", [0, 1, 5])
def test_rolling_adf_equals_a_loop_of_adfuller(regression, lags):
    x = series("random_walk", 900, seed=lags + 1)
    window = 150
    stat = pairs.rolling_adf(x, window, lags=lags, regression=regression)
    assert np.isnan(stat[: window - 1]).all()
    for end in range(window - 1, x.size, 7):
        expected = adfuller(
            x[end - window + 1 : end + 1], maxlag=lags, autolag=None, regression=regression
        )[0]
        assert stat[end] == pytest.approx(expected, rel=1e-8)


@pytest.mark.parametrize("regression", ["c", "ct", "ctt", "n"])
def test_rolling_adf_on_a_level_far_from_zero(regression):
    # prices near 1e5 with small moves: the anchored cross-products keep full accuracy
    rng = np.random.default_rng(5)
    x = 1e5 + np.cumsum(rng.standard_normal(2_000)) * 0.01
    stat = pairs.rolling_adf(x, 300, lags=2, regression=regression)
    for end in range(299, 2_000, 101):
        window = x[end - 299 : end + 1]
        expected = adfuller(window, maxlag=2, autolag=None, regression=regression)[0]
        assert stat[end] == pytest.approx(expected, rel=1e-7)


@pytest.mark.parametrize("trend", ["c", "ct", "n"])
@pytest.mark.parametrize("autolag", ["aic", "bic", None])
@pytest.mark.parametrize("n", [60, 500, 1_500])
def test_engle_granger_equals_statsmodels_coint(trend, autolag, n):
    y, x, _, _ = cointegrated_pair(n, beta=0.7, half_life=20, seed=n, sigma_s=3e-3)
    log_y, log_x = np.log(y), np.log(x)
    maxlag = 3 if autolag is None else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stat, pvalue, crit = stattools.coint(
            log_y, log_x, trend=trend, autolag=autolag, maxlag=maxlag
        )
    got = pairs.engle_granger(y, x, trend=trend, autolag=autolag, maxlag=maxlag)
    if stat == -math.inf:
        # statsmodels judges collinearity by the *uncentred* R² when trend="n": on log prices
        # far from 0 it is ~1 for any pair, and coint returns -inf; tradecost uses the centred R²
        assert trend == "n"
        assert math.isfinite(got.stat)
        return
    assert got.stat == pytest.approx(stat, rel=1e-8)
    assert got.pvalue == pytest.approx(pvalue, rel=1e-7, abs=1e-12)
    if trend != "n":
        assert list(got.critical_values.values()) == pytest.approx(list(crit), rel=1e-12)
    # log=False on the logs is the same test
    same = pairs.engle_granger(log_y, log_x, trend=trend, autolag=autolag, maxlag=maxlag, log=False)
    assert same.stat == got.stat


def test_engle_granger_quadratic_trend_equals_coint():
    y, x, _, _ = cointegrated_pair(800, beta=1.0, half_life=20, seed=3, sigma_s=3e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stat, pvalue, crit = stattools.coint(np.log(y), np.log(x), trend="ctt")
    got = pairs.engle_granger(y, x, trend="ctt")
    assert got.stat == pytest.approx(stat, rel=1e-8)
    assert got.pvalue == pytest.approx(pvalue, rel=1e-7)
    assert list(got.critical_values.values()) == pytest.approx(list(crit), rel=1e-12)


@pytest.mark.parametrize("trend", ["c", "ct", "n"])
@pytest.mark.parametrize("method", ["aic", "bic"])
def test_engle_granger_against_arch(trend, method):
    arch = pytest.importorskip("arch.unitroot")
    y, x, _, _ = cointegrated_pair(800, beta=1.2, half_life=40, seed=21, sigma_s=5e-3)
    log_y, log_x = np.log(y), np.log(x)
    theirs = arch.engle_granger(log_y, log_x, trend=trend, method=method)
    ours = pairs.engle_granger(y, x, trend=trend, autolag=method)
    # same statistic and lag order for the same selection criterion ...
    assert ours.stat == pytest.approx(theirs.stat, rel=1e-8)
    assert ours.usedlag == theirs.lags
    # ... p-values from different response surfaces (MacKinnon 1994 vs arch's own simulation)
    assert abs(ours.pvalue - theirs.pvalue) < 0.01


def test_half_life_of_an_ar1():
    rng = np.random.default_rng(2)
    phi = 0.5 ** (1 / 12)
    s = np.zeros(50_000)
    for i in range(1, s.size):
        s[i] = phi * s[i - 1] + rng.standard_normal()
    se_phi = math.sqrt((1 - phi**2) / s.size)
    se = abs(math.log(0.5) / (phi * math.log(phi) ** 2)) * se_phi
    assert abs(pairs.half_life(s) - 12) < 4 * se
    explosive = np.ones(200)
    for i in range(1, 200):
        explosive[i] = 1.02 * explosive[i - 1] + 0.1 * rng.standard_normal()
    assert pairs.half_life(explosive) == math.inf


def test_half_life_of_an_alternating_series_is_an_error():
    with pytest.raises(InvalidInputError, match="overshoots"):
        pairs.half_life(np.array([1.0, -1.0] * 20))


def test_adf_bad_input():
    with pytest.raises(InvalidInputError, match="constant"):
        pairs.adf(np.ones(50))
    with pytest.raises(InvalidInputError, match="maxlag"):
        pairs.adf(series("ar1", 30, 1), maxlag=20)
    with pytest.raises(InvalidInputError, match="regression"):
        pairs.adf(series("ar1", 30, 1), regression="x")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="autolag"):
        pairs.adf(series("ar1", 30, 1), autolag="hqic")
    with pytest.raises(InvalidInputError, match="NaN"):
        pairs.adf(np.array([1.0, 2.0, np.nan, 3.0] * 10))
    with pytest.raises(InvalidInputError, match=r"window \[98, 147\].*fits exactly"):
        pairs.rolling_adf(np.r_[series("ar1", 100, 1), np.ones(60)], 50)
    with pytest.raises(InvalidInputError, match=r"constant over the window \[0, 49\]"):
        pairs.rolling_adf(np.r_[np.ones(60), series("ar1", 100, 1)], 50)
    with pytest.raises(InvalidInputError, match="longer than the data"):
        pairs.rolling_adf(series("ar1", 30, 1), 50)
    with pytest.raises(InvalidInputError, match="too many"):
        pairs.rolling_adf(series("ar1", 300, 1), 20, lags=9)
