"""A pure-Python OKX L2 book and feed checker: the oracle for the simulated market's frames.

Deliberately simple (dicts keyed by exact decimal prices, raw strings kept), so that what it says
about the simulated stream can be trusted: it follows OKX's documented rules (research notes
§1.3–1.6) and nothing else.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


class FeedError(AssertionError):
    """The stream broke a rule of the OKX protocol."""


@dataclass
class ReferenceBook:
    """Price → (size string, numOrders string) per side, exact strings as received."""

    bids: dict[Decimal, tuple[str, str]] = field(default_factory=dict)
    asks: dict[Decimal, tuple[str, str]] = field(default_factory=dict)

    def apply_snapshot(self, data: dict[str, Any]) -> None:
        self.bids = {Decimal(p): (s, n) for p, s, _, n in data["bids"]}
        self.asks = {Decimal(p): (s, n) for p, s, _, n in data["asks"]}
        if len(self.bids) != len(data["bids"]) or len(self.asks) != len(data["asks"]):
            raise FeedError("duplicate price in a snapshot")

    def apply_update(self, data: dict[str, Any]) -> None:
        for rows, side in ((data["bids"], self.bids), (data["asks"], self.asks)):
            for p, s, _, n in rows:
                price = Decimal(p)
                if Decimal(s) == 0:
                    side.pop(price, None)  # deleting an unknown price is a no-op (OKX §1.4)
                else:
                    side[price] = (s, n)

    @property
    def best_bid(self) -> Decimal | None:
        return max(self.bids) if self.bids else None

    @property
    def best_ask(self) -> Decimal | None:
        return min(self.asks) if self.asks else None

    @property
    def crossed(self) -> bool:
        bid, ask = self.best_bid, self.best_ask
        return bid is not None and ask is not None and bid >= ask

    def sorted_bids(self) -> list[tuple[Decimal, Decimal]]:
        return [(p, Decimal(self.bids[p][0])) for p in sorted(self.bids, reverse=True)]

    def sorted_asks(self) -> list[tuple[Decimal, Decimal]]:
        return [(p, Decimal(self.asks[p][0])) for p in sorted(self.asks)]

    def rows(self, side: str, depth: int | None = None) -> list[list[str]]:
        book = self.bids if side == "bid" else self.asks
        prices = sorted(book, reverse=side == "bid")[:depth]
        return [[_price_text(p), book[p][0], "0", book[p][1]] for p in prices]

    def checksum(self) -> int:
        """OKX CRC32 over the top 25 levels, ``bid:sz:ask:sz`` interleaved, signed (§1.6)."""
        bids = sorted(self.bids, reverse=True)[:25]
        asks = sorted(self.asks)[:25]
        parts: list[str] = []
        for k in range(25):
            if k < len(bids):
                parts += [_price_text(bids[k]), self.bids[bids[k]][0]]
            if k < len(asks):
                parts += [_price_text(asks[k]), self.asks[asks[k]][0]]
        crc = zlib.crc32(":".join(parts).encode())
        return crc - (1 << 32) if crc >= 1 << 31 else crc


def _price_text(price: Decimal) -> str:
    text = format(price, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass
class FeedChecker:
    """Replays frames of one instrument and checks OKX's rules on every frame.

    ``books``-style channels: first frame a snapshot with prevSeqId -1, every update's prevSeqId
    equal to the last seqId, no crossed book, at most ``depth`` levels a side, and (when
    ``verify_checksum``) the checksum of the replayed book. Trades are kept with the book they
    were printed against for the caller to check.
    """

    channel: str = "books"
    depth: int = 400
    verify_checksum: bool = False
    book: ReferenceBook = field(default_factory=ReferenceBook)
    last_seq: int | None = None
    updates: int = 0
    trades: list[tuple[dict[str, Any], ReferenceBook]] = field(default_factory=list)
    keep_trade_books: bool = False

    def feed(self, raw: str) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(raw)
        arg = message["arg"]
        if arg["channel"] == "trades":
            for trade in message["data"]:
                snapshot = self.copy_book() if self.keep_trade_books else self.book
                self.trades.append((trade, snapshot))
            return message
        if arg["channel"] != self.channel:
            return message
        data = message["data"][0]
        action = message["action"]
        if action == "snapshot":
            if data["prevSeqId"] != -1:
                raise FeedError(f"snapshot prevSeqId {data['prevSeqId']} != -1")
            self.book.apply_snapshot(data)
        elif action == "update":
            if self.last_seq is None:
                raise FeedError("update before any snapshot")
            if data["prevSeqId"] != self.last_seq:
                raise FeedError(f"gap: prevSeqId {data['prevSeqId']} after seqId {self.last_seq}")
            self.book.apply_update(data)
            self.updates += 1
        else:
            raise FeedError(f"unknown action {action!r}")
        self.last_seq = data["seqId"]
        if self.book.crossed:
            raise FeedError(f"crossed book after seqId {data['seqId']}")
        if len(self.book.bids) > self.depth or len(self.book.asks) > self.depth:
            raise FeedError(f"more than {self.depth} levels after seqId {data['seqId']}")
        if self.verify_checksum and data["checksum"] != self.book.checksum():
            raise FeedError(f"checksum mismatch at seqId {data['seqId']}")
        return message

    def copy_book(self) -> ReferenceBook:
        return ReferenceBook(dict(self.book.bids), dict(self.book.asks))
