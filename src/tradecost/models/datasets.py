"""Training data for the learned cost models, built from a feed's book and trade events.

Targets are what actually happened after the decision, never a function of the decision-time
snapshot alone (research notes §4.2, §5.2):

* **Slippage.** At a decision time t0 a market order of Q quote units is *submitted*; it
  reaches the book a latency L later and fills against the book as it stands then (every trade
  and update in between has already changed it). The target is its average price against the
  **arrival mid** (the mid at t0), in bps, positive = cost. Walk-the-book on the t0 snapshot is
  a feature and the baseline, not the target.
* **Maker/taker.** At t0 a hypothetical limit order rests d ticks behind its own touch with the
  displayed size at its price ahead of it (the queue ahead Q0; 0 inside the spread). It counts as
  filled within horizon h when, among the trades in (t0, t0 + h], an opposite-side taker prints
  strictly through its price (a trade-through), or the opposite-side taker volume printed at its
  price reaches Q0 + its own size. Cancellations ahead are ignored, so the label is a lower bound
  on the fill probability. Orders whose window runs past the end of the data are dropped.

Events come from a live feed (:meth:`DatasetBuilder.on_event`: the feed's ``BookEvent`` and
``TradeEvent``), or raw OKX frames of a recording or :class:`tradecost.sim.SimulatedMarket`
(:meth:`DatasetBuilder.feed`), which go through the venue's protocol (``OKXProtocol``: one
decoder, one sequence check) into the same events; only one book channel and ``trades`` are
used.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tradecost._book import OrderBook, walk_book
from tradecost.errors import InvalidInputError, MalformedMessageError, TradecostError
from tradecost.feeds.events import BookEvent, TradeEvent
from tradecost.feeds.okx import spec
from tradecost.feeds.okx._decoder import BookMessage
from tradecost.feeds.okx.protocol import BookState, OKXProtocol
from tradecost.instruments import Instrument
from tradecost.models.features import (
    MARKET_FEATURES,
    N_LIMIT_FEATURES,
    N_MARKET_FEATURES,
    FeatureExtractor,
)
from tradecost.record import read_recording

__all__ = [
    "DatasetBuilder",
    "FillDataset",
    "FillLabeller",
    "SlippageDataset",
    "frames_from_file",
    "frames_from_market",
    "infer_tick_size",
]

_F64 = npt.NDArray[np.float64]
_I64 = npt.NDArray[np.int64]


# ----------------------------------------------------------------------------------------------
# labelling


class FillLabeller:
    """Queue-ahead and trade-through labelling of hypothetical resting limit orders.

    Prices are integer ticks, sizes base units, times int64 ns; ``side`` and ``aggressor`` are
    +1 (buy) / -1 (sell). A resting buy at P is filled by *sell* takers: at the first sell
    printing strictly below P, or once the sell volume printed at P reaches queue_ahead +
    quantity. A sell is symmetric. Only trades in (t0, t0 + horizon] count.

    ``trade_through_fills`` and ``queue_fills`` count the fills by the rule that made them.
    """

    def __init__(self) -> None:
        # order id -> [t0, end, side, price, needed volume, volume seen at price]
        self._pending: dict[int, list[Any]] = {}
        # no pending order ends before this (a lower bound: filled orders may have left)
        self._first_end_ns: float = math.inf
        self.trade_through_fills = 0
        self.queue_fills = 0

    def __len__(self) -> int:
        return len(self._pending)

    def add(
        self,
        order_id: int,
        t0_ns: int,
        side: int,
        price_tick: int,
        queue_ahead: float,
        quantity: float,
        horizon_ns: int,
    ) -> None:
        """Start tracking an order posted at ``t0_ns`` that lives ``horizon_ns``."""
        if side not in (1, -1):
            raise InvalidInputError(f"side must be +1 or -1, got {side!r}")
        if not (queue_ahead >= 0 and quantity > 0 and horizon_ns > 0):
            raise InvalidInputError("queue_ahead >= 0, quantity > 0 and horizon_ns > 0 needed")
        if order_id in self._pending:
            raise InvalidInputError(f"order {order_id} is already tracked")
        needed = queue_ahead + quantity
        end = t0_ns + horizon_ns
        self._pending[order_id] = [t0_ns, end, side, price_tick, needed, 0.0]
        if end < self._first_end_ns:
            self._first_end_ns = end

    def on_trade(
        self, ts_ns: int, price_tick: int, size: float, aggressor: int
    ) -> list[tuple[int, int]]:
        """Apply one trade; return the (order id, fill time ns) of the orders it completes.

        Orders whose horizon ended before ``ts_ns`` are not touched here; collect them with
        :meth:`expire` (call it first when time has moved on).
        """
        filled: list[tuple[int, int]] = []
        for order_id, order in self._pending.items():
            t0, end, side, price, needed, seen = order
            if aggressor == side or ts_ns <= t0 or ts_ns > end:
                continue
            if side * (price - price_tick) > 0:  # printed through the order's price
                filled.append((order_id, ts_ns))
                self.trade_through_fills += 1
            elif price_tick == price:
                seen += size
                order[5] = seen
                # a relative tolerance, so 0.4 + 0.9 + 0.3 reaches 1.6
                if seen >= needed * (1.0 - 1e-12):
                    filled.append((order_id, ts_ns))
                    self.queue_fills += 1
        for order_id, _ in filled:
            del self._pending[order_id]
        return filled

    def expire(self, now_ns: int) -> list[int]:
        """Stop tracking, and return, the orders whose horizon ended before ``now_ns``."""
        if now_ns <= self._first_end_ns:  # called on every frame: most calls end here
            return []
        pending = self._pending
        done = [order_id for order_id, order in pending.items() if order[1] < now_ns]
        for order_id in done:
            del pending[order_id]
        self._first_end_ns = min((order[1] for order in pending.values()), default=math.inf)
        return done

    def clear(self) -> list[int]:
        """Drop every pending order (end of data: their windows are censored)."""
        dropped = list(self._pending)
        self._pending.clear()
        self._first_end_ns = math.inf
        return dropped


# ----------------------------------------------------------------------------------------------
# datasets


@dataclass(frozen=True)
class _Samples:
    """One row of features per decision, in decision-time order."""

    X: _F64

    def __len__(self) -> int:
        return int(self.X.shape[0])


@dataclass(frozen=True)
class SlippageDataset(_Samples):
    """Market orders and their realised cost, in decision-time order.

    Attributes:
        X: (n, N_MARKET_FEATURES) features at t0 (``MARKET_FEATURES``).
        y: realised slippage vs the arrival mid, bps, positive = cost.
        walk_bps: walk-the-book slippage of the t0 snapshot (the baseline), bps.
        t0_ns: decision times, int64 ns.
        side: +1 buy, -1 sell.
        quantity_usd: order size, quote units.
        latency_ns: submission-to-fill latency used for every row.
        dropped_incomplete: orders the book at fill time was too thin for (not in the data).
    """

    y: _F64
    walk_bps: _F64
    t0_ns: _I64
    side: _I64
    quantity_usd: _F64
    latency_ns: int
    dropped_incomplete: int

    @property
    def residual_bps(self) -> _F64:
        """Realised minus walk-the-book at t0, bps."""
        return self.y - self.walk_bps


@dataclass(frozen=True)
class FillDataset(_Samples):
    """Hypothetical limit orders labelled from the trade tape, in decision-time order.

    Attributes:
        X: (n, N_LIMIT_FEATURES) features at t0 (``LIMIT_FEATURES``; the last is h in s).
        y: 1 if filled passively within the horizon (a lower bound), else 0.
        time_to_fill_s: seconds from t0 to the fill, inf when not filled.
        t0_ns, side, distance_ticks, queue_ahead (base units), quantity (base units),
        horizon_s: the order.
        censored: orders dropped because the data ended before their horizon.
    """

    y: npt.NDArray[np.int64]
    time_to_fill_s: _F64
    t0_ns: _I64
    side: _I64
    distance_ticks: _I64
    queue_ahead: _F64
    quantity: _F64
    horizon_s: _F64
    censored: int


class _Store:
    """Completed samples in fixed-size chunks; a full chunk is never written again, so another
    thread may read the sealed chunks while samples keep arriving."""

    def __init__(self, width: int, chunk_rows: int = 2048) -> None:
        self.width = width
        self.chunk_rows = chunk_rows
        self.sealed: list[_F64] = []
        self._open: _F64 = np.empty((chunk_rows, width))
        self._n_open = 0

    def add(self, row: _F64) -> None:
        self._open[self._n_open] = row
        self._n_open += 1
        if self._n_open == self.chunk_rows:
            self.sealed.append(self._open)
            self._open = np.empty((self.chunk_rows, self.width))
            self._n_open = 0

    def __len__(self) -> int:
        return len(self.sealed) * self.chunk_rows + self._n_open

    def array(self, include_open: bool = True) -> _F64:
        parts = list(self.sealed)
        if include_open and self._n_open:
            parts.append(self._open[: self._n_open].copy())
        if not parts:
            return np.empty((0, self.width))
        return np.concatenate(parts)


# columns of a stored slippage row after the features
_S_T0, _S_SIDE, _S_SIZE, _S_Y = range(N_MARKET_FEATURES, N_MARKET_FEATURES + 4)
_SLIPPAGE_WIDTH = N_MARKET_FEATURES + 4
# the market features that are logs of a quote value computed as price × book size
_QUOTE_DEPTH_SLOTS = [MARKET_FEATURES.index(n) for n in ("log_depth_walked", "log_depth_own")]
# columns of a stored fill row after the features
_F_T0, _F_SIDE, _F_DIST, _F_QUEUE, _F_QTY, _F_TTF = range(N_LIMIT_FEATURES, N_LIMIT_FEATURES + 6)
_FILL_WIDTH = N_LIMIT_FEATURES + 6
# fields of a pending market order
_O_SIDE, _O_SIZE, _O_PRICE = 1, 2, 5
#: Frames held back before the first book frame names the instrument (the oldest dropped).
MAX_HELD_FRAMES = 10_000


class _Decoder(BookMessage):
    """The protocol's decoder, which also says whether the last frame decoded at all."""

    decoded = False

    def decode(self, raw: bytes | str | bytearray | memoryview) -> Any:
        self.decoded = False
        result = super().decode(raw)
        self.decoded = True
        return result


def slippage_dataset_from_rows(rows: _F64, latency_ns: int, dropped: int) -> SlippageDataset:
    """A SlippageDataset from stored rows (features, t0, side, size, target), sorted by t0."""
    rows = rows[np.argsort(rows[:, _S_T0], kind="stable")]
    X = np.ascontiguousarray(rows[:, :N_MARKET_FEATURES])
    return SlippageDataset(
        X=X,
        y=rows[:, _S_Y].copy(),
        walk_bps=X[:, 0].copy(),
        t0_ns=rows[:, _S_T0].astype(np.int64),
        side=rows[:, _S_SIDE].astype(np.int64),
        quantity_usd=rows[:, _S_SIZE].copy(),
        latency_ns=latency_ns,
        dropped_incomplete=dropped,
    )


def fill_dataset_from_rows(rows: _F64, censored: int) -> FillDataset:
    """A FillDataset from stored rows (features, t0, side, distance, queue, size, ttf)."""
    rows = rows[np.argsort(rows[:, _F_T0], kind="stable")]
    X = np.ascontiguousarray(rows[:, :N_LIMIT_FEATURES])
    horizon = X[:, N_LIMIT_FEATURES - 1].copy()
    ttf = rows[:, _F_TTF].copy()
    return FillDataset(
        X=X,
        y=(ttf <= horizon).astype(np.int64),
        time_to_fill_s=ttf,
        t0_ns=rows[:, _F_T0].astype(np.int64),
        side=rows[:, _F_SIDE].astype(np.int64),
        distance_ticks=rows[:, _F_DIST].astype(np.int64),
        queue_ahead=rows[:, _F_QUEUE].copy(),
        quantity=rows[:, _F_QTY].copy(),
        horizon_s=horizon,
        censored=censored,
    )


class DatasetBuilder:
    """Turns a feed's book and trade events into slippage and fill-probability samples.

    Hand it a feed's events with :meth:`on_event`, or raw OKX frames in arrival order with
    :meth:`feed` (through the OKX protocol, with its sequence checks); read the samples with
    :meth:`slippage_dataset` and :meth:`fill_dataset` (or, from another thread, only the sealed
    chunks, see :meth:`sealed_rows`). One decision every ``decision_interval_ms`` of stream
    time, once the recent-stream state has a half-life of history: one market order (random
    side, size log-uniform in ``size_range_usd``) and one limit order (random side, distance
    uniform in ``distance_range_ticks`` but never crossing, size log-uniform in
    ``limit_size_range_usd``, horizon drawn from ``horizons_s``).

    Args:
        tick_size: the instrument's tick size (``tickSz``).
        inst_id: use only frames of this instrument (None: the first book frame's).
        channel: the book channel read from raw frames (None: the first book frame's).
        latency_ms: decision-to-fill latency of the market orders, ms.
        seed: seed of the sampling of sides, sizes, distances and horizons.
        extractor: a FeatureExtractor (default: ``FeatureExtractor()``).
        contract_value: base units per book size unit, the instrument's ``ctVal × ctMult``
            (0.01 for BTC-USDT-SWAP, whose book and trade sizes are contracts; 1 for spot). Trade
            ``sz`` and queues are converted to base units with it, and the quote-sized orders are
            walked on the book in its own units (quote / contract value).
    """

    def __init__(
        self,
        tick_size: str | Decimal | float,
        *,
        inst_id: str | None = None,
        channel: str | None = None,
        decision_interval_ms: float = 100.0,
        latency_ms: float = 100.0,
        size_range_usd: tuple[float, float] = (1e3, 1e6),
        limit_size_range_usd: tuple[float, float] = (1e2, 5e4),
        distance_range_ticks: tuple[int, int] = (-2, 40),
        horizons_s: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0),
        seed: int = 0,
        extractor: FeatureExtractor | None = None,
        market_orders: bool = True,
        limit_orders: bool = True,
        contract_value: float = 1.0,
    ) -> None:
        for name, pair in (("size_range_usd", size_range_usd), ("limit", limit_size_range_usd)):
            low, high = pair
            if not (0 < low <= high and math.isfinite(high)):
                raise InvalidInputError(f"{name} must be 0 < low <= high, got {pair}")
        if not (decision_interval_ms > 0 and latency_ms >= 0):
            raise InvalidInputError("decision_interval_ms > 0 and latency_ms >= 0 needed")
        if not horizons_s or min(horizons_s) <= 0:
            raise InvalidInputError(f"horizons_s must be positive seconds, got {horizons_s}")
        if distance_range_ticks[0] > distance_range_ticks[1]:
            raise InvalidInputError(f"empty distance_range_ticks {distance_range_ticks}")
        if not (math.isfinite(contract_value) and contract_value > 0):
            raise InvalidInputError(f"contract_value must be > 0, got {contract_value!r}")
        self.contract_value = float(contract_value)
        self.book = OrderBook(tick_size, inst_id=inst_id or "")
        self.inst_id = inst_id
        self.channel = channel
        self.extractor = extractor if extractor is not None else FeatureExtractor()
        self.decision_interval_ns = round(decision_interval_ms * 1e6)
        self.latency_ns = round(latency_ms * 1e6)
        self.size_range_usd = size_range_usd
        self.limit_size_range_usd = limit_size_range_usd
        self.distance_range_ticks = distance_range_ticks
        self.horizons_s = tuple(float(h) for h in horizons_s)
        self.market_orders = market_orders
        self.limit_orders = limit_orders
        self._rng = np.random.default_rng(seed)
        self._message = _Decoder()
        self._labeller = FillLabeller()
        self._slippage = _Store(_SLIPPAGE_WIDTH)
        self._fills = _Store(_FILL_WIDTH)
        # pending market orders, in due order: [due_ns, side, size, arrival mid, row, average
        # price on the book as it stands (None: too thin)], walked again after every update
        self._market_pending: list[list[Any]] = []
        self._market_head = 0
        self._limit_rows: dict[int, _F64] = {}
        self._next_order_id = 0
        self._next_decision_ns = -1
        #: the venue protocol the raw frames go through (made at the first book frame)
        self.protocol: OKXProtocol | None = None
        self._held: deque[tuple[str | bytes, int | None]] = deque(maxlen=MAX_HELD_FRAMES)
        # bad frames the protocol does not see (trades off the tick grid, recorded exchange
        # errors) less the trades pushes of other instruments it counts as bad
        self._bad_frames_not_counted = 0
        self.frames = 0
        self.dropped_incomplete = 0
        self.dropped_unsynced = 0
        self.censored = 0

    # -- stream ----------------------------------------------------------------------------

    def feed(self, raw: str | bytes, ts_ns: int | None = None) -> None:
        """Process one raw frame received at ``ts_ns`` (int64 ns; None: the frame's own ts).

        The frame goes through the venue's sans-I/O protocol (:class:`OKXProtocol`: the one
        decoder and its sequence and checksum checks) and its events through :meth:`on_event`.
        After a sequence gap, a checksum mismatch or a frame that cannot be applied the book is
        out of sync: nothing is sampled until the stream holds a new snapshot (a recording
        cannot resubscribe, so the next snapshot in it rebuilds the book, as after a
        reconnect). Frames before the first book frame of the instrument are held back until
        it names the instrument and channel (at most ``MAX_HELD_FRAMES``, the oldest dropped).
        """
        protocol = self.protocol
        if protocol is None:
            protocol = self._open(raw, ts_ns)
            if protocol is None:
                return
        self._receive(protocol, raw, ts_ns)

    def feed_all(self, frames: Iterable[tuple[int | None, str | bytes]]) -> DatasetBuilder:
        """Feed every (ts_ns or None, raw) pair; returns self."""
        for ts_ns, raw in frames:
            self.feed(raw, ts_ns)
        return self

    def on_event(self, event: BookEvent | TradeEvent, now_ns: int | None = None) -> None:
        """Process one event of a feed, at ``now_ns`` (None: the event's ``local_ts``).

        A :class:`BookEvent` is the instrument's book right after an update (``event.book``,
        the feed's own book, is read, never changed); a :class:`TradeEvent` a print with its
        size in base units. A ``stale`` book event (the feed lost sync) drops the pending
        market orders and restarts the stream features: nothing is sampled until the feed's
        book is back.
        """
        now = event.local_ts if now_ns is None else now_ns
        self.frames += 1
        if isinstance(event, TradeEvent):
            self._on_trade(event, now)
            return
        if self.inst_id is None:
            self.inst_id = event.inst_id
        elif event.inst_id != self.inst_id:
            return
        if event.stale:
            self._book_lost()
            return
        self.book = event.book
        self._on_book(now)

    def feed_events(self, events: Iterable[BookEvent | TradeEvent]) -> DatasetBuilder:
        """:meth:`on_event` for every event, in order, each at its ``local_ts``; returns self.
        (A book event is read when it comes: pass events as the feed makes them, not a list
        gathered first, since they share the feed's live book.)"""
        for event in events:
            self.on_event(event)
        return self

    @property
    def bad_frames(self) -> int:
        """Frames that could not be decoded or applied, and trades off the book's tick grid."""
        stats = self.protocol.stats.bad_frames if self.protocol is not None else 0
        return stats + self._bad_frames_not_counted

    def finish(self) -> None:
        """End of data: orders whose window is not over are censored (dropped)."""
        pending = len(self._market_pending) - self._market_head
        self._market_pending.clear()
        self._market_head = 0
        dropped = self._labeller.clear()
        for order_id in dropped:
            self._limit_rows.pop(order_id, None)
        self.censored += pending + len(dropped)

    def _open(self, raw: str | bytes, ts_ns: int | None) -> OKXProtocol | None:
        """The protocol for the instrument and channel of the first book frame (held frames
        replayed through it); None while no book frame has come."""
        message = self._message
        with contextlib.suppress(MalformedMessageError):
            message.decode(raw)
        if (
            not message.decoded
            or message.kind != "book"
            or (self.inst_id is not None and message.inst_id != self.inst_id)
            or (self.channel is not None and message.channel != self.channel)
        ):
            self._held.append((raw, ts_ns))
            return None
        self.inst_id, self.channel = message.inst_id, message.channel
        protocol = self.protocol = self._make_protocol(message.inst_id, message.channel)
        held = list(self._held)
        self._held.clear()
        for held_raw, held_ts in held:
            self._receive(protocol, held_raw, held_ts)
        return protocol

    def _make_protocol(self, inst_id: str, channel: str) -> OKXProtocol:
        contract = self.contract_value
        instrument = Instrument(
            inst_id,
            "SPOT" if contract == 1.0 else "SWAP",
            Decimal(str(self.book.tick_size)),
            Decimal(0),
            Decimal(0),
            ct_val=None if contract == 1.0 else Decimal(repr(contract)),
            ct_mult=None if contract == 1.0 else Decimal(1),
            ct_type="" if contract == 1.0 else "linear",
            venue="okx",
        )
        protocol = OKXProtocol(
            [inst_id],
            channel,
            trades=True,
            instruments={inst_id: instrument},
            bootstrap="ws",  # a recording cannot be asked for a REST snapshot
            book_factory=lambda _: self.book,
            decoder_factory=lambda: self._message,
        )
        protocol.connection_made(0)
        protocol.data_to_send()
        return protocol

    def _receive(self, protocol: OKXProtocol, raw: str | bytes, ts_ns: int | None) -> None:
        inst_id = self.inst_id
        stream = protocol.streams[inst_id]  # type: ignore[index]
        stats = protocol.stats
        book_messages = stats.book_messages
        was_live = stream.state is BookState.LIVE
        try:
            events = protocol.receive(raw, 0 if ts_ns is None else ts_ns)
        except TradecostError:  # an exchange error recorded in the stream
            self._bad_frames_not_counted += 1
            return
        if protocol.wants_to_send:
            protocol.data_to_send()  # nobody to answer: a recording, or a copy of a stream
        message = self._message
        if events:
            self.frames += 1
            for event in events:
                now = event.exch_ts if ts_ns is None else ts_ns
                if type(event) is TradeEvent:
                    self._on_trade(event, now)
                else:
                    self._on_book(now)
        elif stats.book_messages != book_messages and stream.state is BookState.LIVE:
            if message.action == "update" and message.n_bids == 0 and message.n_asks == 0:
                # a heartbeat: the book is unchanged but its time moves on
                self.frames += 1
                self._on_book(spec.ms_to_ns(message.ts_ms) if ts_ns is None else ts_ns)
        elif (
            message.decoded
            and message.kind == "other"
            and message.channel == spec.TRADES_CHANNEL
            and message.inst_id != inst_id
        ):
            self._bad_frames_not_counted -= 1  # not subscribed here: counted bad by the protocol
        if was_live and stream.state is not BookState.LIVE:
            self._book_lost()
            # a recording cannot resubscribe: its next snapshot rebuilds the book
            protocol.connection_lost(0)
            protocol.connection_made(0)
            protocol.data_to_send()

    def _on_trade(self, event: TradeEvent, now: int) -> None:
        if self.inst_id is not None and event.inst_id != self.inst_id:
            return
        try:
            tick = self.book.price_to_ticks(event.price)
        except TradecostError:
            self._bad_frames_not_counted += 1
            return
        aggressor = 1 if event.side == "buy" else -1
        self._advance(now)
        for order_id, fill_ns in self._labeller.on_trade(now, tick, event.size, aggressor):
            self._finish_limit(order_id, fill_ns)
        self.extractor.update_trade(now, event.price, event.size, aggressor)

    def _on_book(self, now: int) -> None:
        """The book has just changed (or a heartbeat came) at ``now``: the market orders due by
        now fill on the book as it stood before; then features, a decision, and the fills of
        the orders still pending on the book as it stands."""
        self._advance(now)
        if self._market_head < len(self._market_pending):
            self._walk_pending()
        self.extractor.update_book(self.book, now)
        self._maybe_decide(now)

    def _book_lost(self) -> None:
        """The book went out of sync: pending market orders cannot be filled on it (dropped,
        counted in ``dropped_unsynced``) and the stream features start again."""
        self.dropped_unsynced += len(self._market_pending) - self._market_head
        self._market_pending.clear()
        self._market_head = 0
        self.extractor.reset()

    def _advance(self, now: int) -> None:
        """Fill the market orders due at or before ``now`` on the book as it stood before any
        update at ``now`` (their fills, walked after every update, are kept), and close expired
        limit orders."""
        pending = self._market_pending
        while self._market_head < len(pending) and pending[self._market_head][0] <= now:
            self._fill_market(pending[self._market_head])
            self._market_head += 1
        if self._market_head > 4096:
            del pending[: self._market_head]
            self._market_head = 0
        if len(self._labeller):
            for order_id in self._labeller.expire(now):
                self._finish_limit(order_id, None)

    def _walk_pending(self) -> None:
        pending = self._market_pending
        for i in range(self._market_head, len(pending)):
            self._walk(pending[i])

    def extract_market(
        self, book: OrderBook, side: str, quantity_usd: float, out: npt.NDArray[np.float64]
    ) -> None:
        """``extractor.extract`` for an order of ``quantity_usd`` quote units on a book whose
        sizes are contracts: the order is passed in the book's units (quote / contract value)
        and the depth features are put back in quote units."""
        contract = self.contract_value
        if contract == 1.0:
            self.extractor.extract(book, side, quantity_usd, out)  # type: ignore[arg-type]
            return
        self.extractor.extract(book, side, quantity_usd / contract, out)  # type: ignore[arg-type]
        shift = math.log(contract)
        for slot in _QUOTE_DEPTH_SLOTS:
            out[slot] += shift

    def _walk(self, order: list[Any]) -> None:
        """A pending market order's average price on the book as it stands (None: the book
        is too thin for it)."""
        side, size = order[_O_SIDE], order[_O_SIZE]
        try:
            # the book's notional is price × book size: a quote amount over the contract value
            fill = walk_book(
                self.book, "buy" if side > 0 else "sell", notional=size / self.contract_value
            )
        except TradecostError:
            order[_O_PRICE] = None
            return
        order[_O_PRICE] = fill.avg_price if fill.complete else None

    def _fill_market(self, order: list[Any]) -> None:
        _, side, _, arrival_mid, row, avg_price = order
        if avg_price is None:
            self.dropped_incomplete += 1
            return
        row[_S_Y] = side * (avg_price - arrival_mid) / arrival_mid * 1e4
        self._slippage.add(row)

    def _finish_limit(self, order_id: int, fill_ns: int | None) -> None:
        row = self._limit_rows.pop(order_id)
        row[_F_TTF] = math.inf if fill_ns is None else (fill_ns - row[_F_T0]) * 1e-9
        self._fills.add(row)

    def _maybe_decide(self, now: int) -> None:
        if now < self._next_decision_ns:
            return
        book = self.book
        if not self.extractor.warmed_up or book.n_bids == 0 or book.n_asks == 0 or book.crossed:
            return
        self._next_decision_ns = now + self.decision_interval_ns
        rng = self._rng
        if self.market_orders:
            side = 1 if rng.random() < 0.5 else -1
            low, high = self.size_range_usd
            size = float(math.exp(rng.uniform(math.log(low), math.log(high))))
            row = np.empty(_SLIPPAGE_WIDTH)
            self.extract_market(book, "buy" if side > 0 else "sell", size, row)
            row[_S_T0] = now
            row[_S_SIDE] = side
            row[_S_SIZE] = size
            order = [now + self.latency_ns, side, size, book.mid, row, None]
            self._walk(order)
            self._market_pending.append(order)
            if self.latency_ns == 0:
                self._advance(now)
        if self.limit_orders:
            side = 1 if rng.random() < 0.5 else -1
            spread_ticks = round(book.spread / float(book.tick_size))
            low_d = max(self.distance_range_ticks[0], 1 - spread_ticks)
            distance = int(rng.integers(low_d, max(low_d, self.distance_range_ticks[1]) + 1))
            low, high = self.limit_size_range_usd
            size = float(math.exp(rng.uniform(math.log(low), math.log(high))))
            horizon = self.horizons_s[int(rng.integers(len(self.horizons_s)))]
            row = np.empty(_FILL_WIDTH)
            queue = self.contract_value * self.extractor.extract_limit(
                book,
                "buy" if side > 0 else "sell",
                distance,
                size / self.contract_value,
                horizon,
                row,
            )
            touch = book.best_bid if side > 0 else book.best_ask
            price_tick = book.price_to_ticks(touch) - side * distance
            quantity = size / book.ticks_to_price(price_tick)
            order_id = self._next_order_id
            self._next_order_id += 1
            row[_F_T0] = now
            row[_F_SIDE] = side
            row[_F_DIST] = distance
            row[_F_QUEUE] = queue
            row[_F_QTY] = quantity
            self._limit_rows[order_id] = row
            self._labeller.add(
                order_id, now, side, price_tick, queue, quantity, round(horizon * 1e9)
            )

    # -- results ---------------------------------------------------------------------------

    def slippage_dataset(self) -> SlippageDataset:
        """Every completed market-order sample so far."""
        return slippage_dataset_from_rows(
            self._slippage.array(), self.latency_ns, self.dropped_incomplete
        )

    def fill_dataset(self) -> FillDataset:
        """Every labelled limit-order sample so far."""
        return fill_dataset_from_rows(self._fills.array(), self.censored)

    def sealed_rows(self) -> tuple[list[_F64], list[_F64]]:
        """The sealed (never again written) chunks of slippage and fill rows: safe to read from
        another thread while :meth:`feed` runs. Convert with ``slippage_dataset_from_rows`` and
        ``fill_dataset_from_rows``."""
        return list(self._slippage.sealed), list(self._fills.sealed)

    @property
    def fills_by_rule(self) -> dict[str, int]:
        """Labelled fills so far by the rule that made them (trade-through or queue consumed)."""
        return {
            "trade_through": self._labeller.trade_through_fills,
            "queue_consumed": self._labeller.queue_fills,
        }

    @property
    def n_slippage(self) -> int:
        return len(self._slippage)

    @property
    def n_fills(self) -> int:
        return len(self._fills)


# ----------------------------------------------------------------------------------------------
# sources


def frames_from_market(
    market: Any,
    duration_s: float,
    channels: tuple[str, ...] = ("books-l2-tbt", "trades"),
) -> Iterator[tuple[int | None, str]]:
    """(send time ns, frame) pairs of ``duration_s`` simulated seconds of a SimulatedMarket."""
    for event in market.events(duration=duration_s, channels=channels):
        yield event.ts_ns, event.frame


def frames_from_file(path: str | Path) -> Iterator[tuple[int | None, str]]:
    """Frames of a recording in any format :func:`tradecost.record.read_recording` reads (raw
    frames one per line, cryptofeed-style ``<receive_ts>: <raw json>`` lines, tradecost's own
    recordings). Times are None: the frames' own ``ts`` (exchange time) is used."""
    for _, frame in read_recording(path):
        yield None, frame.decode() if isinstance(frame, bytes) else frame


def infer_tick_size(frames: Iterable[tuple[int | None, str]], inst_id: str | None = None) -> str:
    """A tick size for a recording whose instrument record is not at hand: 10^-d with d the
    most decimals of any price in the first book snapshot (a multiple of the true tick, so every
    price is on the grid)."""
    for _, raw in frames:
        try:
            push = json.loads(raw)
            arg, data = push["arg"], push["data"][0]
        except (ValueError, KeyError, IndexError, TypeError):
            continue
        if push.get("action") != "snapshot":
            continue
        if inst_id is not None and arg.get("instId") != inst_id:
            continue
        decimals = max(
            spec.max_price_decimals(data.get("bids", [])),
            spec.max_price_decimals(data.get("asks", [])),
        )
        return format(spec.tick_for_decimals(decimals), "f")
    raise InvalidInputError("no book snapshot in the source: cannot infer the tick size")
