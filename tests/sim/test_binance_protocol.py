"""The simulated Binance venue without a socket: plain dicts in, Binance messages out."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradecost.errors import InvalidInputError
from tradecost.sim.binance_protocol import (
    BinanceVenue,
    RestError,
    format_quantity,
    handle_request,
    parse_stream,
    symbol_for,
)

INSTRUMENT = {
    "instType": "SPOT",
    "instId": "BTC-USDT",
    "tickSz": "0.1",
    "lotSz": "0.00000001",
    "minSz": "0.00001",
}
SWAP = {**INSTRUMENT, "instType": "SWAP", "instId": "ETH-USDT-SWAP", "ctVal": "0.1", "lotSz": "1"}


def okx_books(inst_id: str, action: str, bids: list[list[str]], asks: list[list[str]]) -> Any:
    rows = [[p, s, "0", "1"] for p, s in bids], [[p, s, "0", "1"] for p, s in asks]
    data = {"bids": rows[0], "asks": rows[1], "ts": "1767225600100"}
    return {"arg": {"channel": "books", "instId": inst_id}, "action": action, "data": [data]}


def okx_trade(inst_id: str, side: str, px: str = "100.1", sz: str = "0.5") -> Any:
    row = {"instId": inst_id, "tradeId": "9", "px": px, "sz": sz, "side": side, "ts": "5"}
    return {"arg": {"channel": "trades", "instId": inst_id}, "data": [row]}


levels = st.lists(
    st.tuples(st.integers(0, 30), st.integers(0, 3)),
    min_size=0,
    max_size=8,
    unique_by=lambda r: r[0],
)


def _rows(raw: list[tuple[int, int]], base: int) -> list[list[str]]:
    return [[f"{base + tick / 10:.1f}", str(size)] for tick, size in raw]


@pytest.mark.parametrize("market", ["spot", "usdm"])
@given(updates=st.lists(st.tuples(levels, levels), min_size=1, max_size=30))
def test_diffs_chain_and_rebuild_the_true_book(
    market: str, updates: list[tuple[list[tuple[int, int]], list[tuple[int, int]]]]
) -> None:
    venue = BinanceVenue(market, seed=1)
    venue.add_instrument(INSTRUMENT)
    venue.on_source(okx_books("BTC-USDT", "snapshot", [["99.0", "1"]], [["104.0", "1"]]), 0)
    snapshot = venue.depth({"symbol": "BTCUSDT", "limit": "1000"}, 0)
    book = {
        "b": {Decimal(p): q for p, q in snapshot["bids"]},
        "a": {Decimal(p): q for p, q in snapshot["asks"]},
    }
    last = snapshot["lastUpdateId"]
    for bid_rows, ask_rows in updates:  # bids 100.0-103.0, asks 104.0-107.0: never crossed
        frame = okx_books("BTC-USDT", "update", _rows(bid_rows, 100), _rows(ask_rows, 104))
        for push in venue.on_source(frame, 0):
            event = push.payload
            if market == "spot":
                assert event["U"] == last + 1
            else:
                assert event["pu"] == last and event["U"] > last
            assert event["u"] - event["U"] + 1 == len(event["b"]) + len(event["a"])
            bids = [Decimal(p) for p, _ in event["b"]]
            assert bids == sorted(bids, reverse=market == "spot")
            for side in ("b", "a"):
                for price, quantity in event[side]:
                    if Decimal(quantity) == 0:
                        book[side].pop(Decimal(price), None)
                    else:
                        book[side][Decimal(price)] = quantity
            last = event["u"]
    truth = venue.true_book("BTCUSDT")
    assert book["b"] == {Decimal(p): q for p, q in truth.bids()}
    assert book["a"] == {Decimal(p): q for p, q in truth.asks()}
    assert venue.last_update_id("BTCUSDT") == last


def test_spot_numbers_are_padded_and_futures_keep_tick_precision() -> None:
    spot, usdm = BinanceVenue("spot"), BinanceVenue("usdm")
    for venue in (spot, usdm):
        venue.add_instrument(INSTRUMENT)
        venue.add_instrument(SWAP)
    frame = okx_books("BTC-USDT", "snapshot", [["95000.1", "0.0012"]], [["95000.2", "3"]])
    (event,) = [p.payload for p in spot.on_source(frame, 7)]
    assert event["b"] == [["95000.10000000", "0.00120000"]] and event["E"] == 7
    (event,) = [p.payload for p in usdm.on_source(frame, 7)]
    assert event["b"] == [["95000.1", "0.00120000"]]
    # a SWAP's sizes are contracts: 3 contracts of 0.1 ETH are 0.3 ETH
    swap = okx_books("ETH-USDT-SWAP", "snapshot", [["3500.1", "3"]], [["3500.2", "1"]])
    (event,) = [p.payload for p in usdm.on_source(swap, 7)]
    assert event["s"] == "ETHUSDT" and event["b"] == [["3500.1", "0.3"]]


def test_taker_side_sets_m() -> None:
    venue = BinanceVenue("spot")
    venue.add_instrument(INSTRUMENT)
    sell = {p.kind: p.payload for p in venue.on_source(okx_trade("BTC-USDT", "sell"), 3)}
    buy = {p.kind: p.payload for p in venue.on_source(okx_trade("BTC-USDT", "buy"), 3)}
    assert sell["trade"]["m"] is True and buy["trade"]["m"] is False  # m: the buyer made
    assert sell["aggTrade"]["m"] is True and buy["aggTrade"]["M"] is True
    assert buy["trade"]["t"] == sell["trade"]["t"] + 1
    assert sell["trade"]["q"] == "0.50000000" and sell["trade"]["T"] == 3


@pytest.mark.parametrize("market", ["spot", "usdm"])
def test_a_gap_breaks_the_chain_but_not_the_book(market: str) -> None:
    venue = BinanceVenue(market)
    venue.add_instrument(INSTRUMENT)
    venue.on_source(okx_books("BTC-USDT", "snapshot", [["99.0", "1"]], [["104.0", "1"]]), 0)
    last = venue.last_update_id("BTCUSDT")
    venue.inject_gap("BTCUSDT", skip=5)
    (push,) = venue.on_source(okx_books("BTC-USDT", "update", [["99.0", "2"]], []), 0)
    if market == "spot":
        assert push.payload["U"] == last + 6
    else:
        assert push.payload["pu"] == last + 5 and push.payload["U"] > last + 5
    price = "99.00000000" if market == "spot" else "99.0"
    assert venue.true_book("BTCUSDT").bids() == [[price, "2.00000000"]]


def test_stale_depth_serves_an_older_book() -> None:
    venue = BinanceVenue("spot", history=3)
    venue.add_instrument(INSTRUMENT)
    venue.on_source(okx_books("BTC-USDT", "snapshot", [["99.0", "1"]], [["104.0", "1"]]), 0)
    for size in ("2", "3", "4", "5"):
        venue.on_source(okx_books("BTC-USDT", "update", [["99.0", size]], []), 0)
    fresh = venue.depth({"symbol": "BTCUSDT"}, 0)
    stale = venue.depth({"symbol": "BTCUSDT"}, 0, stale=True)
    assert stale["lastUpdateId"] < fresh["lastUpdateId"]
    assert stale["bids"] == [["99.00000000", "3.00000000"]]  # three states back
    assert fresh["bids"] == [["99.00000000", "5.00000000"]]


def test_rest_errors() -> None:
    spot, usdm = BinanceVenue("spot"), BinanceVenue("usdm")
    for venue in (spot, usdm):
        venue.add_instrument(INSTRUMENT)
    with pytest.raises(RestError) as caught:
        spot.depth({"symbol": "NOPE"}, 0)
    assert caught.value.status == 400 and caught.value.body["code"] == -1121
    with pytest.raises(RestError) as caught:
        spot.depth({"symbol": "BTCUSDT", "limit": "x"}, 0)
    assert caught.value.body["code"] == -1100
    with pytest.raises(RestError) as caught:
        usdm.depth({"symbol": "BTCUSDT", "limit": "7"}, 0)
    assert caught.value.body["code"] == -1130
    with pytest.raises(RestError) as caught:
        spot.exchange_info({"symbols": '["BTCUSDT","NOPE"]'}, 0)
    assert caught.value.body["code"] == -1121
    info = spot.exchange_info({"symbols": '["BTCUSDT"]'}, 0)
    assert [s["symbol"] for s in info["symbols"]] == ["BTCUSDT"]


def test_requests_and_their_replies() -> None:
    reply = handle_request('{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1}', [])
    assert reply.message == {"result": None, "id": 1}
    assert [s.name for s in reply.subscribe] == ["btcusdt@trade"]
    reply = handle_request('{"method":"UNSUBSCRIBE","params":["btcusdt@trade"],"id":"a"}', [])
    assert reply.message == {"result": None, "id": "a"} and reply.unsubscribe == ["btcusdt@trade"]
    reply = handle_request('{"method":"LIST_SUBSCRIPTIONS","id":2}', ["b@trade", "a@trade"])
    assert reply.message == {"result": ["a@trade", "b@trade"], "id": 2}
    assert handle_request("{", []).message["error"]["code"] == 3
    assert handle_request("[]", []).message["error"]["code"] == 2
    bad_id = '{"method":"SUBSCRIBE","params":["a@trade"],"id":true}'
    assert handle_request(bad_id, []).message["error"]["code"] == 2
    upper = json.dumps({"method": "SUBSCRIBE", "params": ["BTCUSDT@trade"], "id": 3})
    assert handle_request(upper, []).message == {
        "error": {"code": 2, "msg": "Invalid request: invalid stream 'BTCUSDT@trade'"},
        "id": 3,
    }


def test_names_and_numbers() -> None:
    assert symbol_for("BTC-USDT") == symbol_for("BTC-USDT-SWAP") == "BTCUSDT"
    with pytest.raises(InvalidInputError):
        symbol_for("BTCUSDT")
    stream = parse_stream("ethusdt@depth@100ms")
    assert stream is not None and (stream.symbol, stream.kind, stream.path) == (
        "ETHUSDT",
        "depth@100ms",
        "public",
    )
    assert parse_stream("ethusdt") is None and parse_stream(3) is None
    assert format_quantity(Decimal("1.5"), 8) == "1.50000000"
    with pytest.raises(InvalidInputError, match="does not fit"):
        format_quantity(Decimal("1.123"), 2)
    with pytest.raises(InvalidInputError, match="market"):
        BinanceVenue("coinm")


@pytest.mark.parametrize("market", ["spot", "usdm"])
def test_exchange_info_numbers_are_plain_decimal_strings(market: str) -> None:
    venue = BinanceVenue(market)
    venue.add_instrument(INSTRUMENT)  # lot 0.00000001: str(Decimal) would give "1E-8"
    (info,) = venue.exchange_info({}, 0)["symbols"]
    filters = {f["filterType"]: f for f in info["filters"]}
    for key, value in [*filters["PRICE_FILTER"].items(), *filters["LOT_SIZE"].items()]:
        if key != "filterType":
            assert re.fullmatch(r"\d+(\.\d+)?", value), (key, value)
    assert Decimal(filters["LOT_SIZE"]["stepSize"]) == Decimal("0.00000001")
    assert Decimal(filters["PRICE_FILTER"]["tickSize"]) == Decimal("0.1")


@pytest.mark.parametrize("market", ["spot", "usdm"])
def test_a_snapshot_inside_an_event_is_that_event_part_applied(market: str) -> None:
    venue = BinanceVenue(market, seed=2)
    venue.add_instrument(INSTRUMENT)
    venue.on_source(okx_books("BTC-USDT", "snapshot", [["99.0", "1"]], [["104.0", "1"]]), 0)
    update = okx_books(
        "BTC-USDT", "update", [["99.0", "2"], ["98.0", "3"]], [["104.0", "0"], ["105.0", "4"]]
    )
    (push,) = venue.on_source(update, 0)
    event = push.payload
    for _ in range(20):
        body = venue.depth({"symbol": "BTCUSDT"}, 0, inside_event=True)
        k = body["lastUpdateId"] - event["U"] + 1
        assert 1 <= k < event["u"] - event["U"] + 1
        changes = event["b"] + event["a"]
        book = {"b": {Decimal("99.0"): Decimal(1)}, "a": {Decimal("104.0"): Decimal(1)}}
        for index, (price, quantity) in enumerate(changes[:k]):
            side = "b" if index < len(event["b"]) else "a"
            book[side][Decimal(price)] = Decimal(quantity)
        shown = {
            "b": {Decimal(p): Decimal(q) for p, q in body["bids"]},
            "a": {Decimal(p): Decimal(q) for p, q in body["asks"]},
        }
        for side in ("b", "a"):
            expected = {p: q for p, q in book[side].items() if q != 0}
            assert shown[side] == expected
