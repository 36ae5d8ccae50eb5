"""A small generator of OKX ``books`` frames from a pure-Python book, for feed tests.

It produces what a venue's matching engine would publish on the ``books`` channel (a snapshot,
then updates of a few levels each: size changes, new levels, deletions), without sequence ids —
the simulated exchange stamps its own ``seqId`` chain and checksums.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator


def _row(price_ticks: int, size_lots: int, tick: str, lot: str) -> list[str]:
    return [_fmt(price_ticks, tick), _fmt(size_lots, lot), "0", str(1 + size_lots % 7)]


def _fmt(units: int, step: str) -> str:
    decimals = len(step.split(".")[1]) if "." in step else 0
    step_units = int(step.replace(".", ""))
    value = units * step_units
    text = f"{value / 10**decimals:.{decimals}f}" if decimals else str(value)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def book_frames(
    inst_id: str = "BTC-USDT",
    n: int = 1_000,
    *,
    seed: int = 1,
    depth: int = 40,
    mid_ticks: int = 300_000,
    tick: str = "0.1",
    lot: str = "0.0001",
    changes: int = 3,
) -> Iterator[str]:
    """``n`` frames: one snapshot (``depth`` levels a side) then ``n - 1`` updates."""
    rng = random.Random(seed)
    bids = {mid_ticks - 1 - i * rng.randint(1, 3): rng.randint(1, 5000) for i in range(depth)}
    asks = {mid_ticks + 1 + i * rng.randint(1, 3): rng.randint(1, 5000) for i in range(depth)}
    arg = {"channel": "books", "instId": inst_id}

    def frame(action: str, bid_rows: list[list[str]], ask_rows: list[list[str]]) -> str:
        data = {"asks": ask_rows, "bids": bid_rows, "ts": "1700000000000", "checksum": 0}
        return json.dumps({"arg": arg, "action": action, "data": [data]}, separators=(",", ":"))

    yield frame(
        "snapshot",
        [_row(p, s, tick, lot) for p, s in sorted(bids.items(), reverse=True)],
        [_row(p, s, tick, lot) for p, s in sorted(asks.items())],
    )
    for _ in range(n - 1):
        bid_changes: dict[int, int] = {}
        ask_changes: dict[int, int] = {}
        for _ in range(changes):
            side, changed = (bids, bid_changes) if rng.random() < 0.5 else (asks, ask_changes)
            best_bid, best_ask = max(bids), min(asks)
            roll = rng.random()
            if roll < 0.5 and side:
                price = rng.choice(list(side))
                size = rng.randint(1, 5000)
            elif roll < 0.8 and len(side) > 5:
                price = rng.choice(list(side))
                size = 0
            else:
                if side is bids:
                    price = rng.randint(best_ask - 60, best_ask - 1)
                else:
                    price = rng.randint(best_bid + 1, best_bid + 60)
                size = rng.randint(1, 5000)
            if size == 0:
                side.pop(price, None)
            else:
                side[price] = size
            changed[price] = size
        yield frame(
            "update",
            [_row(p, s, tick, lot) for p, s in sorted(bid_changes.items(), reverse=True)],
            [_row(p, s, tick, lot) for p, s in sorted(ask_changes.items())],
        )


def sequenced_frames(frames: Iterator[str] | list[str], *, first_seq: int = 1_000) -> list[str]:
    """Stamp ``prevSeqId``/``seqId`` (snapshot ``-1``) and the real CRC32 checksum into frames.

    What an OKX ``books`` subscriber receives for the stream ``frames`` describes, computed with
    the exchange's own level book (:class:`tradecost.sim.levels.LevelBook`).
    """
    from tradecost.sim.levels import LevelBook

    book = LevelBook()
    out: list[str] = []
    seq = first_seq
    for frame in frames:
        push = json.loads(frame)
        data = push["data"][0]
        if push["action"] == "snapshot":
            book.replace(data["bids"], data["asks"])
            data["prevSeqId"] = -1
        else:
            book.apply(data["bids"], data["asks"])
            data["prevSeqId"] = seq
            seq += 1
        data["seqId"] = seq
        data["checksum"] = book.checksum()
        out.append(json.dumps(push, separators=(",", ":")))
    return out
