"""The peers tradecost is measured against, doing the same work in the same run.

- ``order-book`` (bmoscon's C order book from PyPI), float keys, decoding with msgspec (typed
  Structs, its fastest mode) or orjson. No checksum, no tick grid: strictly less work.
- a ``sortedcontainers.SortedDict`` book, the common pure-Python choice.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

import msgspec
import order_book
import orjson
from sortedcontainers import SortedDict


class _Data(msgspec.Struct):
    asks: list[list[str]]
    bids: list[list[str]]
    ts: str = "0"
    seqId: int = 0
    prevSeqId: int = 0


class _Arg(msgspec.Struct):
    channel: str
    instId: str


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


class BmoscMsgspec:
    """bmoscon ``order-book`` fed by msgspec typed decoding."""

    def __init__(self) -> None:
        self.book = order_book.OrderBook()

    def apply(self, raw: bytes) -> None:
        push = _decoder.decode(raw)
        data = push.data[0]
        if push.action == "snapshot":
            self.book = order_book.OrderBook()
        _apply_side(self.book.bids, data.bids)
        _apply_side(self.book.asks, data.asks)

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


class BmoscOrjson(BmoscMsgspec):
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
    "order-book+msgspec": BmoscMsgspec,
    "order-book+orjson": BmoscOrjson,
    "sortedcontainers+orjson": SortedDictBook,
}
