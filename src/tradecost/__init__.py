"""tradecost: what will this order cost me right now?

Exact L2 order books from exchange feeds, turned on every tick into a pre-trade cost estimate:
slippage, fees, market impact, net cost, maker/taker proportion, and the time it took.
"""

from __future__ import annotations

from tradecost.errors import (
    ChecksumMismatchError,
    CompiledCoreError,
    EmptyBookError,
    FeedError,
    InvalidInputError,
    InvalidSizeError,
    InvalidTickSizeError,
    MalformedMessageError,
    OffGridPriceError,
    SequenceGapError,
    SubscriptionError,
    TradecostError,
)
from tradecost.feeds.okx import Instrument, OKXFeed

__version__ = "0.1.0"

__all__ = [
    "ChecksumMismatchError",
    "CompiledCoreError",
    "EmptyBookError",
    "FeedError",
    "Instrument",
    "InvalidInputError",
    "InvalidSizeError",
    "InvalidTickSizeError",
    "MalformedMessageError",
    "OKXFeed",
    "OffGridPriceError",
    "SequenceGapError",
    "SubscriptionError",
    "TradecostError",
    "__version__",
]
