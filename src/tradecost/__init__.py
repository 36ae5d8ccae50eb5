"""tradecost: what will this order cost me right now?

Exact L2 order books from exchange feeds, turned on every tick into a pre-trade cost estimate:
slippage, fees, market impact, net cost, maker/taker proportion, and the time it took.
"""

from __future__ import annotations

from tradecost.errors import (
    CompiledCoreError,
    EmptyBookError,
    InvalidInputError,
    InvalidSizeError,
    InvalidTickSizeError,
    MalformedMessageError,
    ModelDomainError,
    OffGridPriceError,
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

__version__ = "0.1.0"

__all__ = [
    "CompiledCoreError",
    "EmptyBookError",
    "InvalidInputError",
    "InvalidSizeError",
    "InvalidTickSizeError",
    "MalformedMessageError",
    "OffGridPriceError",
    "TradecostError",
    "__version__",
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
