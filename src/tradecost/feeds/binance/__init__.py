"""Binance spot and USDⓈ-M market data: protocol core, compiled decoder, asyncio client,
instrument specs and the wire facts (``spec``)."""

from __future__ import annotations

from tradecost.feeds.binance.client import BinanceFeed
from tradecost.feeds.binance.instruments import (
    bundled_binance_instruments,
    fetch_binance_instruments,
    parse_exchange_info,
)
from tradecost.feeds.binance.protocol import BinanceFeedStats, BinanceProtocol, DepthState

__all__ = [
    "BinanceFeed",
    "BinanceFeedStats",
    "BinanceProtocol",
    "DepthState",
    "bundled_binance_instruments",
    "fetch_binance_instruments",
    "parse_exchange_info",
]
