"""Sans-I/O Binance market-data protocol: frames in, book and trade events and frames out.

Nothing here touches a socket, an HTTP client or a clock. The asyncio client (``client.py``) and
the tests feed it raw frames with their local receive time, fetch the REST snapshots it asks for
(:meth:`BinanceProtocol.rest_requests`) and hand the bodies back
(:meth:`BinanceProtocol.receive_rest_snapshot`), and send what :meth:`data_to_send` returns.

The local book follows Binance's documented procedure ("How to manage a local order book
correctly", spot and USDⓈ-M):

1. Buffer the diff-depth events of a symbol; with the first one, ask for the REST snapshot.
2. If the snapshot cannot bridge to the first buffered event (its ``lastUpdateId`` ``L`` is older:
   spot ``L + 1 < U``, futures ``L < U``), fetch it again (``stats.refetches``).
3. Drop buffered events the snapshot already holds (spot ``u <= L``, futures ``u < L``). The
   first one applied must bridge it: spot ``U <= L + 1 <= u``, futures ``U <= L <= u``.
4. After that every event must continue the last one: spot ``U == previous u + 1``, futures
   ``pu == previous u``. An event already covered (``u <= previous u``) is dropped
   (``stats.duplicates``; ``stats.covered`` while it is one the snapshot held).

Any break (a gap, a bad frame for a live book, a lost connection, a silent stream) marks the book
stale, emits one :class:`BookEvent` with ``stale=True``, counts a resync and starts again from
step 1, keeping the event that revealed the gap as the first of the new buffer. A book event with
``stale=False`` is only ever produced right after a message was applied to an in-sync book.

Futures update ids are shared by every symbol of the venue, so consecutive events of one symbol
are not consecutive numbers: only ``pu`` chains them (verified on recorded traffic; see
docs/feed.md).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from tradecost._core import check_fresh
from tradecost.errors import (
    CompiledCoreError,
    InvalidInputError,
    MalformedMessageError,
    SubscriptionError,
)
from tradecost.feeds._protocol import VenueProtocol, default_book_factory
from tradecost.feeds.binance.spec import (
    DEPTH_SPEEDS,
    depth_stream,
    market_spec,
    ms_to_ns,
    parse_trade,
    subscribe_request,
    trade_stream,
    unsubscribe_request,
)
from tradecost.feeds.events import BookEvent, Event, TradeEvent
from tradecost.instruments import Instrument

__all__ = ["BinanceFeedStats", "BinanceProtocol", "DepthState", "load_depth_decoder"]

#: Buffered events per symbol before the buffer is dropped and the rebuild starts over.
MAX_BUFFERED = 20_000

_APPLY, _DROP, _GAP = 0, 1, 2


def load_depth_decoder() -> ModuleType:
    """The compiled Binance depth decoder, with a clear error when it is missing or stale."""
    try:
        from tradecost.feeds.binance import _depth
    except ImportError as exc:
        raise CompiledCoreError(
            f"tradecost's compiled Binance decoder is missing: {exc}; build it with "
            "`pip install -e .` (or `python setup.py build_ext --inplace`) in the checkout"
        ) from exc
    check_fresh(_depth)
    return _depth


class DepthState(enum.Enum):
    """Where one symbol's book stands. Only ``LIVE`` books produce events with ``stale=False``."""

    BUFFERING = "buffering"  # diffs buffered; waiting for the REST snapshot
    LIVE = "live"  # in sync


@dataclass
class BinanceFeedStats:
    """Counters of everything a Binance feed saw and did (all cumulative); the names shared
    with OKX's ``FeedStats`` mean the same."""

    messages: int = 0  #: frames received (all kinds)
    book_messages: int = 0  #: diff-depth events received for subscribed symbols
    book_updates: int = 0  #: events applied to an in-sync book (and snapshots that synced one)
    trades: int = 0  #: trade prints received
    gaps: int = 0  #: an event did not continue the last one (spot U/u, futures pu)
    duplicates: int = 0  #: events a live book already held (u <= last u), dropped
    #: events the REST snapshot already held (u <= its lastUpdateId), dropped as the procedure
    #: says: the normal case when the snapshot is newer than the stream, not a fault
    covered: int = 0
    resyncs: int = 0  #: times an in-sync or buffering book was rebuilt
    refetches: int = 0  #: REST snapshots fetched again because they were older than the stream
    rest_snapshots: int = 0  #: REST snapshots applied
    stale_events: int = 0  #: book events sent with stale=True
    reconnects: int = 0  #: new connections after the first
    rotations: int = 0  #: connections replaced before Binance's 24 h limit
    shutdowns: int = 0  #: serverShutdown events (reconnected early)
    bad_frames: int = 0  #: frames that could not be decoded or applied
    ignored: int = 0  #: valid frames not used (bookTicker, unsubscribed symbols, ...)
    conflated: int = 0  #: book events replaced by a newer one before the consumer took them
    withheld: int = 0  #: queued events not delivered because their book went out of sync
    pings: int = 0  #: server pings (answered with pongs by the WebSocket layer)
    timeouts: int = 0  #: connections dropped by the silence watchdog
    errors: int = 0  #: failed REST requests and non-fatal error replies
    acks: int = 0  #: SUBSCRIBE/UNSUBSCRIBE replies

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class _Depth:
    symbol: str
    instrument: Instrument
    book: Any
    state: DepthState = DepthState.BUFFERING
    last_id: int = 0
    bridged: bool = False
    #: (raw frame, U, u, pu, E ms) of each buffered event
    buffer: list[tuple[bytes | str, int, int, int | None, int]] = field(default_factory=list)
    rest_pending: bool = False
    last_rx_ns: int = 0
    state_since_ns: int = 0


class BinanceProtocol(VenueProtocol[tuple[str, list[str]]]):
    """One connection's worth of Binance streams: diff depth and/or trades for ``symbols``.

    ``market`` is ``"spot"`` or ``"usdm"``. ``instruments`` maps symbol → :class:`Instrument`
    (the tick size of each book); ``depth``/``trades`` choose the streams; ``speed`` the
    diff-depth cadence (``"100ms"``). ``stats`` may be shared by several protocols (the USDⓈ-M
    feed runs one for ``/public`` and one for ``/market``).
    """

    def __init__(
        self,
        symbols: Sequence[str],
        market: str = "spot",
        *,
        instruments: Mapping[str, Instrument],
        depth: bool = True,
        trades: bool = True,
        speed: str = "100ms",
        book_factory: Callable[[Instrument], Any] | None = None,
        books: Mapping[str, Any] | None = None,
        stats: BinanceFeedStats | None = None,
        max_buffered: int = MAX_BUFFERED,
    ) -> None:
        self.spec = market_spec(market)
        self.market = market
        if not symbols:
            raise InvalidInputError("BinanceProtocol needs at least one symbol")
        if not depth and not trades:
            raise InvalidInputError("nothing to subscribe: pass depth=True and/or trades=True")
        if speed not in DEPTH_SPEEDS[market]:
            raise InvalidInputError(
                f"Binance {market} diff depth comes at {DEPTH_SPEEDS[market]}, not {speed!r}"
            )
        self.symbols = [s.upper() for s in dict.fromkeys(symbols)]
        self.depth = depth
        self.trades = trades
        self.speed = speed
        self.channel = f"depth@{speed}"
        self.futures = self.spec.uses_prev_final_id
        self.stats = stats if stats is not None else BinanceFeedStats()
        self.max_buffered = max_buffered
        decoder = load_depth_decoder()
        self._decoder = decoder.DepthMessage()
        self._replay_decoder = decoder.DepthMessage()
        make_book = book_factory or default_book_factory
        self.depths: dict[str, _Depth] = {}
        self._records = self.depths
        if depth:
            for symbol in self.symbols:
                instrument = instruments.get(symbol)
                if instrument is None:
                    raise InvalidInputError(f"no instrument specification for {symbol!r}")
                book = books[symbol] if books is not None and symbol in books else None
                self.depths[symbol] = _Depth(
                    symbol, instrument, book if book is not None else make_book(instrument)
                )
        self._init_queues()  # (method, streams) of each request awaiting its reply

    # ----------------------------------------------------------------- public state

    def streams(self) -> list[str]:
        """The stream names this protocol subscribes to."""
        out: list[str] = []
        for symbol in self.symbols:
            if self.depth:
                out.append(depth_stream(symbol, self.speed))
            if self.trades:
                out.append(trade_stream(symbol, self.market))
        return out

    def state(self, symbol: str) -> DepthState:
        return self.depths[symbol].state

    def is_synced(self, symbol: str) -> bool:
        depth = self.depths.get(symbol)
        return depth is not None and depth.state is DepthState.LIVE

    def last_update_id(self, symbol: str) -> int:
        return self.depths[symbol].last_id

    def rest_failed(self, symbol: str) -> None:
        """The REST request failed: ask again if the book still waits for it."""
        depth = self.depths[symbol]
        depth.rest_pending = False
        if depth.state is DepthState.BUFFERING and depth.buffer:
            self._ask_rest(depth.symbol, depth)

    # ----------------------------------------------------------------- connection lifecycle

    def connection_made(self, now_ns: int) -> None:
        """A new socket is open: subscribe every stream; every book starts buffering."""
        self._reset_queues()
        for depth in self.depths.values():
            self._restart(depth, now_ns)
            depth.last_rx_ns = now_ns
        self._request("SUBSCRIBE", self.streams())

    def connection_lost(self, now_ns: int) -> list[Event]:
        """The socket closed: in-sync books go stale (one stale event each) until rebuilt."""
        events: list[Event] = []
        for depth in self.depths.values():
            if depth.state is DepthState.LIVE:
                events.append(self._stale_event(depth, now_ns))
            self._restart(depth, now_ns)
        return events

    def unsubscribe(self, symbols: Sequence[str]) -> None:
        """Stop the streams of ``symbols`` (UNSUBSCRIBE); their books are dropped."""
        gone = [s.upper() for s in symbols if s.upper() in self.symbols]
        if not gone:
            return
        streams = [
            name
            for name in self.streams()
            if name.split("@", 1)[0].upper() in gone  # lower-case stream names
        ]
        self.symbols = [s for s in self.symbols if s not in gone]
        for symbol in gone:
            self.depths.pop(symbol, None)
        self._request("UNSUBSCRIBE", streams)

    def check_timers(
        self, now_ns: int, *, silent_after_ns: int | None, rebuild_timeout_ns: int | None
    ) -> list[Event]:
        """Resync books whose stream went silent or whose rebuild stalled; ask again for REST
        snapshots that never came."""
        events: list[Event] = []
        for depth in self.depths.values():
            if depth.state is DepthState.LIVE:
                if silent_after_ns is not None and now_ns - depth.last_rx_ns > silent_after_ns:
                    events += self._resync(depth, now_ns)
            elif (
                rebuild_timeout_ns is not None
                and depth.buffer
                and now_ns - depth.state_since_ns > rebuild_timeout_ns
                and not depth.rest_pending
            ):
                self._ask_rest(depth.symbol, depth)
        return events

    # ----------------------------------------------------------------- receiving

    def receive(self, frame: bytes | str, local_ts: int) -> list[Event]:
        """Process one received frame. Returns the events it produced.

        Raises :class:`~tradecost.errors.SubscriptionError` when Binance rejects a request
        (retrying the same request cannot succeed). Malformed frames are counted in
        ``stats.bad_frames``; a malformed depth event also rebuilds its book.
        """
        self.stats.messages += 1
        msg = self._decoder
        try:
            msg.decode(frame)
        except MalformedMessageError:
            return self._receive_json(frame, local_ts, malformed=True)
        if msg.kind == "depth":
            depth = self.depths.get(msg.symbol)
            if depth is None:
                self.stats.ignored += 1
                return []
            self.stats.book_messages += 1
            depth.last_rx_ns = local_ts
            return self._on_depth(depth, msg, frame, local_ts)
        if msg.kind == "snapshot":  # a partial-depth stream: not subscribed here
            self.stats.ignored += 1
            return []
        return self._receive_json(frame, local_ts, malformed=False)

    def receive_rest_snapshot(self, symbol: str, body: bytes | str, local_ts: int) -> list[Event]:
        """Feed the body of ``GET /api/v3/depth`` (spot) or ``/fapi/v1/depth`` (futures)."""
        depth = self.depths.get(symbol)
        if depth is None:
            return []
        depth.rest_pending = False
        if depth.state is not DepthState.BUFFERING:
            return []
        snapshot = self._replay_decoder
        try:
            snapshot.decode(body)
            if snapshot.kind != "snapshot":
                raise MalformedMessageError(f"not a depth snapshot: {body[:80]!r}")
        except MalformedMessageError:
            self.stats.bad_frames += 1
            self.stats.errors += 1
            self._ask_rest(depth.symbol, depth)
            return []
        last = snapshot.final_update_id
        if depth.buffer:
            first_u = depth.buffer[0][1]
            if (last + 1 if not self.futures else last) < first_u:
                self.stats.refetches += 1
                self._ask_rest(depth.symbol, depth)
                return []
        exch_ms = snapshot.event_time_ms
        try:
            snapshot.apply(depth.book)
        except (MalformedMessageError, InvalidInputError):
            self.stats.bad_frames += 1
            self._ask_rest(depth.symbol, depth)
            return []
        self.stats.rest_snapshots += 1
        buffered, depth.buffer = depth.buffer, []
        depth.last_id = last
        depth.bridged = False
        for index, (raw, first_id, final_id, prev_id, event_ms) in enumerate(buffered):
            verdict = self._verdict(depth, first_id, final_id, prev_id)
            if verdict == _DROP:
                self.stats.covered += 1
                exch_ms = max(exch_ms, event_ms)
                continue
            if verdict == _GAP:
                self.stats.gaps += 1
                self.stats.resyncs += 1
                depth.buffer = buffered[index:]
                depth.state_since_ns = local_ts
                self._ask_rest(depth.symbol, depth)
                return []
            msg = self._replay_decoder
            try:
                msg.decode(raw)
                msg.apply(depth.book)
            except (MalformedMessageError, InvalidInputError):
                self.stats.bad_frames += 1
                self.stats.resyncs += 1
                depth.buffer = []
                depth.state_since_ns = local_ts
                return []
            depth.last_id = final_id
            depth.bridged = True
            exch_ms = event_ms
        depth.state = DepthState.LIVE
        depth.state_since_ns = local_ts
        return self._book_event(symbol, ms_to_ns(exch_ms), local_ts, depth.last_id, "snapshot")

    # ----------------------------------------------------------------- internals

    def _verdict(self, depth: _Depth, first_id: int, final_id: int, prev_id: int | None) -> int:
        """Apply, drop (already in the book) or gap, by the market's documented rule."""
        last = depth.last_id
        if self.futures:
            if not depth.bridged:
                if final_id < last:
                    return _DROP
                return _APPLY if first_id <= last else _GAP
            if prev_id == last:
                return _APPLY
            return _DROP if final_id <= last else _GAP
        if final_id <= last:
            return _DROP
        if not depth.bridged:
            return _APPLY if first_id <= last + 1 else _GAP
        return _APPLY if first_id == last + 1 else _GAP

    def _on_depth(self, depth: _Depth, msg: Any, frame: bytes | str, local_ts: int) -> list[Event]:
        first_id, final_id = msg.first_update_id, msg.final_update_id
        prev_id = msg.prev_final_update_id
        if first_id > final_id or (self.futures and prev_id is None):
            self.stats.bad_frames += 1
            return self._resync(depth, local_ts, keep=None)
        if depth.state is DepthState.BUFFERING:
            self._buffer(depth, frame, first_id, final_id, prev_id, msg.event_time_ms, local_ts)
            return []
        verdict = self._verdict(depth, first_id, final_id, prev_id)
        if verdict == _DROP:
            if depth.bridged:
                self.stats.duplicates += 1
            else:  # live on the snapshot alone: its events are still arriving
                self.stats.covered += 1
            return []
        if verdict == _GAP:
            self.stats.gaps += 1
            keep = (frame, first_id, final_id, prev_id, msg.event_time_ms)
            return self._resync(depth, local_ts, keep=keep)
        try:
            msg.apply(depth.book)
        except (MalformedMessageError, InvalidInputError):
            self.stats.bad_frames += 1
            return self._resync(depth, local_ts, keep=None)
        depth.last_id = final_id
        depth.bridged = True
        exch_ts = ms_to_ns(msg.event_time_ms)
        return self._book_event(depth.symbol, exch_ts, local_ts, final_id, "update")

    def _buffer(
        self,
        depth: _Depth,
        frame: bytes | str,
        first_id: int,
        final_id: int,
        prev_id: int | None,
        event_ms: int,
        local_ts: int,
    ) -> None:
        if len(depth.buffer) >= self.max_buffered:
            # The snapshot is not coming: start over rather than hold an unbounded backlog.
            self.stats.resyncs += 1
            depth.buffer = []
            depth.state_since_ns = local_ts
        if not depth.buffer:
            depth.state_since_ns = local_ts
        depth.buffer.append((frame, first_id, final_id, prev_id, event_ms))
        self._ask_rest(depth.symbol, depth)

    def _restart(self, depth: _Depth, now_ns: int) -> None:
        depth.state = DepthState.BUFFERING
        depth.state_since_ns = now_ns
        depth.buffer = []
        depth.bridged = False
        depth.rest_pending = False

    def _stale_event(self, depth: _Depth, now_ns: int) -> BookEvent:
        self.stats.stale_events += 1
        return BookEvent(
            depth.symbol, self.channel, depth.book, 0, now_ns, depth.last_id, "resync", True
        )

    def _resync(
        self,
        depth: _Depth,
        now_ns: int,
        keep: tuple[bytes | str, int, int, int | None, int] | None = None,
    ) -> list[Event]:
        """Mark the book stale and rebuild it from a fresh snapshot (``keep``: the event that
        revealed the gap, first of the new buffer)."""
        self.stats.resyncs += 1
        events: list[Event] = []
        if depth.state is DepthState.LIVE:
            events.append(self._stale_event(depth, now_ns))
        self._restart(depth, now_ns)
        if keep is not None:
            depth.buffer.append(keep)
            self._ask_rest(depth.symbol, depth)
        return events

    def _request(self, method: str, streams: list[str]) -> None:
        if not streams:
            return
        request_id = next(self._ids)
        self._requests[request_id] = (method, streams)
        if method == "SUBSCRIBE":
            body = subscribe_request(streams, request_id)
        else:
            body = unsubscribe_request(streams, request_id)
        self._send(body)

    def _receive_json(self, frame: bytes | str, local_ts: int, *, malformed: bool) -> list[Event]:
        """Everything that is not a well-formed diff-depth event (``malformed``: the depth
        decoder rejected it)."""
        stats = self.stats
        try:
            document = json.loads(frame)
            if not isinstance(document, dict):
                raise ValueError("not an object")
        except ValueError:
            stats.bad_frames += 1
            return []
        data = document.get("data") if "stream" in document else document
        if not isinstance(data, dict):
            stats.bad_frames += 1
            return []
        kind = data.get("e")
        if kind == "depthUpdate":
            # A depth event our decoder rejects: the book has lost an update.
            stats.bad_frames += 1
            symbol = str(data.get("s", "")).upper()
            depth = self.depths.get(symbol)
            return self._resync(depth, local_ts) if depth is not None else []
        if kind in ("trade", "aggTrade"):
            return self._on_trade(data, local_ts)
        if kind == "serverShutdown":
            stats.shutdowns += 1
            self.reconnect_requested = True
            return []
        if "id" in data and ("result" in data or "error" in data or "code" in data):
            self._on_reply(data)
            return []
        stats.ignored += 1
        return []

    def _on_reply(self, reply: dict[str, Any]) -> None:
        request_id = reply.get("id")
        request = self._requests.pop(request_id, None) if isinstance(request_id, int) else None
        error = reply.get("error")
        if error is None and "code" in reply:
            error = reply
        if error is None:
            self.stats.acks += 1
            return
        code = str(error.get("code", "")) if isinstance(error, dict) else ""
        text = str(error.get("msg", "")) if isinstance(error, dict) else str(error)
        where = {"method": request[0], "params": ",".join(request[1])} if request else {}
        raise SubscriptionError(code, text, where, venue="Binance")

    def _on_trade(self, data: dict[str, Any], local_ts: int) -> list[Event]:
        if not self.trades:
            self.stats.ignored += 1
            return []
        try:
            trade: TradeEvent = parse_trade(data, local_ts)
        except (KeyError, ValueError, TypeError):
            self.stats.bad_frames += 1
            return []
        if trade.inst_id not in self.symbols:
            self.stats.ignored += 1
            return []
        self.stats.trades += 1
        return [trade]
