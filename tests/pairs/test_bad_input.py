"""Bad input raises a TradecostError that names the problem: never LinAlgError, never NaN tables."""

from __future__ import annotations

import numpy as np
import pytest

from tests.pairs.reference import cointegrated_pair
from tradecost import pairs
from tradecost.errors import InvalidInputError, TradecostError

Y, X, _, _ = cointegrated_pair(500, beta=1.0, half_life=5, seed=1)


def with_value(values, index, value):
    out = values.copy()
    out[index] = value
    return out


@pytest.mark.parametrize(
    ("y", "x", "window", "match"),
    [
        (Y[:-1], X, 100, "equal length"),
        (
            with_value(Y, 250, np.nan),
            X,
            100,
            r"y has 1 non-finite value\(s\), the first \(NaN\) at index 250",
        ),
        (Y, with_value(X, 3, np.inf), 100, "x has 1 non-finite.*infinite.*index 3"),
        (np.full(500, 7.0), X, 100, "y is constant"),
        (Y, np.full(500, 3.0), 100, "x is constant"),
        (Y, X, 501, "longer than the data"),
        (Y, X, 2, "at least 3"),
        (Y, X, 10.5, "integer"),
        (with_value(Y, 10, 0.0), X, 100, "positive prices.*index 10"),
        (Y, with_value(X, 20, -1.0), 100, "positive prices.*index 20"),
        (Y.reshape(50, 10), X.reshape(50, 10), 5, "1-D"),
        (["a"] * 500, X, 100, "numbers"),
    ],
)
def test_analyze_rejects(y, x, window, match):
    with pytest.raises(InvalidInputError, match=match):
        pairs.analyze(y, x, window)


def test_a_flat_stretch_names_its_window():
    x = X.copy()
    x[200:320] = x[200]
    with pytest.raises(
        InvalidInputError, match=r"window \[200, 299\] ending at index 299: x is constant"
    ):
        pairs.analyze(Y, x, 100)
    y = Y.copy()
    y[100:220] = y[100]
    with pytest.raises(InvalidInputError, match=r"window \[100, 199\].*y is constant"):
        pairs.analyze(y, X, 100)


def test_an_exact_fit_is_named_not_turned_into_inf():
    x = X
    y = np.exp(0.5 + 2.0 * np.log(x))
    with pytest.raises(InvalidInputError, match="exact linear function"):
        pairs.analyze(y, x, 100)


def test_a_series_index_labels_the_window():
    pd = pytest.importorskip("pandas")
    index = pd.date_range("2026-01-01", periods=500, freq="min")
    x = X.copy()
    x[:150] = x[0]
    with pytest.raises(InvalidInputError, match="2026-01-01 01:39"):
        pairs.analyze(pd.Series(Y, index=index), pd.Series(x, index=index), 100)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "tls"}, "method"),
        ({"zscore_window": "centred"}, "zscore_window"),
        ({"method": "kalman", "zscore_window": "inclusive"}, "exclusive"),
        ({"method": "kalman", "delta": 1.5}, "delta"),
        ({"ddof": 100}, "ddof"),
        ({"ddof": -1}, "ddof"),
        ({"method": "huber", "huber_t": 0.0}, "huber_t"),
    ],
)
def test_options_are_checked(kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        pairs.analyze(Y, X, 100, **kwargs)


def test_kalman_needs_data_after_its_prior():
    with pytest.raises(InvalidInputError, match="prior"):
        pairs.analyze(Y, X, 500, method="kalman")


def test_engle_granger_and_half_life_errors():
    with pytest.raises(InvalidInputError, match="exact linear function"):
        pairs.engle_granger(np.exp(1.0 + 0.5 * np.log(X)), X)
    with pytest.raises(InvalidInputError, match="equal length"):
        pairs.engle_granger(Y, X[:-1])
    with pytest.raises(InvalidInputError, match="at least 10"):
        pairs.engle_granger(Y[:5], X[:5])
    with pytest.raises(InvalidInputError, match="constant"):
        pairs.half_life(np.zeros(10))
    with pytest.raises(InvalidInputError, match="positive"):
        pairs.engle_granger(-Y, X)


def test_every_error_is_a_tradecost_error():
    assert issubclass(InvalidInputError, TradecostError)
    assert issubclass(InvalidInputError, ValueError)
    with pytest.raises(TradecostError):
        pairs.adf(np.arange(5.0) * 0 + 1)


def test_series_with_different_indexes_are_not_silently_paired():
    pd = pytest.importorskip("pandas")
    y = pd.Series(Y, index=range(500))
    x = pd.Series(X, index=range(1, 501))
    with pytest.raises(InvalidInputError, match="different indexes"):
        pairs.analyze(y, x, 100)
