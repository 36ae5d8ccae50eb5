"""Synthetic BTC-USDT-like workloads shared by the benchmarks: a 400x400 book around 95,000
with a 0.1 tick, and a stream of OKX v5 ``books`` updates with inserts, deletes and size
changes concentrated near the touch, as on the real channel (median ~3 level changes)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

TICK = 0.1
MID_TICKS = 950_000  # 95,000.0
DEPTH = 400


def _size(rng: random.Random) -> str:
    # lognormal around 0.25 BTC: a $5M market buy walks roughly 200 levels
    return f"{rng.lognormvariate(-1.6, 0.9):.8f}".rstrip("0").rstrip(".") or "0.00000001"


def _price(ticks: int) -> str:
    text = f"{ticks / 10:.1f}"
    return text[:-2] if text.endswith(".0") else text


@dataclass
class Workload:
    snapshot: bytes
    update: bytes  # one typical update: 3 size changes at existing levels (idempotent)
    stream: list[bytes]  # mixed updates (inserts, deletes, changes), in order
    bids: list[list[str]]
    asks: list[list[str]]


def _push(action: str, bids: list[list[str]], asks: list[list[str]], seq: int) -> bytes:
    return json.dumps(
        {
            "arg": {"channel": "books", "instId": "BTC-USDT"},
            "action": action,
            "data": [
                {
                    "asks": [[p, s, "0", "1"] for p, s in asks],
                    "bids": [[p, s, "0", "1"] for p, s in bids],
                    "ts": str(1_700_000_000_000 + seq * 100),
                    "checksum": 0,
                    "prevSeqId": seq - 1 if action == "update" else -1,
                    "seqId": seq,
                }
            ],
        },
        separators=(",", ":"),
    ).encode()


def make_workload(n_updates: int = 20_000, seed: int = 7) -> Workload:
    rng = random.Random(seed)
    bid_ticks = {MID_TICKS - 1 - i: _size(rng) for i in range(DEPTH)}
    ask_ticks = {MID_TICKS + i: _size(rng) for i in range(DEPTH)}
    bids = [[_price(t), bid_ticks[t]] for t in sorted(bid_ticks, reverse=True)]
    asks = [[_price(t), ask_ticks[t]] for t in sorted(ask_ticks)]
    snapshot = _push("snapshot", bids, asks, 1)
    update = _push(
        "update",
        [[bids[0][0], _size(rng)], [bids[3][0], _size(rng)]],
        [[asks[1][0], _size(rng)]],
        2,
    )
    stream = []
    live_bids, live_asks = dict(bid_ticks), dict(ask_ticks)
    for seq in range(2, n_updates + 2):
        changes: tuple[list[list[str]], list[list[str]]] = ([], [])
        for _ in range(rng.choice((1, 2, 3, 3, 4, 6))):
            is_bid = rng.random() < 0.5
            live = live_bids if is_bid else live_asks
            best = max(live_bids) if is_bid else min(live_asks)
            distance = int(rng.expovariate(1 / 6))
            tick = best - distance if is_bid else best + distance
            roll = rng.random()
            if roll < 0.25 and tick in live and len(live) > 50:
                del live[tick]
                size = "0"
            elif roll < 0.35:
                # improve the touch, never crossing the other side
                tick = best + 1 if is_bid else best - 1
                other = min(live_asks) if is_bid else max(live_bids)
                if (is_bid and tick >= other) or (not is_bid and tick <= other):
                    continue
                size = _size(rng)
                live[tick] = size
            else:
                size = _size(rng)
                live[tick] = size
            changes[0 if is_bid else 1].append([_price(tick), size])
        stream.append(_push("update", changes[0], changes[1], seq))
    return Workload(snapshot, update, stream, bids, asks)
