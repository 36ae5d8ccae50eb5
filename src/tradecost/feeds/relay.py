"""The full-snapshot relay format of the GoQuant L2 endpoints.

Each frame is a whole book, no subscribe, no sequence numbers, no checksum::

    {"timestamp":"2025-05-04T10:39:13Z","exchange":"OKX","symbol":"BTC-USDT-SWAP",
     "asks":[["95445.5","9.06"], ...],"bids":[["95445.4","1104.23"], ...]}

(``wss://ws.gomarket-cpp.goquant.io/ws/l2-orderbook/okx/BTC-USDT-SWAP``; the newer
``gomarket-api.goquant.io`` endpoint stamps ``"2025-12-03T04:09:08.823824+00:00"``). Bids are
best first (descending), asks best first (ascending); OKX SWAP sizes are relayed in contracts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

RELAY_KEYS = ("timestamp", "exchange", "symbol", "asks", "bids")


@dataclass(frozen=True, slots=True)
class RelaySnapshot:
    """One relay frame: ``timestamp_ns`` is Unix time in ns; rows are ``[price, size]`` strings."""

    exchange: str
    symbol: str
    timestamp_ns: int
    bids: list[list[str]]
    asks: list[list[str]]


def parse_relay_timestamp(text: str) -> int:
    """ISO-8601 UTC (``...Z`` or ``...+00:00``, optional fraction up to µs) → Unix ns."""
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    stamp = datetime.fromisoformat(text)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    delta = stamp - epoch
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


def parse_relay_frame(frame: str | bytes) -> RelaySnapshot | None:
    """Parse a relay frame; ``None`` when the text is not one (malformed or another format)."""
    try:
        document = json.loads(frame)
        if not isinstance(document, dict) or any(key not in document for key in RELAY_KEYS):
            return None
        bids = [[str(row[0]), str(row[1])] for row in document["bids"]]
        asks = [[str(row[0]), str(row[1])] for row in document["asks"]]
        return RelaySnapshot(
            exchange=str(document["exchange"]),
            symbol=str(document["symbol"]),
            timestamp_ns=parse_relay_timestamp(str(document["timestamp"])),
            bids=bids,
            asks=asks,
        )
    except (ValueError, TypeError, IndexError, KeyError):
        return None
