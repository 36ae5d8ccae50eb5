"""One exception tree for tradecost.

Every error the library raises on purpose derives from :class:`TradecostError`. Errors about bad
input also derive from :class:`ValueError`, so ``except ValueError`` keeps working for callers who
do not know tradecost's tree.
"""

from __future__ import annotations


class TradecostError(Exception):
    """Root of every error tradecost raises on purpose."""


class InvalidInputError(TradecostError, ValueError):
    """An argument is out of its domain (negative size, NaN, unknown side, ...)."""


class InvalidTickSizeError(InvalidInputError):
    """A tick size that is zero, negative, not finite or not a decimal number."""


class OffGridPriceError(InvalidInputError):
    """A price that is not an integer multiple of the book's tick size."""


class InvalidSizeError(InvalidInputError):
    """A level size that is negative, NaN, infinite or not a number."""


class MalformedMessageError(TradecostError, ValueError):
    """A feed message that cannot be decoded. The book it was meant for is left unchanged."""


class EmptyBookError(TradecostError, LookupError):
    """An operation needs a side of the book that has no levels."""


class CompiledCoreError(TradecostError, ImportError):
    """The compiled core is missing or was built from other sources than the ones installed."""


__all__ = [
    "CompiledCoreError",
    "EmptyBookError",
    "InvalidInputError",
    "InvalidSizeError",
    "InvalidTickSizeError",
    "MalformedMessageError",
    "OffGridPriceError",
    "TradecostError",
]


class UnknownFeeScheduleError(InvalidInputError, LookupError):
    """An exchange, market or fee tier that has no table. The message lists the valid names."""


class ModelDomainError(InvalidInputError):
    """Parameters outside the domain where a cost model is defined (e.g. Almgren–Chriss η̃ ≤ 0)."""


class UnverifiedFeeTableWarning(UserWarning):
    """A built-in fee table comes only from secondary sources that could not be verified."""


__all__ += ["ModelDomainError", "UnknownFeeScheduleError", "UnverifiedFeeTableWarning"]
