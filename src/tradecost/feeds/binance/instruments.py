"""Binance instrument specifications: tick size and step size from ``exchangeInfo``.

Source: ``GET /api/v3/exchangeInfo`` (spot) and ``GET /fapi/v1/exchangeInfo`` (USDⓈ-M); each
symbol's ``PRICE_FILTER.tickSize`` is the price grid and ``LOT_SIZE.stepSize`` / ``minQty`` the
quantity grid, in base units (Binance spot and USDⓈ-M books are quoted in base units, so no
contract conversion applies). Records are the venue-neutral
:class:`~tradecost.instruments.Instrument` (``venue="binance"``): ``inst_type`` ``"SPOT"``,
``"SWAP"`` (perpetual) or ``"FUTURES"`` (dated), ``lot_size`` = step size, ``min_size`` = minimum
quantity.

A trimmed copy of 2021 responses (TRADING symbols quoted in USDT, USDC, BTC, ETH, BNB, FDUSD or
EUR; USDⓈ-M perpetuals) is bundled as ``tradecost/data/binance_exchange_info.json`` in the same
format (built by ``scripts/build_binance_instruments.py``). Tick sizes change over time (BTCUSDT on
USDⓈ-M went from 0.01 to 0.10), so the feed fetches the live list and uses the bundle only when the
exchange cannot be reached.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Any

from tradecost.errors import FeedError, InvalidInputError, UnknownSymbolError
from tradecost.feeds.binance.spec import market_spec
from tradecost.instruments import Instrument, checked_grid

__all__ = [
    "bundled_binance_instruments",
    "fetch_binance_instruments",
    "instrument_from_binance",
    "parse_exchange_info",
    "resolve_symbols",
]


def _filter_decimal(row: Mapping[str, Any], filter_type: str, field: str) -> Decimal | None:
    for entry in row.get("filters") or ():
        if entry.get("filterType") == filter_type and field in entry:
            try:
                value = Decimal(str(entry[field]))
            except InvalidOperation:
                raise InvalidInputError(
                    f"{row.get('symbol')!r}: {filter_type}.{field}={entry[field]!r} is not a "
                    "decimal number"
                ) from None
            return value.normalize() if value else value
    return None


def instrument_from_binance(row: Mapping[str, Any], market: str) -> Instrument:
    """One element of ``exchangeInfo``'s ``symbols`` list as an :class:`Instrument`."""
    symbol = str(row.get("symbol", ""))
    if not symbol:
        raise InvalidInputError(f"exchangeInfo row without a symbol: {dict(row)!r}")
    tick_size, step_size, min_qty = checked_grid(
        repr(symbol),
        ("PRICE_FILTER.tickSize", _filter_decimal(row, "PRICE_FILTER", "tickSize")),
        ("LOT_SIZE.stepSize", _filter_decimal(row, "LOT_SIZE", "stepSize")),
        _filter_decimal(row, "LOT_SIZE", "minQty"),
    )
    if market == "spot":
        inst_type = "SPOT"
    else:
        inst_type = "SWAP" if row.get("contractType", "PERPETUAL") == "PERPETUAL" else "FUTURES"
    return Instrument(
        symbol,
        inst_type,
        tick_size,
        step_size,
        min_qty,
        base_ccy=str(row.get("baseAsset", "")),
        quote_ccy=str(row.get("quoteAsset", "")),
        settle_ccy=str(row.get("marginAsset", "")) if market != "spot" else "",
        state=str(row.get("status", "TRADING")).lower(),
        venue="binance",
    )


def parse_exchange_info(
    payload: Mapping[str, Any] | str | bytes, market: str = "spot"
) -> dict[str, Instrument]:
    """Parse an ``exchangeInfo`` body into ``{symbol: Instrument}`` (rows whose filters are
    unusable are skipped). Raises :class:`FeedError` for an error reply (``{"code", "msg"}``)."""
    market_spec(market)
    try:
        document = json.loads(payload) if isinstance(payload, (str, bytes)) else payload
    except ValueError as exc:
        raise FeedError(f"Binance exchangeInfo is not JSON: {exc}") from None
    if not isinstance(document, Mapping) or "symbols" not in document:
        code = document.get("code") if isinstance(document, Mapping) else None
        message = document.get("msg") if isinstance(document, Mapping) else None
        raise FeedError(f"Binance exchangeInfo request failed: code {code}: {message}")
    out: dict[str, Instrument] = {}
    for row in document["symbols"]:
        try:
            instrument = instrument_from_binance(row, market)
        except InvalidInputError:
            continue
        out[instrument.inst_id] = instrument
    return out


@cache
def _bundled(market: str) -> dict[str, Instrument]:
    text = resources.files("tradecost").joinpath("data/binance_exchange_info.json").read_text()
    return parse_exchange_info(json.loads(text)[market], market)


def bundled_binance_instruments(market: str = "spot") -> dict[str, Instrument]:
    """The bundled (2021) specs of common Binance symbols (a copy; safe to mutate)."""
    market_spec(market)
    return dict(_bundled(market))


def fetch_binance_instruments(
    market: str = "spot", *, rest_url: str | None = None, timeout: float = 10.0
) -> dict[str, Instrument]:
    """``GET exchangeInfo`` (blocking: from asyncio use a thread)."""
    url = market_spec(market).exchange_info_url(rest_url)
    with urllib.request.urlopen(url, timeout=timeout) as reply:
        return parse_exchange_info(reply.read(), market)


def resolve_symbols(
    symbols: list[str], market: str, known: Mapping[str, Instrument], *, source: str
) -> dict[str, Instrument]:
    """``{symbol: Instrument}`` for each of ``symbols``, or :class:`UnknownSymbolError` naming
    the ones ``known`` (read from ``source``) does not list."""
    missing = [s for s in symbols if s.upper() not in known]
    if missing:
        raise UnknownSymbolError(
            f"Binance {market} does not list {', '.join(map(repr, missing))} ({source}); "
            "symbols are written like 'BTCUSDT'"
        )
    return {s.upper(): known[s.upper()] for s in symbols}
