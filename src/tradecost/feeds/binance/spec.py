"""What tradecost knows about Binance's public market-data wire, in one place.

Used by the Binance client and protocol, and meant for the simulated Binance exchange, the
recorder and the models alike. Sources: Binance spot "WebSocket Streams" and "How to manage a
local order book correctly"; USDⓈ-M futures "Diff. Book Depth Streams", "How to manage a local
order book correctly" and the 2026 split of the futures WebSocket base into ``/public`` (depth,
bookTicker), ``/market`` (aggTrade, kline, markPrice) and ``/private`` (announced 2026-03-06,
legacy paths retired 2026-04-23; they still accept a connection and then send nothing).

Facts kept here:

* Markets: ``"spot"`` and ``"usdm"`` (USDⓈ-M futures).
* Stream names are lower case: ``<symbol>@depth@100ms``, spot trades ``<symbol>@trade``, futures
  trades ``<symbol>@aggTrade`` (the documented futures trade stream). Payload symbols (``s``) are
  upper case. Combined streams wrap each payload as ``{"stream": name, "data": payload}``.
* Depth sequencing: spot drops ``u <= L`` (``L`` the REST ``lastUpdateId``), bridges with
  ``U <= L + 1 <= u`` and continues with ``U == previous u + 1``; futures drop ``u < L``, bridge
  with ``U <= L <= u`` and continue with ``pu == previous u``.
* Times: ``E`` (event), ``T`` (trade / transaction) are milliseconds.
* Trades: ``m`` true means the buyer was the maker, so the taker **sold**.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode, urlsplit

from tradecost.errors import InvalidInputError
from tradecost.feeds.events import TradeEvent

__all__ = [
    "DEPTH_SPEEDS",
    "MARKETS",
    "MarketSpec",
    "agg_trade_payload",
    "combined",
    "depth_snapshot_body",
    "depth_stream",
    "depth_update_payload",
    "market_spec",
    "ms_to_ns",
    "parse_trade",
    "rest_base_for",
    "server_shutdown_payload",
    "stream_symbol",
    "subscribe_request",
    "trade_payload",
    "trade_stream",
    "unsubscribe_request",
]

MARKETS = ("spot", "usdm")
#: Update speeds of the diff-depth stream (spot: 100ms / 1000ms; futures: 100ms / 250ms / 500ms).
DEPTH_SPEEDS = {"spot": ("100ms", "1000ms"), "usdm": ("100ms", "250ms", "500ms")}
#: Milliseconds to nanoseconds.
NS_PER_MS = 1_000_000


class MarketSpec:
    """Endpoints and rules of one Binance market."""

    __slots__ = (
        "depth_limit_max",
        "depth_path",
        "depth_url",
        "exchange_info_path",
        "market",
        "rest_url",
        "trade_stream_suffix",
        "trades_url",
        "uses_prev_final_id",
    )

    def __init__(
        self,
        market: str,
        *,
        depth_url: str,
        trades_url: str,
        rest_url: str,
        depth_path: str,
        exchange_info_path: str,
        trade_stream_suffix: str,
        uses_prev_final_id: bool,
        depth_limit_max: int,
    ) -> None:
        self.market = market
        #: combined-stream WebSocket endpoint carrying the depth streams
        self.depth_url = depth_url
        #: combined-stream WebSocket endpoint carrying the trade streams
        self.trades_url = trades_url
        self.rest_url = rest_url
        self.depth_path = depth_path
        self.exchange_info_path = exchange_info_path
        #: "trade" on spot, "aggTrade" on USDⓈ-M
        self.trade_stream_suffix = trade_stream_suffix
        #: futures chain their diffs with ``pu``; spot with ``U == previous u + 1``
        self.uses_prev_final_id = uses_prev_final_id
        self.depth_limit_max = depth_limit_max

    def depth_snapshot_url(
        self, symbol: str, limit: int = 1000, rest_url: str | None = None
    ) -> str:
        """``GET /api/v3/depth`` (spot) or ``/fapi/v1/depth`` (USDⓈ-M) for ``symbol``."""
        limit = max(1, min(int(limit), self.depth_limit_max))
        query = urlencode({"symbol": symbol.upper(), "limit": limit})
        return f"{(rest_url or self.rest_url).rstrip('/')}{self.depth_path}?{query}"

    def exchange_info_url(self, rest_url: str | None = None) -> str:
        return f"{(rest_url or self.rest_url).rstrip('/')}{self.exchange_info_path}"


_SPECS = {
    "spot": MarketSpec(
        "spot",
        depth_url="wss://stream.binance.com:9443/stream",
        trades_url="wss://stream.binance.com:9443/stream",
        rest_url="https://api.binance.com",
        depth_path="/api/v3/depth",
        exchange_info_path="/api/v3/exchangeInfo",
        trade_stream_suffix="trade",
        uses_prev_final_id=False,
        depth_limit_max=5000,
    ),
    "usdm": MarketSpec(
        "usdm",
        depth_url="wss://fstream.binance.com/public/stream",
        trades_url="wss://fstream.binance.com/market/stream",
        rest_url="https://fapi.binance.com",
        depth_path="/fapi/v1/depth",
        exchange_info_path="/fapi/v1/exchangeInfo",
        trade_stream_suffix="aggTrade",
        uses_prev_final_id=True,
        depth_limit_max=1000,
    ),
}


def market_spec(market: str) -> MarketSpec:
    """The :class:`MarketSpec` of ``"spot"`` or ``"usdm"``."""
    try:
        return _SPECS[market]
    except KeyError:
        raise InvalidInputError(
            f"unknown Binance market {market!r}; choose 'spot' or 'usdm' (USDⓈ-M futures)"
        ) from None


def ms_to_ns(ms: int | str) -> int:
    """Binance's millisecond timestamps as int64 nanoseconds."""
    return int(ms) * NS_PER_MS


def depth_stream(symbol: str, speed: str = "100ms") -> str:
    """``btcusdt@depth@100ms`` (``speed`` ``"1000ms"`` on spot and ``"250ms"`` on futures are
    the plain ``@depth`` stream)."""
    base = f"{symbol.lower()}@depth"
    return base if speed in ("1000ms", "250ms") else f"{base}@{speed}"


def trade_stream(symbol: str, market: str) -> str:
    """``btcusdt@trade`` on spot, ``btcusdt@aggTrade`` on USDⓈ-M."""
    return f"{symbol.lower()}@{market_spec(market).trade_stream_suffix}"


def stream_symbol(stream: str) -> str:
    """The upper-case symbol a stream name is about (``"btcusdt@trade"`` → ``"BTCUSDT"``)."""
    return stream.split("@", 1)[0].upper()


def subscribe_request(streams: Sequence[str], request_id: int) -> dict[str, Any]:
    """``{"method": "SUBSCRIBE", "params": [...], "id": n}``; Binance answers
    ``{"result": null, "id": n}``."""
    return {"method": "SUBSCRIBE", "params": list(streams), "id": request_id}


def unsubscribe_request(streams: Sequence[str], request_id: int) -> dict[str, Any]:
    return {"method": "UNSUBSCRIBE", "params": list(streams), "id": request_id}


def rest_base_for(ws_url: str, market: str) -> str:
    """The REST base that goes with a WebSocket URL: Binance's own for its hosts, else the same
    host over HTTP(S) (a simulated or relayed exchange serves both)."""
    parts = urlsplit(ws_url)
    host = parts.hostname or ""
    if host.endswith("binance.com") or host.endswith("binance.vision"):
        return market_spec(market).rest_url
    scheme = "https" if parts.scheme == "wss" else "http"
    return f"{scheme}://{parts.netloc}"


def parse_trade(data: Mapping[str, Any], local_ts: int) -> TradeEvent:
    """One ``trade`` (spot) or ``aggTrade`` (futures) payload as a :class:`TradeEvent`.

    ``size`` is ``q`` in base units; ``side`` is the taker's: ``m`` true (the buyer was the
    maker) means the taker sold. ``trade_id`` is ``t`` (trade) or ``a`` (aggregate trade) as a
    string; ``exch_ts`` is the trade time ``T`` (not the event time ``E``), in ns.
    Raises ``KeyError``/``ValueError``/``TypeError`` on a malformed payload.
    """
    kind = data["e"]
    if kind == "trade":
        trade_id = data["t"]
    elif kind == "aggTrade":
        trade_id = data["a"]
    else:
        raise ValueError(f"not a trade payload: e={kind!r}")
    maker = data["m"]
    if not isinstance(maker, bool):
        raise TypeError(f"'m' must be true or false, got {maker!r}")
    price = float(data["p"])
    size = float(data["q"])
    if not (math.isfinite(price) and math.isfinite(size) and price > 0 and size >= 0):
        raise ValueError(f"bad trade price/quantity {data['p']!r}/{data['q']!r}")
    return TradeEvent(
        str(data["s"]),
        str(trade_id),
        price,
        size,
        "sell" if maker else "buy",
        ms_to_ns(data["T"]),
        local_ts,
        size,
    )


# --------------------------------------------------------------------------- the other direction
# Payloads as Binance writes them, for a simulated exchange or a recorder. Levels are
# (price, quantity) decimal strings, written as given.

Levels = Sequence[tuple[str, str]]


def depth_update_payload(
    symbol: str,
    first_id: int,
    final_id: int,
    bids: Levels,
    asks: Levels,
    *,
    event_ms: int,
    prev_final_id: int | None = None,
    transaction_ms: int | None = None,
) -> dict[str, Any]:
    """A ``depthUpdate``; futures add ``T`` (``transaction_ms``) and ``pu`` (``prev_final_id``)."""
    data: dict[str, Any] = {"e": "depthUpdate", "E": event_ms}
    if transaction_ms is not None:
        data["T"] = transaction_ms
    data.update({"s": symbol.upper(), "U": first_id, "u": final_id})
    if prev_final_id is not None:
        data["pu"] = prev_final_id
    data["b"] = [[price, quantity] for price, quantity in bids]
    data["a"] = [[price, quantity] for price, quantity in asks]
    return data


def depth_snapshot_body(
    last_update_id: int, bids: Levels, asks: Levels, *, event_ms: int | None = None
) -> dict[str, Any]:
    """The REST depth body, best levels first; futures add ``E`` and ``T`` (``event_ms``)."""
    body: dict[str, Any] = {"lastUpdateId": last_update_id}
    if event_ms is not None:
        body["E"] = event_ms
        body["T"] = event_ms
    body["bids"] = [[price, quantity] for price, quantity in bids]
    body["asks"] = [[price, quantity] for price, quantity in asks]
    return body


def trade_payload(
    symbol: str,
    trade_id: int,
    price: str,
    quantity: str,
    *,
    taker_side: str,
    trade_ms: int,
    event_ms: int | None = None,
) -> dict[str, Any]:
    """A spot ``@trade`` payload; ``m`` is true when the taker sold (the buyer was the maker)."""
    return {
        "e": "trade",
        "E": trade_ms if event_ms is None else event_ms,
        "s": symbol.upper(),
        "t": trade_id,
        "p": price,
        "q": quantity,
        "T": trade_ms,
        "m": _buyer_is_maker(taker_side),
        "M": True,
    }


def agg_trade_payload(
    symbol: str,
    agg_id: int,
    price: str,
    quantity: str,
    *,
    taker_side: str,
    trade_ms: int,
    first_trade_id: int,
    last_trade_id: int,
    event_ms: int | None = None,
) -> dict[str, Any]:
    """A USDⓈ-M ``@aggTrade`` payload (no ``M`` field on futures)."""
    return {
        "e": "aggTrade",
        "E": trade_ms if event_ms is None else event_ms,
        "s": symbol.upper(),
        "a": agg_id,
        "p": price,
        "q": quantity,
        "f": first_trade_id,
        "l": last_trade_id,
        "T": trade_ms,
        "m": _buyer_is_maker(taker_side),
    }


def server_shutdown_payload(event_ms: int) -> dict[str, Any]:
    """Sent before the server closes the connection for maintenance."""
    return {"e": "serverShutdown", "E": event_ms}


def combined(stream: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The combined-stream envelope ``{"stream": name, "data": payload}``."""
    return {"stream": stream, "data": dict(data)}


def _buyer_is_maker(taker_side: str) -> bool:
    if taker_side not in ("buy", "sell"):
        raise InvalidInputError(f"taker_side must be 'buy' or 'sell', not {taker_side!r}")
    return taker_side == "sell"
