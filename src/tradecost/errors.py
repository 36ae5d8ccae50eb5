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


class FeedError(TradecostError):
    """A market-data feed cannot go on (fatal) or an exchange answered with an error."""


class SubscriptionError(FeedError):
    """The exchange refused a subscribe, unsubscribe or login request.

    ``code`` is the exchange's error code as sent (OKX sends it as a string, e.g. ``"60018"``
    for an unknown instrument, ``"60011"`` when a channel needs a login), ``message`` its text and
    ``arg`` the channel/instrument the request named, when known. ``venue`` names the exchange.
    """

    def __init__(
        self, code: str, message: str, arg: dict[str, str] | None = None, *, venue: str = "OKX"
    ) -> None:
        self.code = code
        self.message = message
        self.arg = dict(arg) if arg else {}
        self.venue = venue
        where = f" for {self.arg}" if self.arg else ""
        super().__init__(f"{venue} error {code}{where}: {message}")

    def __reduce__(self) -> tuple[type[SubscriptionError], tuple[str, str, dict[str, str]]]:
        # keyword-built exceptions do not pickle by default; worker processes send them back
        return (type(self), (self.code, self.message, self.arg))


class SequenceGapError(FeedError):
    """An update's ``prevSeqId`` does not chain onto the last ``seqId``: messages were lost.

    A live feed does not raise it: it resynchronises and counts the gap in ``stats.gaps``.
    ``OKXProtocol(strict=True)`` raises it (after counting and resynchronising), for replays of
    recordings, where a resubscribe cannot bring the lost messages back.
    """


class ChecksumMismatchError(FeedError):
    """A non-zero OKX checksum disagrees with the CRC32 of the local book after the update.

    Raised, like :class:`SequenceGapError`, only by ``OKXProtocol(strict=True)``; a live feed
    resynchronises and counts it in ``stats.checksum_errors``.
    """


__all__ = [
    "ChecksumMismatchError",
    "CompiledCoreError",
    "EmptyBookError",
    "FeedError",
    "InvalidInputError",
    "InvalidSizeError",
    "InvalidTickSizeError",
    "MalformedMessageError",
    "OffGridPriceError",
    "SequenceGapError",
    "SubscriptionError",
    "TradecostError",
]


class UnknownFeeScheduleError(InvalidInputError, LookupError):
    """An exchange, market or fee tier that has no table. The message lists the valid names."""


class ModelDomainError(InvalidInputError):
    """Parameters outside the domain where a cost model is defined (e.g. Almgren–Chriss η̃ ≤ 0)."""


class UnverifiedFeeTableWarning(UserWarning):
    """A built-in fee table comes only from secondary sources that could not be verified."""


__all__ += ["ModelDomainError", "UnknownFeeScheduleError", "UnverifiedFeeTableWarning"]


class InvalidStateError(TradecostError, RuntimeError):
    """A call the object cannot serve in its current state (e.g. reading a simulated market's
    frame stream after a newer ``messages()``/``events()`` call took the market over)."""


__all__ += ["InvalidStateError"]


class UnknownSymbolError(InvalidInputError, LookupError):
    """A symbol the exchange does not list (checked against its instrument list at start)."""


__all__ += ["UnknownSymbolError"]


class StoreError(TradecostError):
    """The tick store cannot go on: it is closed, its writer failed, or the file is not a store."""


class InvalidTradeError(InvalidInputError):
    """A trade with a NaN, zero or negative price or size, an unknown side, a negative time or
    an empty trade id. The whole batch it came in is refused; nothing of it is stored."""


class InvalidIntervalError(InvalidInputError):
    """A bar interval that is not ``<positive integer><unit>`` (``"1s"``, ``"15m"``, ``"1h"``)."""


class MalformedBarsError(InvalidInputError):
    """OHLC bars to import with a missing column, a non-numeric or impossible value, or times
    that do not strictly increase. Nothing of the file is stored."""


__all__ += ["InvalidIntervalError", "InvalidTradeError", "MalformedBarsError", "StoreError"]
