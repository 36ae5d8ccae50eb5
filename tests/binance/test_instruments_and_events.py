"""exchangeInfo parsing, the bundled fallback, the wire spec functions, and the venue-neutral
events at the top level."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal

import pytest

import tradecost as tc
from tests.binance.captures import require_captures
from tradecost.errors import FeedError, UnknownSymbolError
from tradecost.feeds.binance import spec
from tradecost.feeds.binance.instruments import (
    bundled_binance_instruments,
    parse_exchange_info,
    resolve_symbols,
)


def test_events_are_venue_neutral_and_at_top_level():
    from tradecost.feeds import okx
    from tradecost.feeds.okx import protocol

    assert tc.BookEvent is okx.BookEvent is protocol.BookEvent
    assert tc.TradeEvent is okx.TradeEvent is protocol.TradeEvent
    event = tc.BookEvent("BTCUSDT", "depth@100ms", None, 1, 2, 3, "update")
    assert event.stale is False
    assert [name for name, n in Counter(tc.__all__).items() if n > 1] == []
    for name in ("BinanceFeed", "BookEvent", "TradeEvent", "UnknownSymbolError"):
        assert name in tc.__all__ and hasattr(tc, name)


def test_parse_exchange_info_rows():
    body = {
        "symbols": [
            {
                "symbol": "BTCUSDT",
                "status": "TRADING",
                "baseAsset": "BTC",
                "quoteAsset": "USDT",
                "filters": [
                    {"filterType": "PRICE_FILTER", "tickSize": "0.01000000"},
                    {"filterType": "LOT_SIZE", "stepSize": "0.00001000", "minQty": "0.00001000"},
                ],
            },
            {"symbol": "BROKEN", "filters": []},
        ]
    }
    (btc,) = parse_exchange_info(json.dumps(body)).values()
    assert btc.tick_size == Decimal("0.01") and btc.lot_size == Decimal("0.00001")
    assert (btc.inst_type, btc.base_ccy, btc.quote_ccy) == ("SPOT", "BTC", "USDT")
    assert btc.to_base(2.5) == 2.5  # Binance books are in base units
    with pytest.raises(FeedError, match="-1121"):
        parse_exchange_info(b'{"code":-1121,"msg":"Invalid symbol."}')
    with pytest.raises(UnknownSymbolError, match="'NOPE'"):
        resolve_symbols(["BTCUSDT", "NOPE"], "spot", {"BTCUSDT": btc}, source="test")


def test_bundled_list_matches_the_recorded_responses():
    """The bundled file is read with the same parser as a live response; its tick and step
    sizes equal those in the recorded exchangeInfo bodies, read here with plain json."""
    folder = require_captures()
    for market, name in (("spot", "BINANCE.0"), ("usdm", "BINANCE_FUTURES.0")):
        line = (folder / "cryptofeed" / name).read_text().splitlines()[0]
        recorded = {row["symbol"]: row for row in json.loads(line.split(": ", 1)[1])["symbols"]}
        bundled = bundled_binance_instruments(market)
        assert len(bundled) > 100
        for symbol in ("BTCUSDT", "ETHUSDT", "BNBUSDT"):
            filters = {f["filterType"]: f for f in recorded[symbol]["filters"]}
            assert bundled[symbol].tick_size == Decimal(filters["PRICE_FILTER"]["tickSize"])
            assert bundled[symbol].lot_size == Decimal(filters["LOT_SIZE"]["stepSize"])
        assert bundled["BTCUSDT"].inst_type == ("SPOT" if market == "spot" else "SWAP")


def test_spec_urls_streams_and_times():
    usdm = spec.market_spec("usdm")
    assert usdm.depth_url == "wss://fstream.binance.com/public/stream"
    assert usdm.trades_url == "wss://fstream.binance.com/market/stream"
    assert (
        usdm.depth_snapshot_url("btcusdt", 5000)
        == "https://fapi.binance.com/fapi/v1/depth?symbol=BTCUSDT&limit=1000"
    )
    assert (
        spec.market_spec("spot").depth_snapshot_url("BTCUSDT", 5000, "http://127.0.0.1:9")
        == "http://127.0.0.1:9/api/v3/depth?symbol=BTCUSDT&limit=5000"
    )
    assert spec.depth_stream("BTCUSDT") == "btcusdt@depth@100ms"
    assert spec.depth_stream("BTCUSDT", "1000ms") == "btcusdt@depth"
    assert spec.trade_stream("BTCUSDT", "usdm") == "btcusdt@aggTrade"
    assert spec.stream_symbol("ethusdt@trade") == "ETHUSDT"
    assert spec.ms_to_ns(1_700_000_000_123) == 1_700_000_000_123_000_000
    assert spec.rest_base_for("wss://stream.binance.com:9443/stream", "spot") == (
        "https://api.binance.com"
    )
    assert spec.rest_base_for("ws://127.0.0.1:8765/stream", "usdm") == "http://127.0.0.1:8765"
    with pytest.raises(tc.InvalidInputError, match="'spot' or 'usdm'"):
        spec.market_spec("coinm")


def test_spec_payloads_round_trip_through_the_decoder_and_the_trade_parser():
    from tradecost.feeds.binance._depth import DepthMessage

    update = spec.combined(
        spec.depth_stream("BTCUSDT"),
        spec.depth_update_payload(
            "btcusdt",
            10,
            12,
            [("100.10", "2")],
            [("100.20", "0")],
            event_ms=5,
            prev_final_id=9,
            transaction_ms=4,
        ),
    )
    msg = DepthMessage().decode(json.dumps(update))
    assert (msg.kind, msg.symbol, msg.first_update_id, msg.final_update_id) == (
        "depth",
        "BTCUSDT",
        10,
        12,
    )
    assert (msg.prev_final_update_id, msg.event_time_ms, msg.transaction_time_ms) == (9, 5, 4)
    body = spec.depth_snapshot_body(12, [("100.10", "2")], [("100.20", "1")], event_ms=6)
    assert DepthMessage().decode(json.dumps(body)).kind == "snapshot"
    sold = spec.parse_trade(
        spec.trade_payload("BTCUSDT", 7, "100.1", "0.5", taker_side="sell", trade_ms=3), 1
    )
    assert (sold.side, sold.trade_id, sold.exch_ts) == ("sell", "7", 3_000_000)
    bought = spec.parse_trade(
        spec.agg_trade_payload(
            "BTCUSDT",
            8,
            "100.1",
            "0.5",
            taker_side="buy",
            trade_ms=3,
            first_trade_id=1,
            last_trade_id=2,
        ),
        1,
    )
    assert (bought.side, bought.trade_id) == ("buy", "8")
    assert DepthMessage().decode(json.dumps(spec.server_shutdown_payload(1))).kind == "other"
    with pytest.raises(tc.InvalidInputError, match="taker_side"):
        spec.trade_payload("BTCUSDT", 1, "1", "1", taker_side="long", trade_ms=1)
