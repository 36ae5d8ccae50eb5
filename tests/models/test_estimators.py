"""SlippageRegressor and MakerTakerClassifier: scikit-learn conformance, known solutions,
compiled predictors, JSON persistence."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

import tradecost as tc
from tradecost.models import MakerTakerClassifier, SlippageRegressor, fit_cloglog


@parametrize_with_checks(
    [
        SlippageRegressor(),
        SlippageRegressor(kind="linear"),
        MakerTakerClassifier(),
        MakerTakerClassifier(link="logit"),
        MakerTakerClassifier(frailty="fit"),
    ]
)
def test_sklearn_conformance(estimator, check):
    check(estimator)


def test_exported_from_tradecost():
    assert tc.SlippageRegressor is SlippageRegressor
    assert tc.MakerTakerClassifier is MakerTakerClassifier


def test_cloglog_matches_the_closed_form_of_a_saturated_model():
    # two groups with horizons 1 s and 4 s: the MLE reproduces each group's fill rate,
    # b + β·x + ln h = ln(−ln(1 − p̂)) exactly (no penalty)
    y = np.array([1] * 30 + [0] * 70 + [1] * 55 + [0] * 45, dtype=float)
    x = np.array([0.0] * 100 + [1.0] * 100)
    h = np.array([1.0] * 100 + [4.0] * 100)
    model = MakerTakerClassifier(horizon_feature=1, C=1e12).fit(np.column_stack([x, h]), y)
    b0 = np.log(-np.log(1 - 0.30)) - np.log(1.0)
    b1 = np.log(-np.log(1 - 0.55)) - np.log(4.0) - b0
    assert model.intercept_ == pytest.approx(b0, abs=1e-8)
    assert model.coef_[0] == pytest.approx(b1, abs=1e-8)
    assert model.horizon_coef_ == 1.0
    p = model.predict_proba(np.array([[0.0, 1.0], [1.0, 4.0]]))[:, 1]
    np.testing.assert_allclose(p, [0.30, 0.55], atol=1e-9)


def test_cloglog_recovers_avellaneda_stoikov_parameters():
    # P = 1 − exp(−A e^{−k d} h) with A = 2/s, k = 0.8/tick (research notes §5.1)
    rng = np.random.default_rng(1)
    n = 40_000
    d = rng.integers(0, 8, n).astype(float)
    h = rng.choice([0.5, 1.0, 2.0, 5.0], n)
    p = -np.expm1(-2.0 * np.exp(-0.8 * d) * h)
    y = (rng.random(n) < p).astype(float)
    intercept, beta, _ = fit_cloglog(d[:, None], y, offset=np.log(h), C=1e12)
    assert np.exp(intercept) == pytest.approx(2.0, rel=0.05)
    assert -beta[0] == pytest.approx(0.8, rel=0.03)


def test_quantiles_never_cross_and_compiled_equals_predict():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(600, 4))
    y = X @ np.array([1.0, -0.5, 0.2, 0.0]) + rng.standard_t(3, size=600) * (1 + np.abs(X[:, 3]))
    model = SlippageRegressor(quantiles=(0.9, 0.1, 0.5)).fit(X, y)
    Z = rng.normal(size=(400, 4)) * 5
    q = model.predict_quantiles(Z)
    assert (np.diff(q, axis=1) >= 0).all()
    np.testing.assert_array_equal(model.predict(Z), q[:, 1])
    compiled = model.compile()
    out = np.empty(3)
    for row, expected in zip(Z, q, strict=True):
        compiled.predict_into(row, out)
        np.testing.assert_allclose(out, expected, rtol=0, atol=1e-12)
        assert abs(compiled.predict_one(row) - expected[1]) <= 1e-12
        assert abs(compiled.predict_quantile(row, 2) - expected[2]) <= 1e-12
    with pytest.raises(tc.InvalidInputError):
        compiled.predict_one(np.zeros(3))


def test_residual_of_adds_the_baseline_back():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 3))
    y = 2.0 * X[:, 0] + 0.1 * rng.normal(size=300)
    plain = SlippageRegressor(kind="linear").fit(X, y)
    residual = SlippageRegressor(kind="linear", residual_of=0).fit(X, y)
    np.testing.assert_allclose(plain.predict(X), residual.predict(X), atol=1e-9)


@pytest.mark.parametrize("link", ["cloglog", "logit"])
def test_classifier_compiled_equals_predict_proba(link):
    rng = np.random.default_rng(4)
    X = np.column_stack(
        [rng.normal(size=2000), rng.normal(size=2000), rng.choice([1.0, 5.0], 2000)]
    )
    eta = -0.5 - 0.8 * X[:, 0] + 0.3 * X[:, 1] + np.log(X[:, 2])
    y = (rng.random(2000) < -np.expm1(-np.exp(eta))).astype(int)
    model = MakerTakerClassifier(link=link, horizon_feature=2).fit(X, y)
    compiled = model.compile()
    p = model.predict_proba(X)[:, 1]
    for row, expected in zip(X, p, strict=True):
        assert abs(compiled.predict_one(row) - expected) <= 1e-12
    bad = X[:1].copy()
    bad[0, 2] = 0.0
    with pytest.raises(tc.InvalidInputError):
        model.predict_proba(bad)
    with pytest.raises(tc.InvalidInputError):
        compiled.predict_one(bad[0])


def test_json_round_trip(tmp_path):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(300, 3))
    y = X[:, 0] + rng.normal(size=300)
    regressor = SlippageRegressor().fit(X, y)
    regressor.save(tmp_path / "slippage.json")
    loaded = SlippageRegressor.load(tmp_path / "slippage.json")
    np.testing.assert_array_equal(loaded.predict_quantiles(X), regressor.predict_quantiles(X))
    labels = (X[:, 0] > 0).astype(int)
    X_h = np.column_stack([X, np.full(300, 2.0)])
    classifier = MakerTakerClassifier(horizon_feature=3).fit(X_h, labels)
    again = MakerTakerClassifier.load(classifier.to_json())
    np.testing.assert_array_equal(again.predict_proba(X_h), classifier.predict_proba(X_h))
    with pytest.raises(tc.InvalidInputError):
        SlippageRegressor.load(classifier.to_json())
    with pytest.raises(tc.InvalidInputError):
        MakerTakerClassifier.load('{"format": "pickle"}')


def test_parameters_are_validated_in_fit():
    X = np.zeros((10, 2))
    y = np.arange(10.0)
    with pytest.raises(tc.InvalidInputError):
        SlippageRegressor(kind="tree").fit(X, y)
    with pytest.raises(tc.InvalidInputError):
        SlippageRegressor(quantiles=(1.5,)).fit(X, y)
    with pytest.raises(tc.InvalidInputError):
        MakerTakerClassifier(link="probit").fit(X, y % 2)
    with pytest.raises(tc.InvalidInputError, match="horizon"):
        MakerTakerClassifier(horizon_feature=1).fit(X, y % 2)


def _gamma_frailty_sample(rng, n, theta):
    """Orders with P = 1 − (1 + θ A e^{−k d} h)^{−1/θ}: a Poisson fill intensity A e^{−k d}
    times a Gamma(1/θ, θ) multiplier per order (mean 1, variance θ); A = 2/s, k = 0.8/tick."""
    d = rng.integers(0, 8, n).astype(float)
    h = rng.choice([0.5, 1.0, 2.0, 5.0], n)
    z = rng.gamma(1.0 / theta, theta, n)
    y = (rng.random(n) < -np.expm1(-z * 2.0 * np.exp(-0.8 * d) * h)).astype(int)
    return np.column_stack([d, h]), y


def _ece(y, p, bins=10):
    index = np.minimum((p * bins).astype(int), bins - 1)
    return sum(
        abs(p[index == b].mean() - y[index == b].mean()) * np.sum(index == b)
        for b in range(bins)
        if np.any(index == b)
    ) / len(y)


def test_gamma_frailty_is_recovered_and_calibrates_where_the_pure_cloglog_cannot():
    rng = np.random.default_rng(6)
    X, y = _gamma_frailty_sample(rng, 30_000, theta=1.0)
    X_test, y_test = _gamma_frailty_sample(rng, 30_000, theta=1.0)
    frail = MakerTakerClassifier(horizon_feature=1, frailty="fit", C=1e12).fit(X, y)
    pure = MakerTakerClassifier(horizon_feature=1, C=1e12).fit(X, y)
    assert frail.frailty_ in (0.75, 1.0, 1.5)
    assert np.exp(frail.intercept_) == pytest.approx(2.0, rel=0.15)
    assert -frail.coef_[0] == pytest.approx(0.8, rel=0.08)
    ece_frail = _ece(y_test, frail.predict_proba(X_test)[:, 1])
    ece_pure = _ece(y_test, pure.predict_proba(X_test)[:, 1])
    assert ece_frail < 0.01
    assert ece_pure > 2 * ece_frail + 0.01
    # no heterogeneity: the profile likelihood picks (almost) no frailty
    d = X[:, 0]
    h = X[:, 1]
    y0 = (rng.random(len(d)) < -np.expm1(-2.0 * np.exp(-0.8 * d) * h)).astype(int)
    assert MakerTakerClassifier(horizon_feature=1, frailty="fit").fit(X, y0).frailty_ <= 0.125


def test_frailty_compiles_saves_and_is_validated():
    rng = np.random.default_rng(7)
    X, y = _gamma_frailty_sample(rng, 3000, theta=2.0)
    model = MakerTakerClassifier(horizon_feature=1, horizon_effect="free", frailty=2.0).fit(X, y)
    p = model.predict_proba(X)[:, 1]
    compiled = model.compile()
    assert compiled.frailty == 2.0
    for row, expected in zip(X, p, strict=True):
        assert abs(compiled.predict_one(row) - expected) <= 1e-12
    again = MakerTakerClassifier.load(model.to_json())
    np.testing.assert_array_equal(again.predict_proba(X), model.predict_proba(X))
    log_odds = model.decision_function(X)
    np.testing.assert_allclose(log_odds, np.log(p / (1 - p)), rtol=1e-9, atol=1e-9)
    for bad in (-0.5, float("nan"), "max"):
        with pytest.raises(tc.InvalidInputError, match="frailty"):
            MakerTakerClassifier(frailty=bad).fit(X, y)
    with pytest.raises(tc.InvalidInputError, match="frailty"):
        MakerTakerClassifier(link="logit", frailty=1.0).fit(X, y)
