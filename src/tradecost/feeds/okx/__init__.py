"""OKX v5 public order-book feed: protocol core, asyncio client, instrument specs."""

from __future__ import annotations

from tradecost.feeds.okx.client import Backoff, OKXFeed
from tradecost.feeds.okx.instruments import (
    Instrument,
    bundled_instrument,
    bundled_instruments,
    fetch_instruments,
    parse_instruments,
)
from tradecost.feeds.okx.protocol import BookEvent, BookState, FeedStats, OKXProtocol, TradeEvent

__all__ = [
    "Backoff",
    "BookEvent",
    "BookState",
    "FeedStats",
    "Instrument",
    "OKXFeed",
    "OKXProtocol",
    "TradeEvent",
    "bundled_instrument",
    "bundled_instruments",
    "fetch_instruments",
    "parse_instruments",
]
