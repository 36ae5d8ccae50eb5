"""The live state behind ``tradecost serve``: what the feeds delivered, priced and summarised.

The feeds call :meth:`Hub.on_event` from their socket callbacks; it only updates memory (the
book reference, the estimators, a counter), so no web client can ever slow a feed down. The web
layer reads the hub: the latest estimate for the configured order, an estimate for any order on
a live book, book tops, feed and process health. Live pushes are built from it at most as
often as clients are served (``tradecost.serve.app``).
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from tradecost.errors import InvalidInputError, TradecostError
from tradecost.estimator import CostEstimate, CostEstimator
from tradecost.latency import LatencyHistogram

ORDER_TYPES = ("market", "limit")
SIDES = ("buy", "sell")


@dataclass(frozen=True)
class OrderSpec:
    """An order to price: the dashboard's inputs (the seed simulator's form)."""

    exchange: str
    symbol: str
    side: str = "buy"
    order_type: str = "market"
    usd: float = 100_000.0
    fee_tier: str | None = None
    volatility: float | None = None  #: daily, fraction; None = the stream's own (or "auto")
    offset_bps: float | None = None  #: limit orders: distance behind the same-side touch

    def __post_init__(self) -> None:
        if self.side not in SIDES:
            raise InvalidInputError(f"side {self.side!r} must be 'buy' or 'sell'")
        if self.order_type not in ORDER_TYPES:
            raise InvalidInputError(f"order_type {self.order_type!r}: use 'market' or 'limit'")
        if not (isinstance(self.usd, int | float) and math.isfinite(self.usd) and self.usd > 0):
            raise InvalidInputError(f"usd={self.usd!r} must be a positive notional")
        if self.volatility is not None and not (
            math.isfinite(self.volatility) and self.volatility > 0
        ):
            raise InvalidInputError(f"volatility={self.volatility!r} must be > 0 (daily fraction)")
        if self.order_type == "market" and self.offset_bps is not None:
            raise InvalidInputError("offset_bps applies to limit orders")


@dataclass
class Stream:
    """One (venue, symbol) book and trade stream as the hub sees it."""

    venue: str
    symbol: str
    estimator: CostEstimator
    book: Any = None
    stale: bool = False
    book_events: int = 0
    trades: int = 0
    last_trade: tuple[float, float, str, int] | None = None  #: price, size, side, exch_ts ns
    last_exch_ts: int = 0


@dataclass
class PushStats:
    """Counters of the live push (the WebSocket), for the health endpoint."""

    clients: int = 0
    connected_total: int = 0
    messages_sent: int = 0
    conflated: int = 0  #: updates a client never saw because a newer one replaced them
    dropped_clients: int = 0  #: clients disconnected for not reading fast enough


EstimatorFactory = Callable[[str, str, str | None, float | None, float | None], CostEstimator]


def default_estimator(
    venue: str,
    symbol: str,
    fee_tier: str | None,
    volatility: float | None,
    daily_volume_usd: float | None,
    *,
    default_volatility: float | Literal["auto"] = "auto",
    default_daily_volume_usd: float | Literal["auto"] = "auto",
) -> CostEstimator:
    """The estimator for one stream: fixed inputs where given, else the defaults (``"auto"``:
    measured from the stream)."""
    return CostEstimator(
        venue,
        symbol,
        fee_tier,
        volatility if volatility is not None else default_volatility,
        daily_volume_usd=daily_volume_usd
        if daily_volume_usd is not None
        else default_daily_volume_usd,
    )


class Hub:
    """Live books, trades and estimates from any number of feeds."""

    def __init__(
        self,
        order: OrderSpec,
        *,
        estimator_factory: EstimatorFactory = default_estimator,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.order = order
        self._estimator_factory = estimator_factory
        self._clock = clock
        self.started = clock()
        self.streams: dict[tuple[str, str], Stream] = {}
        self.feeds: dict[str, Any] = {}
        self.latest: CostEstimate | None = None
        self.latest_exch_ts = 0
        self.estimates = 0
        self.end_to_end = LatencyHistogram("bytes received to estimate ready")
        self.version = 0  #: bumped by every change a live client would want to see
        self.push = PushStats()
        self.alerts: deque[dict[str, Any]] = deque(maxlen=200)
        self.sampler: Any = _sampler()

    # ---- wiring ---------------------------------------------------------------------------

    def add_stream(self, venue: str, symbol: str) -> Stream:
        key = (venue, symbol)
        if key not in self.streams:
            fee_tier = self.order.fee_tier if key == self._order_key else None
            volatility = self.order.volatility if key == self._order_key else None
            self.streams[key] = Stream(
                venue, symbol, self._estimator_factory(venue, symbol, fee_tier, volatility, None)
            )
        return self.streams[key]

    def attach_feed(self, venue: str, feed: Any) -> None:
        """Keep a feed for health reports (anything with ``.stats``)."""
        self.feeds[venue] = feed

    def handler(self, venue: str) -> Callable[[Any], None]:
        """The ``on_event`` callback for one venue's feed."""

        def on_event(event: Any) -> None:
            self.on_event(venue, event)

        return on_event

    @property
    def _order_key(self) -> tuple[str, str]:
        return (self.order.exchange, self.order.symbol)

    # ---- the feeds' side ------------------------------------------------------------------

    def on_event(self, venue: str, event: Any) -> None:
        """A BookEvent or TradeEvent from ``venue``'s feed (called in the socket callback)."""
        stream = self.streams.get((venue, event.inst_id))
        if stream is None:
            stream = self.add_stream(venue, event.inst_id)
        if hasattr(event, "trade_id"):
            stream.trades += 1
            stream.last_trade = (event.price, event.size, event.side, event.exch_ts)
            stream.estimator.observe_trade(event.exch_ts, event.price, event.size)
            return
        stream.book = event.book
        stream.stale = bool(getattr(event, "stale", False))
        stream.book_events += 1
        stream.last_exch_ts = event.exch_ts
        stream.estimator.observe_book(event.exch_ts, event.book)
        if (venue, event.inst_id) != self._order_key:
            return
        try:
            estimate = self._price(stream, self.order, stream.estimator)
        except TradecostError:
            return  # a one-sided book for an instant: the last estimate stands
        self.end_to_end.record(time.time_ns() - event.local_ts)
        self.latest = estimate
        self.latest_exch_ts = event.exch_ts
        self.estimates += 1
        self.version += 1

    # ---- the web side ---------------------------------------------------------------------

    def stream(self, venue: str, symbol: str) -> Stream:
        stream = self.streams.get((venue, symbol))
        if stream is None:
            known = ", ".join(f"{v}:{s}" for v, s in sorted(self.streams)) or "none"
            raise InvalidInputError(f"no live stream {venue}:{symbol} (streams: {known})")
        return stream

    def estimate(self, order: OrderSpec) -> CostEstimate:
        """An estimate for any order on a live book (the same estimator rules as the feed)."""
        stream = self.stream(order.exchange, order.symbol)
        if stream.book is None:
            raise InvalidInputError(f"{order.exchange}:{order.symbol} has no book yet")
        if (order.fee_tier, order.volatility) == (None, None):
            estimator = stream.estimator
        else:
            # this order's fee tier and volatility; the stream's measured inputs otherwise
            own = stream.estimator
            volatility = order.volatility if order.volatility is not None else own.volatility
            volume = own.daily_volume_usd
            estimator = self._estimator_factory(
                order.exchange,
                order.symbol,
                order.fee_tier,
                volatility if math.isfinite(volatility) else None,
                volume if math.isfinite(volume) else None,
            )
        return self._price(stream, order, estimator)

    def _price(self, stream: Stream, order: OrderSpec, estimator: CostEstimator) -> CostEstimate:
        kwargs: dict[str, Any] = {"order_type": order.order_type}
        if order.order_type == "limit":
            kwargs["offset_bps"] = 0.0 if order.offset_bps is None else order.offset_bps
        return estimator.estimate(stream.book, order.side, order.usd, stale=stream.stale, **kwargs)

    def book_top(self, venue: str, symbol: str, depth: int = 10) -> dict[str, Any]:
        stream = self.stream(venue, symbol)
        book = stream.book
        if book is None:
            raise InvalidInputError(f"{venue}:{symbol} has no book yet")
        bids = book.bids(depth)
        asks = book.asks(depth)
        return {
            "exchange": venue,
            "symbol": symbol,
            "exch_ts": stream.last_exch_ts,
            "stale": stream.stale,
            "best_bid": _finite(book.best_bid),
            "best_ask": _finite(book.best_ask),
            "mid": _finite(book.mid),
            "spread_bps": _finite(book.spread_bps),
            "bids": [[float(price), float(size)] for price, size in bids],
            "asks": [[float(price), float(size)] for price, size in asks],
        }

    def health(self) -> dict[str, Any]:
        feeds = {}
        for venue, feed in sorted(self.feeds.items()):
            stats = feed.stats
            feeds[venue] = {
                name: getattr(stats, name)
                for name in (
                    "messages",
                    "book_updates",
                    "trades",
                    "gaps",
                    "resyncs",
                    "reconnects",
                    "bad_frames",
                )
                if hasattr(stats, name)
            }
        summary = self.end_to_end.summary()
        out: dict[str, Any] = {
            "uptime_s": round(self._clock() - self.started, 3),
            "estimates": self.estimates,
            "streams": [
                {
                    "exchange": stream.venue,
                    "symbol": stream.symbol,
                    "book_events": stream.book_events,
                    "trades": stream.trades,
                    "stale": stream.stale,
                }
                for stream in self.streams.values()
            ],
            "feeds": feeds,
            "latency": {
                "count": summary.count,
                "end_to_end_p50_us": _finite(summary.p50_ns / 1e3),
                "end_to_end_p99_us": _finite(summary.p99_ns / 1e3),
                "estimate_p50_us": _finite(self._estimate_latency_p50_us()),
            },
            "push": dict(self.push.__dict__),
            "process": self.process_figures(),
        }
        return out

    def process_figures(self) -> dict[str, Any]:
        """CPU %, resident memory and threads of this process: the latest sample of
        :class:`tradecost.process_stats.ProcessSampler` (sampled off the feed path)."""
        out: dict[str, Any] = {"pid": os.getpid()}
        sampler = self.sampler
        if sampler is None:
            out["threads"] = threading.active_count()
            return out
        sample = sampler.latest
        out.update(sample.as_dict())
        out["rss_mb"] = round(sample.rss_bytes / 2**20, 1)
        return out

    def _estimate_latency_p50_us(self) -> float:
        stream = self.streams.get(self._order_key)
        if stream is None:
            return math.nan
        return stream.estimator.latency.summary().p50_ns / 1e3

    def latest_payload(self) -> dict[str, Any] | None:
        if self.latest is None:
            return None
        out = self.latest.as_dict()
        out["exchange"], out["symbol"] = self._order_key
        out["exch_ts"] = self.latest_exch_ts
        return out


def _finite(value: float) -> float | None:
    return value if isinstance(value, float) and math.isfinite(value) else None


def _sampler() -> Any:
    """A process sampler (psutil, in the web extra); None without psutil."""
    try:
        from tradecost.process_stats import ProcessSampler

        return ProcessSampler()
    except ImportError:
        return None
