"""Record a venue's feed into a :class:`TickStore`: every trade, and the books at a fixed rate.

The loop only knows the events every venue adapter yields (``TradeEvent``: ``inst_id``,
``price``, ``size``, ``side``, ``trade_id``, ``exch_ts``, ``local_ts``; ``BookEvent``:
``inst_id``, ``book``, ``exch_ts``, ``local_ts``, optionally ``stale``), so a venue plugs in by
handing over its feed. Trades are handed to the store in small groups (every ``trade_flush_s`` or
``trade_batch`` trades) so the store's writer does not pay a savepoint per trade.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from tradecost.store.tickstore import TickStore

__all__ = ["RecordStats", "record_events"]


@dataclass
class RecordStats:
    """What a recording stored (trades given to the store; replays are stored once)."""

    trades: int = 0
    books: int = 0
    skipped_books: int = 0  #: book events not stored: stale, or sooner than the book interval
    per_symbol: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "trades": self.trades,
            "books": self.books,
            "skipped_books": self.skipped_books,
            "trades_per_symbol": dict(self.per_symbol),
        }


async def record_events(
    store: TickStore,
    exchange: str,
    events: AsyncIterator[Any],
    *,
    duration_s: float | None = None,
    book_interval_s: float | None = 1.0,
    book_depth: int | None = None,
    trade_flush_s: float = 0.1,
    trade_batch: int = 1_000,
    stop: asyncio.Event | None = None,
) -> RecordStats:
    """Store ``events`` (an async iterator of trade and book events) until ``duration_s`` passes,
    ``stop`` is set or the feed ends. ``book_interval_s`` is the time between two stored
    snapshots of one book, by exchange time (``None``: no books)."""
    stats = RecordStats()
    pending: dict[str, list[Any]] = {}
    last_book_ns: dict[str, int] = {}
    interval_ns = None if book_interval_s is None else int(book_interval_s * 1e9)
    last_flush = time.monotonic()

    def hand_over() -> None:
        nonlocal last_flush
        for symbol, trades in pending.items():
            if trades:
                stored = store.append_trades(exchange, symbol, trades)
                stats.trades += stored
                stats.per_symbol[symbol] = stats.per_symbol.get(symbol, 0) + stored
        pending.clear()
        last_flush = time.monotonic()

    async def consume() -> None:
        async for event in events:
            if hasattr(event, "trade_id"):
                group = pending.setdefault(event.inst_id, [])
                group.append(event)
                if len(group) >= trade_batch or time.monotonic() - last_flush >= trade_flush_s:
                    hand_over()
            elif hasattr(event, "book"):
                if interval_ns is None or getattr(event, "stale", False):
                    stats.skipped_books += 1
                    continue
                last = last_book_ns.get(event.inst_id)
                if last is not None and event.exch_ts - last < interval_ns:
                    stats.skipped_books += 1
                    continue
                store.append_book(
                    exchange,
                    event.inst_id,
                    event.book,
                    int(event.exch_ts),
                    local_ts_ns=int(event.local_ts),
                    depth=book_depth,
                )
                last_book_ns[event.inst_id] = event.exch_ts
                stats.books += 1
            if time.monotonic() - last_flush >= trade_flush_s:
                hand_over()

    waiters: list[asyncio.Task[Any]] = [asyncio.create_task(consume())]
    if stop is not None:
        waiters.append(asyncio.create_task(stop.wait()))
    try:
        done, _ = await asyncio.wait(
            waiters, timeout=duration_s, return_when=asyncio.FIRST_COMPLETED
        )
        for task in done:
            if task is waiters[0] and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    finally:
        for task in waiters:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        hand_over()
        store.flush()
    return stats
