"""tradecost: what will this order cost me right now?

Exact L2 order books from exchange feeds, turned on every tick into a pre-trade cost estimate:
slippage, fees, market impact, net cost, maker/taker proportion, and the time it took.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tradecost._core import load_book as _load_book
from tradecost.errors import (
    ChecksumMismatchError,
    CompiledCoreError,
    EmptyBookError,
    FeedError,
    InvalidInputError,
    InvalidSizeError,
    InvalidTickSizeError,
    MalformedMessageError,
    ModelDomainError,
    OffGridPriceError,
    SequenceGapError,
    SubscriptionError,
    TradecostError,
    UnknownFeeScheduleError,
    UnverifiedFeeTableWarning,
)
from tradecost.fees import FeeSchedule
from tradecost.impact import (
    AlmgrenChriss,
    CostComponents,
    Frontier,
    ImmediateImpact,
    Schedule,
    SquareRootImpact,
)

_load_book()  # a clear CompiledCoreError, not a bare ImportError, when the core is not built

from tradecost._book import (  # noqa: E402
    Fill,
    FillCurve,
    OrderBook,
    walk_book,
    walk_book_curve,
)
from tradecost.estimator import CostCurve, CostEstimate, CostEstimator  # noqa: E402
from tradecost.feeds.okx import Instrument, OKXFeed  # noqa: E402
from tradecost.feeds.okx._decoder import BookMessage  # noqa: E402
from tradecost.latency import LatencyHistogram  # noqa: E402
from tradecost.side import Side  # noqa: E402

if TYPE_CHECKING:
    from tradecost import sim
    from tradecost.models import MakerTakerClassifier, SlippageRegressor
    from tradecost.store import TickStore

#: imported on first use: they need scikit-learn (and SciPy), about 100 MB resident and a second
#: of start-up that a process which only prices books (or loads fitted models) never pays
_LAZY = {"MakerTakerClassifier": "tradecost.models", "SlippageRegressor": "tradecost.models"}
#: the tick store: imported on first use, and pandas with it
_LAZY["TickStore"] = "tradecost.store"


def __getattr__(name: str) -> Any:
    if name == "sim":  # the simulator (and its WebSocket server) loads on first use
        return importlib.import_module("tradecost.sim")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tradecost' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__version__ = "0.1.0"

__all__ = [
    "BookMessage",
    "ChecksumMismatchError",
    "CompiledCoreError",
    "CostCurve",
    "CostEstimate",
    "CostEstimator",
    "EmptyBookError",
    "FeedError",
    "Fill",
    "FillCurve",
    "Instrument",
    "InvalidInputError",
    "InvalidSizeError",
    "InvalidTickSizeError",
    "LatencyHistogram",
    "MakerTakerClassifier",
    "MalformedMessageError",
    "OKXFeed",
    "OffGridPriceError",
    "OrderBook",
    "SequenceGapError",
    "Side",
    "SlippageRegressor",
    "SubscriptionError",
    "TradecostError",
    "__version__",
    "sim",
    "walk_book",
    "walk_book_curve",
]
__all__ += [
    "AlmgrenChriss",
    "CostComponents",
    "FeeSchedule",
    "Frontier",
    "ImmediateImpact",
    "ModelDomainError",
    "Schedule",
    "SquareRootImpact",
    "UnknownFeeScheduleError",
    "UnverifiedFeeTableWarning",
]

# Venue-neutral feed events and the Binance feed (part two).
from tradecost.errors import UnknownSymbolError  # noqa: E402
from tradecost.feeds.binance import BinanceFeed  # noqa: E402
from tradecost.feeds.events import BookEvent, TradeEvent  # noqa: E402

__all__ += ["BinanceFeed", "BookEvent", "TradeEvent", "UnknownSymbolError"]
__all__ += ["TickStore"]
