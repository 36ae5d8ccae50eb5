"""MakerTakerClassifier: P(a resting limit order fills passively within horizon h).

Two links (research notes §5.2):

* ``"logit"``: logistic regression, P = σ(b + β·x + γ·ln h), the baseline (Gould & Bonart,
  arXiv:1512.03492, use a plain logit on queue imbalance).
* ``"cloglog"``: a binomial GLM with complementary log-log link and offset ln h,
  ln(−ln(1 − P)) = b + β·x + ln h, i.e. P = 1 − exp(−A·e^{β·x}·h): the Poisson fill model of
  Avellaneda & Stoikov (Quant. Finance 8(3) 2008, §2.3: λ(δ) = A e^{−kδ}) with covariates. Fitted
  here by penalised Fisher scoring (IRLS) with step halving.
* ``"cloglog"`` with ``frailty`` θ > 0: the same Poisson fill model with an unobserved
  multiplicative intensity Z ~ Gamma(1/θ, θ) (mean 1, variance θ) shared by the order's whole
  horizon, so P = 1 − (1 + θ·A e^{β·x} h)^{−1/θ} (gamma frailty: Vaupel, Manton & Stallard,
  Demography 16(3) 1979; Hougaard, Biometrika 71(1) 1984, eq. (3)). As a link on P this is the
  Aranda-Ordaz asymmetric family, ln(((1 − P)^{−θ} − 1)/θ) = η (Biometrika 68(2) 1981, eq. (2)):
  θ → 0 is the cloglog, θ = 1 the logit of ln(A e^{β·x} h). Heterogeneity the features miss
  (the regime, where the hidden price sits) makes the population hazard fall with time,
  A e^{β·x}/(1 + θΛ), which a Weibull exponent < 1 only imitates. ``frailty="fit"`` chooses θ
  by profile likelihood on the training data.

Labels are lower bounds (queue-ahead and trade-through rules, :mod:`tradecost.models.datasets`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Self, cast

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from tradecost._core import check_fresh
from tradecost.errors import InvalidInputError
from tradecost.models import _inference
from tradecost.models._inference import LINK_CLOGLOG, LINK_LOGIT, FillPredictor
from tradecost.models._persist import SavesJson, dump_estimator, read_document

check_fresh(_inference)

__all__ = ["FRAILTY_GRID", "MakerTakerClassifier", "fit_cloglog"]

_KIND = "MakerTakerClassifier"
_F64 = npt.NDArray[np.float64]

#: Frailty variances θ tried by ``frailty="fit"`` (profile likelihood; 0 = pure cloglog).
FRAILTY_GRID: tuple[float, ...] = (0.0, 0.125, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)


class MakerTakerClassifier(SavesJson, ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Probability that a limit order fills passively (as maker) within its horizon.

    Args:
        link: ``"cloglog"`` (Avellaneda–Stoikov fill model, offset ln h) or ``"logit"``.
        horizon_feature: index of the column holding the horizon h in seconds (> 0), or None
            when every row shares one horizon (it is then absorbed in the intercept). With
            ``"cloglog"`` ln h is an offset (coefficient fixed at 1); with ``"logit"`` ln h is
            a regressor.
        horizon_effect: ``"offset"`` (cloglog: coefficient of ln h fixed at 1, a constant
            fill hazard as in Avellaneda–Stoikov) or ``"free"`` (cloglog: fitted coefficient γ,
            P = 1 − exp(−A e^{β·x} h^γ), a Weibull proportional-hazards model). The logit always
            fits γ.
        frailty: variance θ >= 0 of a gamma frailty on the fill intensity (``"cloglog"`` only;
            0 = none), or ``"fit"`` to choose it from ``FRAILTY_GRID`` by the training
            likelihood. P = 1 − (1 + θ·A e^{β·x}·h^γ)^{−1/θ}.
        C: inverse L2 penalty on the standardised coefficients (scikit-learn's convention:
            loss = C·Σ log-loss + ½‖β‖²).
        max_iter, tol: IRLS iterations and convergence tolerance on the penalised
            log-likelihood's relative change (cloglog); passed to LogisticRegression (logit).

    Fitted attributes: ``classes_``, ``coef_`` (n_features,; 0 at the horizon column),
    ``intercept_``, ``horizon_coef_`` (1 for the cloglog offset), ``frailty_`` (θ used; 0 for
    the logit), ``n_iter_``.
    """

    def __init__(
        self,
        link: str = "cloglog",
        horizon_feature: int | None = None,
        horizon_effect: str = "offset",
        frailty: float | str = 0.0,
        C: float = 1.0,
        max_iter: int = 100,
        tol: float = 1e-10,
    ) -> None:
        self.link = link
        self.horizon_feature = horizon_feature
        self.horizon_effect = horizon_effect
        self.frailty = frailty
        self.C = C
        self.max_iter = max_iter
        self.tol = tol

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.allow_nan = False
        return tags

    def _design(self, X: _F64) -> tuple[_F64, _F64]:
        """Regressors (horizon column replaced by ln h for the logit, zeroed for the cloglog)
        and ln h (zeros without a horizon column)."""
        if self.horizon_feature is None:
            return X, np.zeros(X.shape[0])
        horizon = X[:, self.horizon_feature]
        if not (horizon > 0).all():
            raise InvalidInputError(
                f"column {self.horizon_feature} holds the horizon in seconds and must be > 0"
            )
        log_h = np.log(horizon)
        Z = X.copy()
        if self._offset:
            Z[:, self.horizon_feature] = 0.0
            return Z, log_h
        Z[:, self.horizon_feature] = log_h
        return Z, np.zeros(X.shape[0])

    def _frailty_grid(self) -> tuple[float, ...]:
        if isinstance(self.frailty, str):
            if self.frailty != "fit":
                raise InvalidInputError(f"frailty must be >= 0 or 'fit', got {self.frailty!r}")
            grid = FRAILTY_GRID
        else:
            theta = float(self.frailty)
            if not (np.isfinite(theta) and theta >= 0):
                raise InvalidInputError(f"frailty must be >= 0 or 'fit', got {self.frailty!r}")
            grid = (theta,)
        if self.link == "logit" and grid != (0.0,):
            raise InvalidInputError("a frailty needs link='cloglog' (the logit has none)")
        return grid

    @property
    def _offset(self) -> bool:
        return self.link == "cloglog" and self.horizon_effect == "offset"

    def fit(self, X: npt.ArrayLike, y: npt.ArrayLike) -> Self:
        """Fit on features ``X`` and binary labels ``y`` (1 = filled within the horizon)."""
        X, y = cast("tuple[_F64, npt.NDArray[Any]]", validate_data(self, X, y, dtype=np.float64))
        if self.link not in ("logit", "cloglog"):
            raise InvalidInputError(f"link must be 'logit' or 'cloglog', got {self.link!r}")
        if self.horizon_effect not in ("offset", "free"):
            raise InvalidInputError(
                f"horizon_effect must be 'offset' or 'free', got {self.horizon_effect!r}"
            )
        grid = self._frailty_grid()
        if not (np.isfinite(self.C) and self.C > 0):
            raise InvalidInputError(f"C must be > 0, got {self.C!r}")
        if self.horizon_feature is not None and not 0 <= self.horizon_feature < X.shape[1]:
            raise InvalidInputError(f"horizon_feature={self.horizon_feature} is not a column")
        target_type = type_of_target(y, input_name="y", raise_unknown=True)
        if target_type not in ("binary",):
            raise ValueError(
                "Only binary classification is supported. MakerTakerClassifier needs labels "
                f"filled / not filled; got a {target_type} target"
            )
        self.classes_, encoded = np.unique(y, return_inverse=True)
        labels = encoded.astype(np.float64)
        Z, log_h = self._design(X)
        mean = Z.mean(axis=0)
        scale = Z.std(axis=0)
        scale[scale == 0] = 1.0
        if self.horizon_feature is not None and self._offset:
            mean[self.horizon_feature] = 0.0
        standard = (Z - mean) / scale
        if self.link == "logit":
            model = LogisticRegression(C=self.C, max_iter=self.max_iter, tol=self.tol)
            model.fit(standard, labels)
            beta = np.asarray(model.coef_, dtype=np.float64).ravel()
            intercept = float(model.intercept_[0])
            self.n_iter_ = int(np.max(model.n_iter_))
            self.frailty_ = 0.0
        else:
            best: tuple[float, float, _F64, int, float] | None = None
            for theta in grid:
                value, b, fitted_beta, iterations = _fit_frailty(
                    standard, labels, log_h, theta, self.C, self.max_iter, self.tol
                )
                if best is None or value > best[0]:
                    best = (value, b, fitted_beta, iterations, theta)
            assert best is not None
            _, intercept, beta, self.n_iter_, self.frailty_ = best
        coef = beta / scale
        self.intercept_ = intercept - float(mean @ coef)
        self.horizon_coef_ = 0.0
        if self.horizon_feature is not None:
            self.horizon_coef_ = 1.0 if self._offset else float(coef[self.horizon_feature])
            coef[self.horizon_feature] = 0.0
        self.coef_ = coef
        return self

    def _linear_predictor(self, X: npt.ArrayLike) -> _F64:
        check_is_fitted(self)
        X = cast("_F64", validate_data(self, X, reset=False, dtype=np.float64))
        eta: _F64 = self.intercept_ + X @ self.coef_
        if self.horizon_feature is not None:
            horizon = X[:, self.horizon_feature]
            if not (horizon > 0).all():
                raise InvalidInputError(
                    f"column {self.horizon_feature} holds the horizon in seconds and must be > 0"
                )
            eta = eta + self.horizon_coef_ * np.log(horizon)
        return eta

    def predict_proba(self, X: npt.ArrayLike) -> _F64:
        """(n, 2): P(not filled), P(filled within the horizon), columns as ``classes_``."""
        eta = self._linear_predictor(X)
        if self.link == "logit":
            p = 1.0 / (1.0 + np.exp(-eta))
        else:
            p = -np.expm1(_log_survival(np.exp(np.minimum(eta, 700.0)), self.frailty_))
        return np.column_stack([1.0 - p, p])

    def decision_function(self, X: npt.ArrayLike) -> _F64:
        """Log-odds of a fill, ln(P / (1 − P)), for either link (positive: fill more likely)."""
        eta = self._linear_predictor(X)
        if self.link == "logit":
            return eta
        log_survival = _log_survival(np.exp(np.minimum(eta, 700.0)), self.frailty_)
        result: _F64 = np.log(-np.expm1(log_survival)) - log_survival
        return result

    def predict(self, X: npt.ArrayLike) -> npt.NDArray[Any]:
        """The more likely class."""
        positive = self.decision_function(X) > 0
        result: npt.NDArray[Any] = self.classes_[positive.astype(np.int64)]
        return result

    def compile(self) -> FillPredictor:
        """The fitted model as a compiled predictor: ``predict_one(x)`` = P(filled)."""
        check_is_fitted(self)
        return FillPredictor(
            self.coef_,
            self.intercept_,
            LINK_LOGIT if self.link == "logit" else LINK_CLOGLOG,
            -1 if self.horizon_feature is None else self.horizon_feature,
            self.horizon_coef_,
            self.frailty_,
        )

    # -- persistence -----------------------------------------------------------------------

    def to_json(self) -> str:
        """Parameters and fitted coefficients as a JSON document (no pickle)."""
        check_is_fitted(self)
        fitted: dict[str, Any] = {
            "classes_": self.classes_.tolist(),
            "coef_": self.coef_,
            "intercept_": self.intercept_,
            "horizon_coef_": self.horizon_coef_,
            "frailty_": self.frailty_,
            "n_iter_": self.n_iter_,
            "n_features_in_": self.n_features_in_,
        }
        return dump_estimator(_KIND, self, fitted)

    @classmethod
    def load(cls, source: str | Path | dict[str, Any]) -> MakerTakerClassifier:
        """A fitted model from :meth:`save`'s file, :meth:`to_json`'s string, or its dict."""
        document = read_document(source, _KIND)
        model = cls(**document["params"])
        fitted = document["fitted"]
        model.classes_ = np.array(fitted["classes_"])
        model.coef_ = np.array(fitted["coef_"], dtype=np.float64)
        model.intercept_ = float(fitted["intercept_"])
        model.horizon_coef_ = float(fitted["horizon_coef_"])
        model.frailty_ = float(fitted.get("frailty_", 0.0))
        model.n_iter_ = int(fitted["n_iter_"])
        model.n_features_in_ = int(fitted["n_features_in_"])
        if "feature_names_in_" in fitted:
            model.feature_names_in_ = np.array(fitted["feature_names_in_"], dtype=object)
        if model.coef_.shape != (model.n_features_in_,):
            raise InvalidInputError("saved coefficients do not match n_features_in_")
        return model


def _log_survival(rate: _F64, frailty: float) -> _F64:
    """ln P(no fill) for integrated hazard ``rate`` = A·e^{β·x}·h^γ and gamma frailty θ:
    −rate at θ = 0, −ln(1 + θ·rate)/θ otherwise."""
    if frailty == 0.0:
        return -rate
    result: _F64 = -np.log1p(frailty * rate) / frailty
    return result


def _cloglog_terms(eta: _F64, y: _F64, frailty: float = 0.0) -> tuple[float, _F64, _F64]:
    """Log-likelihood, score wrt η, and Fisher weight of the binomial with P = 1 − S(e^η),
    S the (gamma-frailty) survival, at η."""
    eta = np.clip(eta, -40.0, 5.0 if frailty == 0.0 else 30.0)
    rate = np.exp(eta)  # integrated hazard A·e^{βx}·h
    log_survive = _log_survival(rate, frailty)
    survive = np.exp(log_survive)
    p = np.maximum(-np.expm1(log_survive), 1e-300)
    log_likelihood = float(np.sum(y * np.log(p) + (1.0 - y) * log_survive))
    slope = rate * survive / (1.0 + frailty * rate)  # dP/dη
    score = slope * (y - p) / (p * survive)
    weight = slope * slope / (p * survive)
    return log_likelihood, score, weight


def fit_cloglog(
    X: _F64,
    y: _F64,
    *,
    offset: _F64 | None = None,
    C: float = 1.0,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> tuple[float, _F64, int]:
    """Maximum-likelihood cloglog binomial GLM, ln(−ln(1 − P)) = b + X·β + offset, with an
    L2 penalty ½‖β‖²/C (not on b). Fisher scoring (IRLS) with step halving.

    Returns (b, β, iterations). X should be roughly standardised.
    """
    _, intercept, beta, iterations = _fit_frailty(X, y, offset, 0.0, C, max_iter, tol)
    return intercept, beta, iterations


def _fit_frailty(
    X: _F64,
    y: _F64,
    offset: _F64 | None,
    frailty: float,
    C: float,
    max_iter: int,
    tol: float,
) -> tuple[float, float, _F64, int]:
    """:func:`fit_cloglog` with gamma frailty θ; returns (penalised log-likelihood, b, β,
    iterations)."""
    n, k = X.shape
    offset = np.zeros(n) if offset is None else np.asarray(offset, dtype=np.float64)
    design = np.column_stack([np.ones(n), X])
    penalty = np.full(k + 1, 1.0 / C)
    penalty[0] = 0.0
    rate0 = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
    params = np.zeros(k + 1)
    params[0] = np.log(-np.log1p(-rate0)) - float(offset.mean())

    def objective(theta: _F64) -> tuple[float, _F64, _F64]:
        ll, score, weight = _cloglog_terms(design @ theta + offset, y, frailty)
        return ll - 0.5 * float(penalty @ (theta * theta)), score, weight

    value, score, weight = objective(params)
    iterations = 0
    for iteration in range(1, max_iter + 1):
        iterations = iteration
        gradient = design.T @ score - penalty * params
        hessian = (design * weight[:, None]).T @ design + np.diag(penalty)
        hessian[np.diag_indices_from(hessian)] += 1e-12
        step = np.linalg.solve(hessian, gradient)
        scale = 1.0
        while True:
            candidate = params + scale * step
            new_value, new_score, new_weight = objective(candidate)
            if new_value >= value - 1e-12 * abs(value) or scale < 1e-10:
                break
            scale *= 0.5
        improvement = new_value - value
        params, value, score, weight = candidate, new_value, new_score, new_weight
        if abs(improvement) <= tol * (abs(value) + 1.0):
            break
    return value, float(params[0]), params[1:].copy(), iterations
