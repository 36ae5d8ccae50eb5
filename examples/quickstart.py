"""tradecost in one page: decode a raw OKX push into an exact book, walk it, price the order.

Run: python examples/quickstart.py
"""

from __future__ import annotations

import json
import random
import time

import numpy as np

import tradecost as tc


def okx_books_snapshot(inst_id: str, mid: float, levels: int, seed: int) -> bytes:
    """A BTC-USDT-like 400-level `books` snapshot, bytes exactly as OKX sends them."""
    rng = random.Random(seed)
    mid_ticks = round(mid * 10)

    def size() -> str:
        return f"{rng.lognormvariate(-1.6, 0.9):.8f}".rstrip("0").rstrip(".")

    def price(ticks: int) -> str:
        return f"{ticks / 10:.1f}".removesuffix(".0")

    bids = [[price(mid_ticks - 1 - i), size(), "0", "1"] for i in range(levels)]
    asks = [[price(mid_ticks + i), size(), "0", "1"] for i in range(levels)]
    push = {
        "arg": {"channel": "books", "instId": inst_id},
        "action": "snapshot",
        "data": [
            {
                "asks": asks,
                "bids": bids,
                "ts": str(int(time.time() * 1000)),
                "checksum": 0,
                "prevSeqId": -1,
                "seqId": 1,
            }
        ],
    }
    return json.dumps(push, separators=(",", ":")).encode()


def main() -> None:
    book = tc.OrderBook(tick_size="0.1", inst_id="BTC-USDT")
    raw = okx_books_snapshot("BTC-USDT", mid=95_000.0, levels=400, seed=7)
    started = time.perf_counter_ns()
    header = book.apply_message(raw)
    decoded_ns = time.perf_counter_ns() - started
    print(
        f"{header.inst_id}: {book.n_bids}x{book.n_asks} levels from {len(raw):,} bytes "
        f"in {decoded_ns / 1e3:.1f} us (seqId {header.seq_id})"
    )
    print(
        f"best bid {book.best_bid:,.1f}  best ask {book.best_ask:,.1f}  "
        f"mid {book.mid:,.2f}  spread {book.spread_bps:.3f} bps  "
        f"imbalance(5) {book.imbalance(5):+.3f}"
    )

    fees = tc.FeeSchedule.for_exchange("okx", market="spot", tier="Lv1")
    print(f"\nOKX spot Lv1 fees: maker {fees.maker:.4%}, taker {fees.taker:.4%}")
    print(
        f"{'market buy':>12} {'avg price':>12} {'levels':>6} {'slippage':>10} "
        f"{'taker fee':>10} {'total':>10}"
    )
    for usd in (100.0, 10_000.0, 100_000.0, 1_000_000.0, 5_000_000.0):
        fill = tc.walk_book(book, "buy", notional=usd)
        fee = fees.fee(fill.notional, maker_fraction=0.0)
        slippage_usd = fill.slippage_bps * 1e-4 * fill.notional
        flag = "" if fill.complete else f"  (book too thin: ${fill.remaining:,.0f} unfilled)"
        print(
            f"{usd:>12,.0f} {fill.avg_price:>12,.2f} {fill.levels:>6} "
            f"{fill.slippage_bps:>7.2f} bp {fee:>10.2f} {slippage_usd + fee:>10.2f}{flag}"
        )

    curve = tc.walk_book_curve(book, "sell", notionals=np.geomspace(1e3, 1e7, 9))
    print(
        "\nslippage curve, market sell (bps vs mid):",
        " ".join(f"{b:.2f}" for b in curve.slippage_bps),
    )

    # Execute 10 BTC over an hour in 60 one-minute slices instead (Almgren & Chriss 2000).
    ac = tc.AlmgrenChriss.calibrate(
        price=book.mid,
        daily_volume=20_000.0,
        daily_volatility=0.02,
        spread=book.spread,
        risk_aversion=1e-6,
        time_unit="minute",
    )
    schedule = ac.schedule(quantity=10.0, horizon=60.0, steps=60)
    print(
        f"\nAlmgren-Chriss, 10 BTC over 60 min: expected cost ${schedule.expected_cost:,.2f}, "
        f"sd ${schedule.std:,.2f}, first slices "
        + ", ".join(f"{n:.3f}" for n in schedule.trades[:5])
        + " BTC"
    )


if __name__ == "__main__":
    main()
