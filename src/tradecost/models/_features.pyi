from typing import Literal, final

import numpy as np
import numpy.typing as npt

from tradecost._book import OrderBook
from tradecost.side import Side

SOURCE_HASH: str
N_MARKET_FEATURES: int
N_LIMIT_FEATURES: int

_OrderSide = Literal["buy", "sell", 1, -1] | Side

@final
class FeatureExtractor:
    """Market-state features for the learned cost models, without allocation per call."""

    depth_levels: int
    half_life_s: float
    def __init__(self, depth_levels: int = 10, half_life_s: float = 2.0) -> None: ...
    def reset(self) -> None: ...
    def update_book(self, book: OrderBook, ts_ns: int) -> None: ...
    def update_trade(self, ts_ns: int, price: float, size: float, aggressor: int) -> None: ...
    @property
    def warmed_up(self) -> bool: ...
    @property
    def last_ns(self) -> int: ...
    def extract(
        self,
        book: OrderBook,
        side: _OrderSide,
        quantity_usd: float,
        out: npt.NDArray[np.float64],
    ) -> None: ...
    def extract_limit(
        self,
        book: OrderBook,
        side: _OrderSide,
        distance_ticks: int,
        quantity_usd: float,
        horizon_s: float,
        out: npt.NDArray[np.float64],
    ) -> float: ...
