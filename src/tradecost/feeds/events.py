"""The events every venue adapter yields: one type for a book change, one for a trade print.

OKX, Binance and the simulated exchanges all produce these, so a consumer (the cost estimator,
the tick store, pairs analytics) handles any venue the same way. Times are int64 nanoseconds:
``exch_ts`` from the exchange's clock (millisecond precision on OKX and Binance), ``local_ts``
when the bytes carrying the event were received.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["BookEvent", "Event", "TradeEvent"]


@dataclass(slots=True)
class BookEvent:
    """A book right after a message was applied to it.

    ``book`` is the live book object (it keeps changing; ``book.copy()`` to keep a state).
    ``channel`` is the venue's stream name (``"books"`` on OKX, ``"depth@100ms"`` on Binance),
    ``seq_id`` the venue's sequence number after the message (OKX ``seqId``, Binance final update
    id ``u``), ``action`` ``"snapshot"``, ``"update"`` or ``"rest"``.

    ``stale`` is True when the book is known to be out of sync with the exchange (a sequence
    break was just detected and the book is being rebuilt): its levels must not be priced as if
    current. An event with ``stale=False`` always comes from a book that is in sync.
    """

    inst_id: str
    channel: str
    book: Any
    exch_ts: int
    local_ts: int
    seq_id: int | None
    action: str
    stale: bool = False


@dataclass(slots=True)
class TradeEvent:
    """One trade print.

    ``price`` in quote currency; ``size`` in base units (OKX swap contracts converted with
    ``ctVal``); ``side`` is the taker's side, ``"buy"`` or ``"sell"``; ``trade_id`` as the venue
    sends it, as a string; ``contracts`` the size in the venue's book units (equal to ``size``
    where the venue quotes base units, as Binance spot and USDⓈ-M do).
    """

    inst_id: str
    trade_id: str
    price: float
    size: float
    side: str
    exch_ts: int
    local_ts: int
    contracts: float


Event = BookEvent | TradeEvent
