"""Bars kept up to date as trades arrive: the last, still-open bar changes with every append.

Each append is aggregated per bucket with numpy (no Python loop per trade), then merged into the
few bars it touches. Within a bar, trades are ordered by ``(ts_ns, arrival)`` exactly as
:meth:`TickStore.bars` orders them, so a live bar equals the stored bar over the same trades, also
when trades arrive late or out of order.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import numpy.typing as npt

from tradecost.store.batches import TradeBatch

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Bar", "LiveBars", "aggregate"]

BAR_COLUMNS = ("open", "high", "low", "close", "volume", "notional", "vwap", "trades")


class Bar(NamedTuple):
    """One bar. ``start_ns`` is the bucket start (UTC-aligned); ``volume`` base, ``notional``
    quote units; ``first_ts_ns``/``last_ts_ns`` the times of its first and last trade."""

    start_ns: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    notional: float
    trades: int
    first_ts_ns: int
    last_ts_ns: int

    @property
    def vwap(self) -> float:
        return self.notional / self.volume


def aggregate(
    ts_ns: npt.NDArray[np.int64],
    price: npt.NDArray[np.float64],
    size: npt.NDArray[np.float64],
    interval_ns: int,
) -> list[Bar]:
    """Bars of one batch of trades (given in arrival order), vectorised."""
    if ts_ns.size == 0:
        return []
    order = np.argsort(ts_ns, kind="stable")  # (ts, arrival)
    ts = ts_ns[order]
    px = price[order]
    qty = size[order]
    bucket = ts // interval_ns
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    ends = np.r_[starts[1:], ts.size] - 1
    high = np.maximum.reduceat(px, starts)
    low = np.minimum.reduceat(px, starts)
    volume = np.add.reduceat(qty, starts)
    notional = np.add.reduceat(px * qty, starts)
    count = np.diff(np.r_[starts, ts.size])
    return [
        Bar(*fields)
        for fields in zip(
            (bucket[starts] * interval_ns).tolist(),
            px[starts].tolist(),
            high.tolist(),
            low.tolist(),
            px[ends].tolist(),
            volume.tolist(),
            notional.tolist(),
            count.tolist(),
            ts[starts].tolist(),
            ts[ends].tolist(),
            strict=True,
        )
    ]


def merge(old: Bar, new: Bar) -> Bar:
    """``old`` then ``new`` (arrived later) in the same bucket."""
    return Bar(
        start_ns=old.start_ns,
        open=new.open if new.first_ts_ns < old.first_ts_ns else old.open,
        high=max(old.high, new.high),
        low=min(old.low, new.low),
        close=new.close if new.last_ts_ns >= old.last_ts_ns else old.close,
        volume=old.volume + new.volume,
        notional=old.notional + new.notional,
        trades=old.trades + new.trades,
        first_ts_ns=min(old.first_ts_ns, new.first_ts_ns),
        last_ts_ns=max(old.last_ts_ns, new.last_ts_ns),
    )


class LiveBars:
    """The most recent ``keep`` bars of one symbol at one interval, updated on every append.

    Made by :meth:`TickStore.live_bars`. ``current`` is the latest bar (still open while trades
    for its bucket keep arriving); ``frame()`` the bars as a DataFrame shaped like
    :meth:`TickStore.bars`. ``version`` grows by one per update, for cheap change polling.
    """

    def __init__(
        self,
        symbol: str,
        interval_ns: int,
        exchange: str | None = None,
        keep: int = 1_000,
        seed: list[Bar] | None = None,
    ) -> None:
        self.symbol = symbol
        self.exchange = exchange
        self.interval_ns = interval_ns
        self.keep = keep
        self.version = 0
        self._bars: OrderedDict[int, Bar] = OrderedDict()
        self._lock = threading.Lock()
        for bar in seed or []:
            self._bars[bar.start_ns] = bar
        self._trim()

    def wants(self, exchange: str, symbol: str) -> bool:
        return symbol == self.symbol and self.exchange in (None, exchange)

    def update(self, batch: TradeBatch) -> None:
        """Merge a checked batch (called by the store on append)."""
        fresh = aggregate(batch.ts_ns, batch.price, batch.size, self.interval_ns)
        if not fresh:
            return
        with self._lock:
            latest = next(reversed(self._bars)) if self._bars else None
            for bar in fresh:
                old = self._bars.get(bar.start_ns)
                self._bars[bar.start_ns] = bar if old is None else merge(old, bar)
            if latest is not None and fresh[0].start_ns < latest and len(self._bars) > 1:
                self._bars = OrderedDict(sorted(self._bars.items()))  # a late bar: reorder
            self._trim()
            self.version += 1

    def _trim(self) -> None:
        while len(self._bars) > self.keep:
            self._bars.popitem(last=False)

    @property
    def current(self) -> Bar | None:
        """The latest bar, or None before the first trade."""
        with self._lock:
            if not self._bars:
                return None
            return next(reversed(self._bars.values()))

    def bars(self) -> list[Bar]:
        with self._lock:
            return list(self._bars.values())

    def frame(self) -> pd.DataFrame:
        return bars_frame(self.bars())


def bars_frame(bars: list[Bar]) -> pd.DataFrame:
    import pandas as pd

    columns: dict[str, Any] = {
        "open": [b.open for b in bars],
        "high": [b.high for b in bars],
        "low": [b.low for b in bars],
        "close": [b.close for b in bars],
        "volume": [b.volume for b in bars],
        "notional": [b.notional for b in bars],
    }
    frame = pd.DataFrame(
        columns,
        index=pd.Index(np.array([b.start_ns for b in bars], dtype=np.int64), name="ts_ns"),
        dtype=np.float64,
    )
    frame["vwap"] = frame["notional"] / frame["volume"]
    frame["trades"] = np.array([b.trades for b in bars], dtype=np.int64)
    return frame
