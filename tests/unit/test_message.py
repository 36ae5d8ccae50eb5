"""BookMessage / apply_message: the raw-bytes fast path, against OKX's documented shapes."""

from __future__ import annotations

import json

import numpy as np
import pytest

import tradecost as tc

SNAPSHOT = (
    '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{'
    '"asks":[["8476.98","415","0","13"],["8477","7","0","2"]],'
    '"bids":[["8476.97","256","0","12"],["8475.55","101","0","1"]],'
    '"ts":"1597026383085","checksum":0,"prevSeqId":-1,"seqId":123456}]}'
)
UPDATE = (
    '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{'
    '"asks":[["8476.98","0","0","0"],["8478.1","3","0","1"]],'
    '"bids":[["8476.97","250","0","11"]],'
    '"ts":"1597026383185","checksum":0,"prevSeqId":123456,"seqId":123457}]}'
)


def test_header_fields():
    msg = tc.BookMessage().decode(SNAPSHOT)
    assert (msg.kind, msg.channel, msg.inst_id, msg.action) == (
        "book",
        "books",
        "BTC-USDT",
        "snapshot",
    )
    assert msg.ts_ms == 1597026383085
    assert (msg.prev_seq_id, msg.seq_id, msg.checksum) == (-1, 123456, 0)
    assert (msg.n_bids, msg.n_asks) == (2, 2)
    assert msg.is_snapshot
    np.testing.assert_array_equal(msg.asks(), [[8476.98, 415], [8477, 7]])


def test_ts_is_the_deprecated_name_of_ts_ms():
    msg = tc.BookMessage().decode(UPDATE)
    assert msg.ts_ms == 1597026383185
    with pytest.warns(DeprecationWarning, match="ts_ms"):
        assert msg.ts == msg.ts_ms
    assert "ts_ms=1597026383185" in repr(msg)


def test_apply_message_bytes_and_str_agree_with_rows():
    by_bytes = tc.OrderBook("0.01")
    by_bytes.apply_message(SNAPSHOT.encode())
    hdr = by_bytes.apply_message(UPDATE.encode())
    assert hdr.action == "update"
    assert hdr.prev_seq_id == 123456
    by_str = tc.OrderBook("0.01")
    by_str.apply_message(SNAPSHOT)
    by_str.apply_message(bytearray(UPDATE.encode()))
    by_rows = tc.OrderBook("0.01")
    for text in (SNAPSHOT, UPDATE):
        data = json.loads(text)["data"][0]
        if "snapshot" in text:
            by_rows.apply_snapshot(data["bids"], data["asks"])
        else:
            by_rows.apply_update(data["bids"], data["asks"])
    assert by_bytes == by_str == by_rows
    np.testing.assert_array_equal(by_bytes.asks(), [[8477, 7], [8478.1, 3]])


def test_two_step_decode_then_apply():
    msg = tc.BookMessage()
    book = tc.OrderBook("0.01", inst_id="BTC-USDT")
    book.apply_message(msg.decode(SNAPSHOT))
    assert book.best_bid == 8476.97
    with pytest.raises(tc.InvalidInputError, match="ETH-USDT"):
        tc.OrderBook("0.01", inst_id="ETH-USDT").apply_message(msg)


def test_books5_and_bbo_tbt_replace_the_book():
    bbo = (
        '{"arg":{"channel":"bbo-tbt","instId":"BCH-USDT-SWAP"},"data":[{"asks":[["111.06",'
        '"55154","0","2"]],"bids":[["111.05","57745","0","2"]],"ts":"1670324386802",'
        '"seqId":363996337}]}'
    )
    book = tc.OrderBook("0.01")
    book.apply_message(SNAPSHOT)
    msg = book.apply_message(bbo)
    assert msg.action == "snapshot"
    assert msg.seq_id == 363996337
    assert msg.prev_seq_id is None
    np.testing.assert_array_equal(book.bids(), [[111.05, 57745]])
    np.testing.assert_array_equal(book.asks(), [[111.06, 55154]])


def test_whitespace_key_order_and_unknown_keys():
    text = (
        ' { "data" : [ { "bids" : [ [ "1.5" , "2" ] ], "extra": {"a":[1,2,{"b":null}]},'
        ' "asks":[[1.6, 3, "0", "1"]], "seqId": 5, "prevSeqId": 4, "checksum": -12 } ],'
        ' "arg" : { "instId" : "X-Y", "channel" : "books" , "uid": "7"}, "action":"update" } \n'
    )
    msg = tc.BookMessage().decode(text)
    assert (msg.channel, msg.inst_id, msg.checksum, msg.seq_id) == ("books", "X-Y", -12, 5)
    assert msg.n_bids == 1
    assert msg.n_asks == 1


def test_events_and_other_channels_are_classified_not_parsed():
    ack = '{"id":"1512","event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"},"connId":"a4d3ae55"}'
    err = '{"event":"error","code":"60018","msg":"Wrong URL or channel:books,instId:NOPE doesn\'t exist.","connId":"a"}'
    trades = (
        '{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT",'
        '"tradeId":"1","px":"42219.9","sz":"0.12","side":"buy","ts":"1630048897897"},'
        '{"instId":"BTC-USDT","tradeId":"2","px":"42220","sz":"1","side":"buy","ts":"1630048897897"}]}'
    )
    msg = tc.BookMessage()
    assert msg.decode(ack).kind == "event"
    assert msg.decode(err).kind == "event"
    assert msg.decode(trades).kind == "other"
    assert msg.channel == "trades"
    with pytest.raises(tc.MalformedMessageError, match="not an order-book push"):
        tc.OrderBook("0.1").apply_message(trades)


MALFORMED = [
    "",
    "pong",
    "{",
    "[]",
    "{}",
    '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot"}',
    '{"arg":{"channel":"books","instId":"BTC-USDT"},"data":[{"asks":[],"bids":[]}]}',
    '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"replace","data":[{"asks":[],"bids":[]}]}',
    '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[]}]}',
    '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[["1"]],"bids":[]}]}',
    '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[["x","1"]],"bids":[]}]}',
    '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[["1","-1"]],"bids":[]}]}',
    '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[["0","1"]],"bids":[]}]}',
    '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[["1","1e"]],"bids":[]}]}',
    '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[["1","1"]],"bids":[]},{"asks":[],"bids":[]}]}',
    '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[["1","1"]],"bids":[],"seqId":"12a"}]}',
    '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[["1","1"]],"bids":[]}]} trailing',
    '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[["1","1"]],"bids":[]}',
    '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[["1","99999999999999999999"]],"bids":[]}]}',
    '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[["1","1"]],"bids":[]}],"x":tru}',
    '{"arg":{"channel":"books","instId":"BTC-USDT\x01"},"action":"update","data":[{"asks":[],"bids":[]}]}',
]


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_messages_raise_and_leave_the_book_alone(text):
    book = tc.OrderBook("0.01")
    book.apply_message(SNAPSHOT)
    before = book.copy()
    with pytest.raises(tc.MalformedMessageError):
        book.apply_message(text)
    with pytest.raises(tc.MalformedMessageError):
        book.apply_message(text.encode())
    assert book == before
    # the decoder is reusable after a failure
    assert book.apply_message(UPDATE).seq_id == 123457


def test_failed_decode_cannot_be_applied():
    msg = tc.BookMessage()
    with pytest.raises(tc.MalformedMessageError):
        msg.decode("{")
    with pytest.raises(tc.MalformedMessageError, match="no decoded message"):
        tc.OrderBook("0.1").apply_message(msg)


def _on_tenth_grid(text: str) -> str:
    for old, new in (("8476.98", "8477.5"), ("8476.97", "8476.9"), ("8475.55", "8475.5")):
        text = text.replace(old, new)
    return text


def test_off_grid_price_in_a_message_leaves_the_book_alone():
    book = tc.OrderBook("0.1")
    book.apply_message(_on_tenth_grid(SNAPSHOT))
    before = book.copy()
    # the first ask is valid and would delete a level; the second is off the grid
    with pytest.raises(tc.OffGridPriceError, match=r"8478\.15"):
        book.apply_message(_on_tenth_grid(UPDATE).replace("8478.1", "8478.15"))
    assert book == before
    book.apply_message(_on_tenth_grid(UPDATE))
    assert book != before


def test_error_message_points_at_the_problem():
    with pytest.raises(tc.MalformedMessageError, match=r"size must be a non-negative decimal"):
        tc.BookMessage().decode(MALFORMED[11])


def test_non_text_input_is_a_type_error():
    with pytest.raises(TypeError):
        tc.BookMessage().decode(12345)  # type: ignore[arg-type]
