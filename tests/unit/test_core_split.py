"""The venue-neutral core and the OKX decoder beside it: the core's shared CRC-32 kernel equals
zlib's, the OKX checksum moved out of the book unchanged, and the push-format seam checks what it
is given."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tradecost as tc
from tradecost import _book
from tradecost.errors import InvalidInputError, MalformedMessageError
from tradecost.feeds.okx._decoder import BookMessage, book_checksum


@given(st.binary(max_size=2000))
def test_crc32_kernel_equals_zlib(data: bytes):
    assert _book.crc32_of(data) == zlib.crc32(data)


def _signed(value: int) -> int:
    return value - (1 << 32) if value >= 1 << 31 else value


def test_okx_checksum_is_the_crc_of_the_interleaved_received_text():
    book = tc.OrderBook("0.1", inst_id="BTC-USDT")
    # sizes keep the digits they were sent with ("1.50", "2.000")
    book.apply_snapshot(
        [["100.0", "1.50"], ["99.9", "3"], ["99.8", "0.001"]],
        [["100.1", "2.000"], ["100.2", "4"]],
    )
    text = b"100.0:1.50:100.1:2.000:99.9:3:100.2:4:99.8:0.001"
    assert book.checksum() == book_checksum(book) == _signed(zlib.crc32(text))


def test_the_core_names_no_venue():
    assert not hasattr(_book, "BookMessage")
    assert tc.BookMessage is BookMessage
    assert issubclass(BookMessage, _book.BookLevels)
    # its code (docstrings and comments may say which format is the default)
    for name in ("_book.pyx", "_book.pxd"):
        with open(Path(tc.__file__).with_name(name), encoding="utf-8") as handle:
            text = handle.read()
        code = re.sub(r'"""[\s\S]*?"""', "", text)
        code = re.sub(r"#.*", "", code).lower()
        assert "okx" in text.lower() or name.endswith(".pxd")  # the stripping is not vacuous
        for venue in ("okx", "binance", "feeds"):
            assert venue not in code, (name, venue)


def test_apply_message_takes_any_decoded_levels_and_refuses_undecoded_ones():
    book = tc.OrderBook("0.1", inst_id="BTC-USDT")
    with pytest.raises(MalformedMessageError, match="BookMessage holds no decoded message"):
        book.apply_message(BookMessage())
    with pytest.raises(MalformedMessageError, match="BookLevels holds no decoded message"):
        book.apply_message(_book.BookLevels())


def test_register_push_format_checks_its_arguments():
    with pytest.raises(InvalidInputError, match="BookLevels subclass"):
        _book.register_push_format(dict, book_checksum)
    with pytest.raises(InvalidInputError, match="callable"):
        _book.register_push_format(BookMessage, None)
