"""tradecost: what will this order cost me right now?

Exact L2 order books from exchange feeds, turned on every tick into a pre-trade cost estimate:
slippage, fees, market impact, net cost, maker/taker proportion, and the time it took.
"""

from __future__ import annotations

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

from tradecost import sim  # noqa: E402
from tradecost._book import (  # noqa: E402
    BookMessage,
    Fill,
    FillCurve,
    OrderBook,
    walk_book,
    walk_book_curve,
)
from tradecost.estimator import CostCurve, CostEstimate, CostEstimator  # noqa: E402
from tradecost.feeds.okx import Instrument, OKXFeed  # noqa: E402
from tradecost.latency import LatencyHistogram  # noqa: E402
from tradecost.models import MakerTakerClassifier, SlippageRegressor  # noqa: E402
from tradecost.side import Side  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "BookMessage",
    "ChecksumMismatchError",
    "CompiledCoreError",
    "EmptyBookError",
    "FeedError",
    "Fill",
    "FillCurve",
    "Instrument",
    "InvalidInputError",
    "InvalidSizeError",
    "InvalidTickSizeError",
    "MalformedMessageError",
    "OKXFeed",
    "OffGridPriceError",
    "OrderBook",
    "SequenceGapError",
    "Side",
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
    "CostCurve",
    "CostEstimate",
    "CostEstimator",
    "FeeSchedule",
    "Frontier",
    "ImmediateImpact",
    "LatencyHistogram",
    "ModelDomainError",
    "Schedule",
    "SquareRootImpact",
    "UnknownFeeScheduleError",
    "UnverifiedFeeTableWarning",
]
__all__ += ["MakerTakerClassifier", "SlippageRegressor"]
