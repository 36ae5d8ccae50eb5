"""SlippageRegressor: realised slippage of a market order, linear or quantile regression.

The target is the *realised* cost (:mod:`tradecost.models.datasets`), never the decision-time
snapshot's own walk-the-book value. Quantile regression minimises the pinball loss
L_α(y, q) = mean(max(α(y − q), (α − 1)(y − q))) (Koenker & Bassett 1978) with scikit-learn's
``QuantileRegressor`` (``alpha=0``: no L1 shrinkage; solver HiGHS); research notes §4.4.
Quantiles are fitted separately and then sorted row by row, the monotone rearrangement of
Chernozhukov, Fernández-Val & Galichon (Econometrica 78(3), 2010), so they never cross.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Self, cast

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import QuantileRegressor
from sklearn.utils.validation import check_is_fitted, validate_data

from tradecost._core import check_fresh
from tradecost.errors import InvalidInputError
from tradecost.models import _inference
from tradecost.models._inference import QuantilePredictor
from tradecost.models._persist import SavesJson, dump_estimator, read_document

check_fresh(_inference)

__all__ = ["SlippageRegressor"]

_KIND = "SlippageRegressor"
_F64 = npt.NDArray[np.float64]


class SlippageRegressor(SavesJson, RegressorMixin, BaseEstimator):  # type: ignore[misc]
    """Predicts the realised slippage of a market order, in bps of the arrival mid.

    Args:
        kind: ``"quantile"`` (one linear quantile regression per entry of ``quantiles``) or
            ``"linear"`` (least squares: the conditional mean).
        quantiles: the levels α fitted by the quantile variant, e.g. (0.5, 0.9).
        alpha: penalty strength: L1 for the quantile variant (scikit-learn's
            ``QuantileRegressor(alpha=...)``; 0 = none, the research notes' advice on unscaled
            features), ridge (on standardised features) for the linear one.
        solver: the ``QuantileRegressor`` linear-programming solver.
        residual_of: index of a feature that is itself a prediction of the target (the
            walk-the-book column, 0 in ``MARKET_FEATURES``): the model is then fitted to
            y − X[:, residual_of] and adds that column back when predicting. None: fit y.

    ``predict`` returns the central prediction (the quantile closest to 0.5, or the mean);
    ``predict_quantiles`` returns every quantile, sorted. Fitted attributes: ``coef_`` (k,
    n_features), ``intercept_`` (k,), ``quantiles_`` (sorted α, NaN for the mean),
    ``central_`` (the row ``predict`` uses).
    """

    def __init__(
        self,
        kind: str = "quantile",
        quantiles: tuple[float, ...] = (0.5, 0.9),
        alpha: float = 0.0,
        solver: str = "highs-ipm",
        residual_of: int | None = None,
    ) -> None:
        self.kind = kind
        self.quantiles = quantiles
        self.alpha = alpha
        self.solver = solver
        self.residual_of = residual_of

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags

    def _check_params(self, n_features: int) -> None:
        if self.kind not in ("quantile", "linear"):
            raise InvalidInputError(f"kind must be 'quantile' or 'linear', got {self.kind!r}")
        if self.kind == "quantile":
            levels = np.asarray(self.quantiles, dtype=np.float64).ravel()
            if levels.size == 0 or not ((levels > 0) & (levels < 1)).all():
                raise InvalidInputError(f"quantiles must lie in (0, 1), got {self.quantiles!r}")
            if np.unique(levels).size != levels.size:
                raise InvalidInputError(f"quantiles repeat: {self.quantiles!r}")
        if not (np.isfinite(self.alpha) and self.alpha >= 0):
            raise InvalidInputError(f"alpha must be >= 0, got {self.alpha!r}")
        if self.residual_of is not None and not 0 <= self.residual_of < n_features:
            raise InvalidInputError(
                f"residual_of={self.residual_of} is not a feature index (0..{n_features - 1})"
            )

    def fit(self, X: npt.ArrayLike, y: npt.ArrayLike) -> Self:
        """Fit on features ``X`` (n, n_features) and realised slippage ``y`` (bps)."""
        X, y = cast(
            "tuple[_F64, _F64]", validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        )
        self._check_params(X.shape[1])
        target = y - X[:, self.residual_of] if self.residual_of is not None else y
        if self.kind == "linear":
            coef, intercept = _least_squares(X, target, float(self.alpha))
            self.coef_ = coef[None, :]
            self.intercept_ = np.array([intercept])
            self.quantiles_ = np.array([np.nan])
            self.central_ = 0
        else:
            levels = np.sort(np.asarray(self.quantiles, dtype=np.float64).ravel())
            rows, intercepts = [], []
            for level in levels:
                model = QuantileRegressor(
                    quantile=float(level), alpha=float(self.alpha), solver=self.solver
                )
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    model.fit(X, target)
                rows.append(np.asarray(model.coef_, dtype=np.float64))
                intercepts.append(float(model.intercept_))
            self.coef_ = np.vstack(rows)
            self.intercept_ = np.array(intercepts)
            self.quantiles_ = levels
            self.central_ = int(np.argmin(np.abs(levels - 0.5)))
        if self.residual_of is not None:
            self.coef_[:, self.residual_of] += 1.0
        return self

    def predict_quantiles(self, X: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """(n, k) predictions in bps, one column per fitted quantile, ascending (never
        crossing). For the linear variant, one column: the mean."""
        check_is_fitted(self)
        X = cast("_F64", validate_data(self, X, reset=False, dtype=np.float64))
        values = X @ self.coef_.T + self.intercept_
        result: npt.NDArray[np.float64] = np.sort(values, axis=1)
        return result

    def predict(self, X: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Central prediction in bps: the median of a quantile model, the mean of a linear one."""
        result: npt.NDArray[np.float64] = self.predict_quantiles(X)[:, self.central_]
        return result

    def compile(self) -> QuantilePredictor:
        """The fitted model as a compiled predictor for one feature vector at a time
        (``predict_one`` = ``predict``; ``predict_quantile(x, i)`` / ``predict_into``)."""
        check_is_fitted(self)
        return QuantilePredictor(self.coef_, self.intercept_, self.quantiles_, self.central_)

    # -- persistence -----------------------------------------------------------------------

    def to_json(self) -> str:
        """Parameters and fitted coefficients as a JSON document (no pickle)."""
        check_is_fitted(self)
        fitted: dict[str, Any] = {
            "coef_": self.coef_,
            "intercept_": self.intercept_,
            "quantiles_": [None if np.isnan(q) else float(q) for q in self.quantiles_],
            "central_": self.central_,
            "n_features_in_": self.n_features_in_,
        }
        return dump_estimator(_KIND, self, fitted)

    @classmethod
    def load(cls, source: str | Path | dict[str, Any]) -> SlippageRegressor:
        """A fitted model from :meth:`save`'s file, :meth:`to_json`'s string, or its dict."""
        document = read_document(source, _KIND)
        params = dict(document["params"])
        params["quantiles"] = tuple(params.get("quantiles", ()))
        model = cls(**params)
        fitted = document["fitted"]
        model.coef_ = np.array(fitted["coef_"], dtype=np.float64, ndmin=2)
        model.intercept_ = np.array(fitted["intercept_"], dtype=np.float64)
        model.quantiles_ = np.array(
            [np.nan if q is None else q for q in fitted["quantiles_"]], dtype=np.float64
        )
        model.central_ = int(fitted["central_"])
        model.n_features_in_ = int(fitted["n_features_in_"])
        if "feature_names_in_" in fitted:
            model.feature_names_in_ = np.array(fitted["feature_names_in_"], dtype=object)
        if model.coef_.shape != (model.intercept_.shape[0], model.n_features_in_):
            raise InvalidInputError("saved coefficients do not match n_features_in_")
        return model


def _least_squares(
    X: npt.NDArray[np.float64], y: npt.NDArray[np.float64], ridge: float
) -> tuple[npt.NDArray[np.float64], float]:
    """Least squares with intercept; ridge penalty ``ridge``·‖β‖² on standardised features."""
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    Z = (X - mean) / scale
    target_mean = float(y.mean())
    if ridge > 0:
        gram = Z.T @ Z + ridge * np.eye(Z.shape[1])
        beta = np.linalg.solve(gram, Z.T @ (y - target_mean))
    else:
        beta = np.linalg.lstsq(Z, y - target_mean, rcond=None)[0]
    coef = beta / scale
    return coef, target_mean - float(mean @ coef)
