"""Raw Binance frames for the tests, written the way Binance writes them."""

from __future__ import annotations

import json
from collections.abc import Sequence

Levels = Sequence[tuple[str, str]]


def depth_event(
    symbol: str,
    first_id: int,
    final_id: int,
    bids: Levels = (),
    asks: Levels = (),
    *,
    prev_id: int | None = None,
    event_ms: int = 1_700_000_000_000,
    wrap: bool = True,
) -> bytes:
    data: dict[str, object] = {"e": "depthUpdate", "E": event_ms}
    if prev_id is not None:
        data["T"] = event_ms - 3
    data.update({"s": symbol, "U": first_id, "u": final_id})
    if prev_id is not None:
        data["pu"] = prev_id
    data["b"] = [list(level) for level in bids]
    data["a"] = [list(level) for level in asks]
    if wrap:
        speed = "@depth@100ms"
        return json.dumps(
            {"stream": symbol.lower() + speed, "data": data}, separators=(",", ":")
        ).encode()
    return json.dumps(data, separators=(",", ":")).encode()


def snapshot_body(
    last_id: int, bids: Levels, asks: Levels, *, event_ms: int | None = None
) -> bytes:
    body: dict[str, object] = {"lastUpdateId": last_id}
    if event_ms is not None:
        body["E"] = event_ms
        body["T"] = event_ms - 2
    body["bids"] = [list(level) for level in bids]
    body["asks"] = [list(level) for level in asks]
    return json.dumps(body, separators=(",", ":")).encode()


def trade(symbol: str, trade_id: int, price: str, quantity: str, buyer_maker: bool) -> bytes:
    data = {
        "e": "trade",
        "E": 1_700_000_000_005,
        "s": symbol,
        "t": trade_id,
        "p": price,
        "q": quantity,
        "T": 1_700_000_000_004,
        "m": buyer_maker,
        "M": True,
    }
    return json.dumps({"stream": symbol.lower() + "@trade", "data": data}).encode()


def agg_trade(symbol: str, agg_id: int, price: str, quantity: str, buyer_maker: bool) -> bytes:
    data = {
        "e": "aggTrade",
        "E": 1_700_000_000_005,
        "s": symbol,
        "a": agg_id,
        "p": price,
        "q": quantity,
        "f": 100,
        "l": 105,
        "T": 1_700_000_000_004,
        "m": buyer_maker,
    }
    return json.dumps({"stream": symbol.lower() + "@aggTrade", "data": data}).encode()
