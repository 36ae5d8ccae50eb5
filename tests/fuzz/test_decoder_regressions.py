"""Frames the decoder fuzzer (tests/fuzz) found mishandled, kept as plain examples."""

from __future__ import annotations

import json

import pytest

import tradecost as tc

LEVELS = '"asks":[["95000.1","1","0","1"]],"bids":[["94999.9","2","0","1"]]'


def push(arg: str, *, data: str = LEVELS, action: str = "update", arg_first: bool = True) -> str:
    arg_field = f'"arg":{{{arg}}}'
    data_field = f'"data":[{{{data},"ts":"1","checksum":0}}]'
    fields = [arg_field, f'"action":"{action}"', data_field]
    return "{" + ",".join(fields if arg_first else fields[::-1]) + "}"


BOOKS = '"channel":"books","instId":"BTC-USDT"'
TRADES = '"channel":"trades","instId":"BTC-USDT"'


def test_escaped_inst_id_and_channel_are_decoded():
    # Was: TypeError (a C char added to bytes) for any escape in channel or instId.
    book = tc.OrderBook("0.1", inst_id="BTC-USDT")
    msg = book.apply_message(push(r'"channel":"b\u006foks","instId":"BTC\u002dUSDT"'))
    assert (msg.channel, msg.inst_id) == ("books", "BTC-USDT")
    assert book.best_ask == 95000.1


def test_bad_escape_in_inst_id_is_a_malformed_message():
    book = tc.OrderBook("0.1")
    with pytest.raises(tc.MalformedMessageError):
        book.apply_message(push(r'"channel":"books","instId":"BTC\uZZZZ"'))
    assert book.n_asks == 0


@pytest.mark.parametrize("arg", ['"instId":"BTC-USDT"', ""])
def test_arg_without_channel_does_not_inherit_the_last_one(arg):
    # Was: accepted as a books push, with the channel of the message before.
    book = tc.OrderBook("0.1")
    book.apply_message(push(BOOKS, action="snapshot"))
    before = book.copy()
    with pytest.raises(tc.MalformedMessageError, match="not an order-book push"):
        book.apply_message(push(arg))
    assert book == before
    assert tc.BookMessage().decode(push(arg)).channel == ""


def test_arg_without_inst_id_does_not_inherit_the_last_one():
    message = tc.BookMessage()
    message.decode(push(BOOKS))
    assert message.decode(push('"channel":"books"')).inst_id == ""


def test_data_before_arg_does_not_use_the_last_channel():
    # Was: after a trades push, a books push with "data" before "arg" lost its levels.
    message = tc.BookMessage()
    message.decode(push(TRADES, data='"px":"1"'))
    decoded = message.decode(push(BOOKS, arg_first=False))
    assert (decoded.kind, decoded.n_asks, decoded.n_bids) == ("book", 1, 1)


def test_books_push_with_two_data_elements_is_rejected_whichever_key_comes_first():
    two = '"data":[{' + LEVELS + "},{" + LEVELS + "}]"
    arg = '"arg":{"channel":"books","instId":"BTC-USDT"}'
    message = tc.BookMessage()
    message.decode(push(TRADES, data='"px":"1"'))  # the channel held before: not a book
    for text in (f'{{{arg},"action":"update",{two}}}', f'{{{two},"action":"update",{arg}}}'):
        with pytest.raises(tc.MalformedMessageError, match="more than one 'data' element"):
            message.decode(text)
    trades = '{"data":[{"px":"1"},{"px":"2"}],"arg":{"channel":"trades","instId":"BTC-USDT"}}'
    assert message.decode(trades).kind == "other"


def test_text_with_lone_surrogates_is_a_malformed_message():
    # Was: UnicodeEncodeError from the str -> UTF-8 conversion.
    book = tc.OrderBook("0.1")
    with pytest.raises(tc.MalformedMessageError):
        book.apply_message('{"arg":\udc80}')
    with pytest.raises(tc.MalformedMessageError):
        tc.BookMessage().decode("\ud800")


@pytest.mark.parametrize("reverse", [False, True])
def test_snapshot_rows_apply_in_message_order_whatever_their_order(reverse):
    # Was: a size-0 row after a row at the same price was skipped when the other rows were
    # sorted (the level stayed) and applied as a delete when they were not.
    bids = [["94996.5", "776"], ["94996.50", "0"], ["94990.0", "1"]]
    if reverse:
        bids = [bids[2], bids[0], bids[1]]
    book = tc.OrderBook("0.1")
    book.apply_message(push(BOOKS, data=f'"asks":[],"bids":{json.dumps(bids)}', action="snapshot"))
    assert book.bids().tolist() == [[94990.0, 1.0]]
    rows = tc.OrderBook("0.1")
    rows.apply_snapshot(bids, [])
    assert rows == book


def test_a_bad_escape_is_rejected_every_time_it_is_sent():
    # The decoded channel is cached by its raw bytes: a failed decode must not leave the raw
    # bytes of the bad one beside the text of the last good one.
    book = tc.OrderBook("0.1")
    book.apply_message(push(BOOKS, action="snapshot"))
    bad = push(r'"channel":"b\uZZZZ","instId":"BTC-USDT"')
    for _ in range(2):
        with pytest.raises(tc.MalformedMessageError):
            book.apply_message(bad)
