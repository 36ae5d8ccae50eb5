"""Playback of real recorded OKX v5 traffic (2022-2023 captures with real CRC32 checksums).

Every book message's non-zero checksum must verify after the message is applied, the compiled
book must equal the Decimal reference book level for level, and no book may ever cross.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

import tradecost as tc
from tests.reference import ReferenceBook

FILES = [
    "okx_2022-05-13_books_BTC-USDT.ndjson",
    "okx_2022-05-13_books_BTC-USD-220527.ndjson",
    "okx_2022-05-13_books_UNI-USD-SWAP.ndjson",
    "okx_2022-02-27_books-l2-tbt_ELON-USDT.ndjson",
    "okx_2022-02-27_books-l2-tbt_PROPS-ETH.ndjson",
    "okx_2022-02-27_books-l2-tbt_UNI-USD-SWAP.ndjson",
    "okx_2022-02-27_books-l2-tbt_ZEN-USDT.ndjson",
    "okx_2022-02-27_books-l2-tbt_BTC-USD-220325-40000-C.ndjson",
    "okcoin_books_BTC-USD_2023-07-10.ndjson",
    "okx_books_snapshot_gocryptotrader_okx_test.json",
]


def finest_tick(lines: list[str]) -> str:
    """A tick that every price in the capture sits on: 10**-(most decimals seen)."""
    decimals = 0
    for line in lines:
        for price in re.findall(r'\["(\d+(?:\.\d+)?)",', line):
            if "." in price:
                decimals = max(decimals, len(price.split(".")[1]))
    return format(Decimal(1).scaleb(-decimals), "f")


@pytest.mark.parametrize("name", FILES)
def test_capture_replays_exactly(okx_captures: Path, name: str):
    lines = [line for line in (okx_captures / name).read_text().splitlines() if line.strip()]
    tick = finest_tick(lines)
    books: dict[str, tc.OrderBook] = {}
    refs: dict[str, ReferenceBook] = {}
    decoder = tc.BookMessage()
    verified = 0
    for line in lines:
        msg = decoder.decode(line.encode())
        assert msg.kind == "book"
        book = books.setdefault(msg.inst_id, tc.OrderBook(tick, inst_id=msg.inst_id))
        ref = refs.setdefault(msg.inst_id, ReferenceBook())
        book.apply_message(msg)
        data = json.loads(line)["data"][0]
        if msg.action == "snapshot":
            ref.apply_snapshot(data["bids"], data["asks"])
        else:
            ref.apply_update(data["bids"], data["asks"])
        assert msg.ts_ms == int(data["ts"])
        assert msg.checksum == data.get("checksum", 0)
        if msg.checksum:
            assert book.checksum() == msg.checksum, f"checksum mismatch at ts {msg.ts_ms}"
            verified += 1
        assert ref.checksum() == book.checksum()
        assert not book.crossed
        np.testing.assert_array_equal(book.bids()[:, 1], [float(s) for _, s in ref.sorted_bids()])
        np.testing.assert_array_equal(
            book.ask_ticks(), [int(p / Decimal(tick)) for p, _ in ref.sorted_asks()]
        )
    assert verified == len(lines)  # every message in these captures carries a checksum
