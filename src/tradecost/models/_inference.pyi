from typing import Any

import numpy as np
import numpy.typing as npt
from typing_extensions import disjoint_base

from tradecost._book import OrderBook
from tradecost.models._features import FeatureExtractor, _OrderSide

SOURCE_HASH: str
LINK_IDENTITY: int
LINK_LOGIT: int
LINK_CLOGLOG: int

@disjoint_base
class QuantilePredictor:
    """Linear slippage predictions in bps, sorted so quantiles never cross."""

    n_features: int
    n_outputs: int
    central: int
    quantiles: tuple[float, ...]
    def __init__(
        self,
        coef: npt.ArrayLike,
        intercept: npt.ArrayLike,
        quantiles: npt.ArrayLike,
        central: int = 0,
    ) -> None: ...
    def predict_one(self, x: npt.NDArray[np.float64]) -> float: ...
    def predict_quantile(self, x: npt.NDArray[np.float64], index: int) -> float: ...
    def predict_into(self, x: npt.NDArray[np.float64], out: npt.NDArray[np.float64]) -> None: ...
    def predict_book(
        self,
        extractor: FeatureExtractor,
        book: OrderBook,
        side: _OrderSide,
        quantity_usd: float,
        contract_value: float = 1.0,
    ) -> tuple[float, ...]: ...

@disjoint_base
class LiveQuantiles:
    """The live tick's learned (lowest, highest) slippage quantiles in one compiled call."""

    online: Any
    contract_value: float
    def __init__(self, online: Any) -> None: ...
    def predict_quantiles(
        self, book: OrderBook, side: str, notional: float
    ) -> tuple[float, float]: ...

@disjoint_base
class FillPredictor:
    """P(fill) of a binary GLM with a logit or complementary log-log link."""

    intercept: float
    n_features: int
    horizon_index: int
    horizon_coef: float
    link: int
    frailty: float
    def __init__(
        self,
        coef: npt.ArrayLike,
        intercept: float,
        link: int,
        horizon_index: int = -1,
        horizon_coef: float = 0.0,
        frailty: float = 0.0,
    ) -> None: ...
    def predict_one(self, x: npt.NDArray[np.float64]) -> float: ...
