"""A pure-Python reference order book and walk, exact in Decimal: the oracle for the core.

Deliberately simple: dicts keyed by Decimal price, sorted on every read. Nothing here is fast;
everything here is obviously right.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

Row = Sequence[Any]


class ReferenceBook:
    def __init__(self) -> None:
        self.bids: dict[Decimal, tuple[Decimal, str, str]] = {}
        self.asks: dict[Decimal, tuple[Decimal, str, str]] = {}

    @staticmethod
    def _put(side: dict[Decimal, tuple[Decimal, str, str]], rows: Iterable[Row]) -> None:
        for row in rows:
            price_text, size_text = str(row[0]), str(row[1])
            price, size = Decimal(price_text), Decimal(size_text)
            if size == 0:
                side.pop(price, None)
            else:
                side[price] = (size, price_text, size_text)

    def apply_snapshot(self, bids: Iterable[Row], asks: Iterable[Row]) -> None:
        self.bids.clear()
        self.asks.clear()
        self.apply_update(bids, asks)

    def apply_update(self, bids: Iterable[Row], asks: Iterable[Row]) -> None:
        self._put(self.bids, bids)
        self._put(self.asks, asks)

    def sorted_bids(self) -> list[tuple[Decimal, Decimal]]:
        return [(p, self.bids[p][0]) for p in sorted(self.bids, reverse=True)]

    def sorted_asks(self) -> list[tuple[Decimal, Decimal]]:
        return [(p, self.asks[p][0]) for p in sorted(self.asks)]

    def mid(self) -> Decimal | None:
        if not self.bids or not self.asks:
            return None
        return (max(self.bids) + min(self.asks)) / 2

    def checksum(self) -> int:
        bids = [self.bids[p] for p in sorted(self.bids, reverse=True)[:25]]
        asks = [self.asks[p] for p in sorted(self.asks)[:25]]
        parts: list[str] = []
        for i in range(25):
            if i < len(bids):
                parts += [bids[i][1], bids[i][2]]
            if i < len(asks):
                parts += [asks[i][1], asks[i][2]]
        value = zlib.crc32(":".join(parts).encode())
        return value - (1 << 32) if value >= 1 << 31 else value


@dataclass
class ReferenceFill:
    quantity: Decimal
    notional: Decimal
    levels: int
    worst_price: Decimal
    complete: bool
    remaining: Decimal


def reference_walk(
    book: ReferenceBook,
    side: str,
    *,
    notional: Decimal | None = None,
    quantity: Decimal | None = None,
) -> ReferenceFill:
    levels = book.sorted_asks() if side == "buy" else book.sorted_bids()
    filled_q = filled_n = Decimal(0)
    used = 0
    worst = Decimal(0)
    for price, size in levels:
        used += 1
        worst = price
        if notional is not None:
            if filled_n + price * size >= notional:
                filled_q += (notional - filled_n) / price
                return ReferenceFill(filled_q, notional, used, worst, True, Decimal(0))
        elif filled_q + size >= quantity:  # type: ignore[operator]
            filled_n += (quantity - filled_q) * price  # type: ignore[operator]
            return ReferenceFill(quantity, filled_n, used, worst, True, Decimal(0))  # type: ignore[arg-type]
        filled_q += size
        filled_n += price * size
    target = notional if notional is not None else quantity
    done = filled_n if notional is not None else filled_q
    return ReferenceFill(filled_q, filled_n, used, worst, False, target - done)  # type: ignore[operator]
