"""A pure-Python reference for the Binance local book: Decimal-keyed dicts and the documented
procedure written as plainly as possible. The oracle for the compiled decoder and the protocol."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from tradecost.feeds.okx.instruments import Instrument

FINE_TICK = Decimal("0.00000001")


def instrument(symbol: str, tick: Decimal = FINE_TICK) -> Instrument:
    return Instrument(symbol, "SPOT", tick, Decimal("0.00000001"), Decimal("0.00000001"))


class ReferenceBook:
    def __init__(self) -> None:
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}

    def snapshot(self, bids: list[list[str]], asks: list[list[str]]) -> None:
        self.bids, self.asks = {}, {}
        self.update(bids, asks)

    def update(self, bids: list[list[str]], asks: list[list[str]]) -> None:
        for side, rows in ((self.bids, bids), (self.asks, asks)):
            for price, quantity in rows:
                p, q = Decimal(price), Decimal(quantity)
                if q == 0:
                    side.pop(p, None)
                else:
                    side[p] = q

    def levels(self) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
        bids = sorted(self.bids.items(), reverse=True)
        asks = sorted(self.asks.items())
        return (
            [(float(p), float(q)) for p, q in bids],
            [(float(p), float(q)) for p, q in asks],
        )


class ReferenceReplay:
    """Binance's documented procedure for one symbol, with no shortcuts."""

    def __init__(self, futures: bool) -> None:
        self.futures = futures
        self.book = ReferenceBook()
        self.buffer: list[dict[str, Any]] = []
        self.last: int | None = None
        self.bridged = False
        self.breaks = 0

    def event(self, data: dict[str, Any]) -> None:
        if self.last is None:
            self.buffer.append(data)
            return
        self._apply(data)

    def snapshot(self, body: dict[str, Any]) -> None:
        if self.last is not None:
            return
        self.book.snapshot(body["bids"], body["asks"])
        self.last = body["lastUpdateId"]
        for data in self.buffer:
            self._apply(data)
        self.buffer = []

    def _apply(self, data: dict[str, Any]) -> None:
        assert self.last is not None
        first, final = data["U"], data["u"]
        if self.futures:
            if not self.bridged:
                if final < self.last:
                    return
                ok = first <= self.last <= final
            else:
                ok = data["pu"] == self.last
        else:
            if final <= self.last:
                return
            ok = first <= self.last + 1 <= final if not self.bridged else first == self.last + 1
        if not ok:
            self.breaks += 1
            return
        self.book.update(data["b"], data["a"])
        self.last = final
        self.bridged = True


def payload(raw: str) -> tuple[str, dict[str, Any]]:
    document = json.loads(raw)
    if "stream" in document:
        return document["stream"], document["data"]
    return "", document
