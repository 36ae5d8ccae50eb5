"""The peers tradecost is measured against, doing the same work in the same run.

- ``order-book+msgspec``, the fastest pipeline we know to build from PyPI parts: msgspec decodes
  each push in C straight into typed Structs whose level fields are floats (``strict=False``
  turns OKX's numeric strings into floats inside the decoder), feeding bmoscon's C
  ``order-book`` with float keys; a snapshot is handed over as one dict per side.
- ``order-book+msgspec-str``: the same with str level fields and Python ``float()`` per number
  (the peer measured before; kept to show what the decoding mode is worth).
- ``order-book+orjson``: the same book fed by orjson and ``float()``.
- ``sortedcontainers+orjson``: a ``sortedcontainers.SortedDict`` book, the common pure-Python
  choice.

None keeps a tick grid or the checksum strings: all do strictly less work than tradecost. All
walk the book the same way, level by level with ``SortedDict.index`` (the fastest way through
bmoscon's book we found: ``to_list()`` copies the whole side first).
"""

from __future__ import annotations

from itertools import islice
from typing import Any

import msgspec
import order_book
import orjson
from sortedcontainers import SortedDict


class _Arg(msgspec.Struct):
    channel: str
    instId: str


class _FloatArg(msgspec.Struct, gc=False):
    channel: str
    instId: str


# gc=False (msgspec's performance advice for Structs that cannot form cycles): the decoded
# Structs are not tracked by the garbage collector.
class _FloatData(msgspec.Struct, gc=False):
    # Each level is [price, size, "0", orders], all numeric strings: decoded to floats in C.
    asks: list[list[float]]
    bids: list[list[float]]
    ts: int = 0
    seqId: int = 0
    prevSeqId: int = 0


class _FloatPush(msgspec.Struct, gc=False):
    arg: _FloatArg
    data: list[_FloatData]
    action: str = "snapshot"


# strict=False: numeric strings decode into float (and int) fields. Of the level types tried
# (list[list[float]], list[tuple[float, float, str, str]], tuple[float, float, Any, Any]) the
# first decodes fastest.
_float_decoder = msgspec.json.Decoder(_FloatPush, strict=False)


class _Data(msgspec.Struct):
    asks: list[list[str]]
    bids: list[list[str]]
    ts: str = "0"
    seqId: int = 0
    prevSeqId: int = 0


class _Push(msgspec.Struct):
    arg: _Arg
    data: list[_Data]
    action: str = "snapshot"


_decoder = msgspec.json.Decoder(_Push)


def _apply_side(side: Any, rows: list[list[str]]) -> None:
    for row in rows:
        price = float(row[0])
        size = float(row[1])
        if size == 0.0:
            if price in side:
                del side[price]
        else:
            side[price] = size


def _apply_float_side(side: Any, rows: list[list[float]]) -> None:
    for row in rows:
        price = row[0]
        if row[1] == 0.0:
            if price in side:
                del side[price]
        else:
            side[price] = row[1]


class BmoscMsgspecFloat:
    """bmoscon ``order-book`` fed by msgspec decoding numbers into floats in C."""

    def __init__(self) -> None:
        self.book = order_book.OrderBook()

    def apply(self, raw: bytes) -> None:
        push = _float_decoder.decode(raw)
        data = push.data[0]
        if push.action == "snapshot":
            self.book = book = order_book.OrderBook()
            book.bids = {row[0]: row[1] for row in data.bids if row[1] != 0.0}
            book.asks = {row[0]: row[1] for row in data.asks if row[1] != 0.0}
            return
        _apply_float_side(self.book.bids, data.bids)
        _apply_float_side(self.book.asks, data.asks)

    def best(self) -> tuple[float, float]:
        return self.book.bids.index(0)[0], self.book.asks.index(0)[0]

    def walk_notional(self, notional: float) -> tuple[float, float]:
        asks = self.book.asks
        quantity = spent = 0.0
        for i in range(len(asks)):
            price, size = asks.index(i)
            if spent + price * size >= notional:
                quantity += (notional - spent) / price
                return notional / quantity, quantity
            quantity += size
            spent += price * size
        return spent / quantity, quantity


class BmoscMsgspec(BmoscMsgspecFloat):
    """bmoscon ``order-book`` fed by msgspec with str level fields and Python ``float()``."""

    def apply(self, raw: bytes) -> None:
        push = _decoder.decode(raw)
        data = push.data[0]
        if push.action == "snapshot":
            self.book = order_book.OrderBook()
        _apply_side(self.book.bids, data.bids)
        _apply_side(self.book.asks, data.asks)


class BmoscOrjson(BmoscMsgspecFloat):
    """bmoscon ``order-book`` fed by orjson."""

    def apply(self, raw: bytes) -> None:
        push = orjson.loads(raw)
        data = push["data"][0]
        if push.get("action") == "snapshot":
            self.book = order_book.OrderBook()
        _apply_side(self.book.bids, data["bids"])
        _apply_side(self.book.asks, data["asks"])


class SortedDictBook:
    """Two SortedDicts (bids keyed by negated price), fed by orjson."""

    def __init__(self) -> None:
        self.bids: SortedDict = SortedDict()
        self.asks: SortedDict = SortedDict()

    def apply(self, raw: bytes) -> None:
        push = orjson.loads(raw)
        data = push["data"][0]
        if push.get("action") == "snapshot":
            self.bids = SortedDict()
            self.asks = SortedDict()
        for row in data["bids"]:
            price, size = -float(row[0]), float(row[1])
            if size == 0.0:
                self.bids.pop(price, None)
            else:
                self.bids[price] = size
        for row in data["asks"]:
            price, size = float(row[0]), float(row[1])
            if size == 0.0:
                self.asks.pop(price, None)
            else:
                self.asks[price] = size

    def best(self) -> tuple[float, float]:
        return -self.bids.peekitem(0)[0], self.asks.peekitem(0)[0]

    def walk_notional(self, notional: float) -> tuple[float, float]:
        quantity = spent = 0.0
        for price, size in islice(self.asks.items(), None):
            if spent + price * size >= notional:
                quantity += (notional - spent) / price
                return notional / quantity, quantity
            quantity += size
            spent += price * size
        return spent / quantity, quantity


PEERS = {
    "order-book+msgspec": BmoscMsgspecFloat,
    "order-book+msgspec-str": BmoscMsgspec,
    "order-book+orjson": BmoscOrjson,
    "sortedcontainers+orjson": SortedDictBook,
}
