"""Learned cost models: realised-slippage regression and maker/taker fill probability.

Features are computed in the compiled core (:mod:`tradecost.models._features`), datasets are
built from raw frames with honest, non-circular targets (:mod:`tradecost.models.datasets`),
the estimators follow scikit-learn's conventions, and fitted models compile to predictors that
evaluate one feature vector without scikit-learn's per-call validation.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tradecost.models._inference import FillPredictor, QuantilePredictor
from tradecost.models.datasets import (
    DatasetBuilder,
    FillDataset,
    FillLabeller,
    SlippageDataset,
    frames_from_file,
    frames_from_market,
)
from tradecost.models.features import (
    LIMIT_FEATURES,
    MARKET_FEATURES,
    N_LIMIT_FEATURES,
    N_MARKET_FEATURES,
    FeatureExtractor,
)

if TYPE_CHECKING:
    from tradecost.models.maker_taker import MakerTakerClassifier, fit_cloglog
    from tradecost.models.online import OnlineModels
    from tradecost.models.slippage import SlippageRegressor

#: the estimators and their online refits need scikit-learn, imported on first use; features,
#: datasets and the compiled predictors do not
_LAZY = {
    "MakerTakerClassifier": "tradecost.models.maker_taker",
    "fit_cloglog": "tradecost.models.maker_taker",
    "OnlineModels": "tradecost.models.online",
    "SlippageRegressor": "tradecost.models.slippage",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tradecost.models' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "LIMIT_FEATURES",
    "MARKET_FEATURES",
    "N_LIMIT_FEATURES",
    "N_MARKET_FEATURES",
    "DatasetBuilder",
    "FeatureExtractor",
    "FillDataset",
    "FillLabeller",
    "FillPredictor",
    "MakerTakerClassifier",
    "OnlineModels",
    "QuantilePredictor",
    "SlippageDataset",
    "SlippageRegressor",
    "fit_cloglog",
    "frames_from_file",
    "frames_from_market",
]
