"""Sans-I/O OKX v5 public order-book protocol: frames in, book events and frames to send out.

Nothing here touches a socket or a clock. The asyncio client (``client.py``) and the tests feed it
raw frames with their local receive time and send whatever :meth:`OKXProtocol.data_to_send`
returns; tests drive it with plain strings.

Wire rules (OKX v5 docs, "WebSocket / Order book channel"; summary in docs/feed.md):

* ``books``, ``books50-l2-tbt``, ``books-l2-tbt`` are incremental. A snapshot has
  ``prevSeqId == -1``. An update applies when ``prevSeqId`` equals the last ``seqId``; an empty
  update with ``seqId == prevSeqId`` is a heartbeat; an update with ``seqId < prevSeqId`` (and
  ``prevSeqId`` equal to the last ``seqId``) is a sequence reset and is adopted. An update whose
  ``seqId`` is not newer than the last one and does not chain is a duplicate of something already
  applied and is dropped. Anything else is a gap: the book is marked stale, the channel is
  re-subscribed (``unsubscribe`` + ``subscribe``, which makes OKX send a fresh snapshot) and every
  frame for it is ignored until the new subscription is acknowledged.
* A non-zero ``checksum`` is compared with the CRC32 of the local book after the update; a
  mismatch is a resync. ``0`` (OKX's value since 2026-06-23) means "absent".
* ``books5`` and ``bbo-tbt`` pushes are complete snapshots (no ``action``, no ``prevSeqId``).
* When the WebSocket snapshot does not come (OKX announced its removal; ``bootstrap="auto"`` or
  ``"rest"``), updates are buffered and a REST snapshot ``GET /api/v5/market/books`` is asked for
  (:meth:`OKXProtocol.rest_requests`). Aligned on its ``seqId`` (OKX changelog, "Delist initial
  snapshot ..."): if the snapshot's ``seqId`` is older than the first buffered ``prevSeqId`` it is
  fetched again; buffered updates with ``seqId <= snapshot seqId`` are dropped; the first kept one
  must satisfy ``prevSeqId <= snapshot seqId < seqId``.
* Pre-2023 captures carry no ``seqId``: there the checksum is the only guard.

**Nothing is served from a stale or half-synced book**: a :class:`BookEvent` is only produced
right after a message was applied to a book that is in sync, and the client withholds (and
counts) an already-queued event whose book has since gone out of sync.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from time import perf_counter_ns
from typing import Any, Protocol

from tradecost.errors import (
    ChecksumMismatchError,
    InvalidInputError,
    MalformedMessageError,
    SequenceGapError,
    SubscriptionError,
)
from tradecost.feeds._protocol import VenueProtocol, default_book_factory
from tradecost.feeds.events import BookEvent as BookEvent
from tradecost.feeds.events import Event as Event
from tradecost.feeds.events import TradeEvent as TradeEvent
from tradecost.feeds.okx.instruments import bundled_instrument
from tradecost.feeds.okx.spec import (
    BOOK_CHANNELS,
    FATAL_CODES,
    RECONNECT_NOTICE,
    REST_BOOKS_PATH,
    SNAPSHOT_CHANNELS,
    TRADES_CHANNEL,
    ms_to_ns,
    parse_trade,
)
from tradecost.feeds.okx.spec import INCREMENTAL_CHANNELS as INCREMENTAL_CHANNELS
from tradecost.feeds.okx.spec import LOGIN_CHANNELS as LOGIN_CHANNELS
from tradecost.feeds.okx.spec import login_request as login_request
from tradecost.feeds.relay import RelaySnapshot, parse_relay_frame
from tradecost.instruments import Instrument
from tradecost.latency import LatencyHistogram

MAX_BUFFERED = 20_000


class BookLike(Protocol):
    """What the protocol needs from a book (``tradecost.OrderBook`` implements it)."""

    def apply_message(self, msg: Any) -> Any: ...
    def apply_snapshot(self, bids: Any, asks: Any) -> None: ...
    def checksum(self) -> int: ...


class DecoderLike(Protocol):
    """What the protocol needs from a decoder (``tradecost.BookMessage`` implements it)."""

    kind: str
    channel: str
    inst_id: str
    action: str
    ts: int
    seq_id: int | None
    prev_seq_id: int | None
    checksum: int
    n_bids: int
    n_asks: int

    def decode(self, raw: str | bytes) -> Any: ...


class BookState(enum.Enum):
    """Where one instrument's book stands. Only ``LIVE`` books produce events."""

    SUBSCRIBING = "subscribing"  # subscribe sent, nothing usable yet
    RESYNCING = "resyncing"  # out of sync; unsubscribe+subscribe sent, frames ignored until ack
    AWAITING_SNAPSHOT = "awaiting_snapshot"  # subscription acked, waiting for the snapshot
    AWAITING_REST = "awaiting_rest"  # buffering updates until the REST snapshot arrives
    LIVE = "live"  # in sync


@dataclass
class FeedStats:
    """Counters of everything the feed saw and did (all cumulative)."""

    messages: int = 0  #: frames received (all kinds)
    book_messages: int = 0  #: order-book pushes received
    book_updates: int = 0  #: book pushes applied to an in-sync book
    trades: int = 0  #: trade prints received
    heartbeats: int = 0  #: empty updates with seqId == prevSeqId
    gaps: int = 0  #: prevSeqId did not chain onto the last seqId
    resets: int = 0  #: seqId < prevSeqId, adopted
    duplicates: int = 0  #: updates already applied (seqId not newer), dropped
    checksum_errors: int = 0  #: non-zero checksum != CRC32 of the local book
    resyncs: int = 0  #: times a book was rebuilt (gap, checksum, bad frame, stale, error)
    reconnects: int = 0  #: new connections after the first
    bad_frames: int = 0  #: frames that could not be decoded or applied
    ignored: int = 0  #: valid pushes for channels or instruments not subscribed here
    conflated: int = 0  #: events replaced by a newer one before the consumer took them
    withheld: int = 0  #: queued events not delivered because their book went out of sync
    unsynced_dropped: int = 0  #: book pushes ignored while their book was not in sync
    rest_snapshots: int = 0  #: REST snapshots used to bootstrap a book
    pings: int = 0  #: text "ping" sent
    pongs: int = 0  #: text "pong" received
    timeouts: int = 0  #: connections dropped because nothing (not even pong) arrived
    stale_books: int = 0  #: books resynced because they went silent
    errors: int = 0  #: non-fatal error events from the exchange
    notices: int = 0  #: notice events (e.g. 64008, service upgrade)

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class ProcessingTimes:
    """Histograms of the time spent decoding frames and applying them to books, ns."""

    __slots__ = ("apply", "decode")

    def __init__(self) -> None:
        self.decode = LatencyHistogram("decode")
        self.apply = LatencyHistogram("book update")


@dataclass
class _Stream:
    inst_id: str
    channel: str
    instrument: Instrument
    book: Any
    state: BookState = BookState.SUBSCRIBING
    last_seq_id: int | None = None
    last_rx_ns: int = 0
    state_since_ns: int = 0
    buffer: list[tuple[str | bytes, int, int]] = field(default_factory=list)
    first_prev_seq_id: int | None = None
    rest_pending: bool = False


def _default_decoder() -> Any:
    from tradecost.feeds.okx._decoder import BookMessage

    return BookMessage()


class OKXProtocol(VenueProtocol[tuple[str, str, str]]):
    """The OKX v5 public feed state machine for one connection's worth of subscriptions.

    ``inst_ids`` are subscribed on ``channel`` (one of ``books``, ``books5``, ``bbo-tbt``,
    ``books50-l2-tbt``, ``books-l2-tbt``), plus ``trades`` when ``trades`` is true.
    ``instruments`` maps inst_id → :class:`Instrument` (tick size for the book, contract value
    for trade sizes); missing ones come from the bundled copy. ``credentials`` =
    ``(api_key, secret_key, passphrase)`` logs in first (required by the tbt channels).
    ``bootstrap``: ``"ws"`` (WebSocket snapshot only), ``"rest"`` (always REST-aligned), ``"auto"``
    (the WebSocket snapshot, or REST when updates come without one).
    ``strict``: a sequence gap raises :class:`~tradecost.errors.SequenceGapError` and a checksum
    mismatch :class:`~tradecost.errors.ChecksumMismatchError` (after being counted and the book
    marked for a resync) instead of being handled silently: for replaying a recording, where no
    resubscribe can bring the lost messages back. Off for a live feed.
    """

    def __init__(
        self,
        inst_ids: Sequence[str],
        channel: str = "books",
        *,
        trades: bool = False,
        instruments: Mapping[str, Instrument] | None = None,
        credentials: tuple[str, str, str] | None = None,
        bootstrap: str = "auto",
        relay: bool = False,
        book_factory: Callable[[Instrument], Any] | None = None,
        decoder_factory: Callable[[], Any] | None = None,
        stats: FeedStats | None = None,
        strict: bool = False,
        timing: ProcessingTimes | None = None,
    ) -> None:
        if not inst_ids:
            raise InvalidInputError("OKXProtocol needs at least one instrument id")
        if channel not in BOOK_CHANNELS:
            raise InvalidInputError(
                f"unknown OKX book channel {channel!r}; choose from {sorted(BOOK_CHANNELS)}"
            )
        if bootstrap not in ("ws", "rest", "auto"):
            raise InvalidInputError(f"bootstrap must be 'ws', 'rest' or 'auto', not {bootstrap!r}")
        self.channel = channel
        self.trades = trades
        self.credentials = credentials
        self.bootstrap = bootstrap
        self.relay = relay
        self.strict = strict
        self.stats = stats if stats is not None else FeedStats()
        #: A ProcessingTimes to time every decode and book update with (``timing=``; off by
        #: default: two clock reads per message).
        self.timing = timing
        #: Called with every received frame and its receive time before it is processed (e.g.
        #: to keep the raw frames); the models read the events instead.
        self.frame_observer: Callable[[str | bytes, int], None] | None = None
        instruments = instruments or {}
        make_book = book_factory or default_book_factory
        self._decoder = (decoder_factory or _default_decoder)()
        self._replay_decoder = (decoder_factory or _default_decoder)()
        self.streams: dict[str, _Stream] = {}
        self._records = self.streams
        for inst_id in dict.fromkeys(inst_ids):
            instrument = instruments.get(inst_id) or bundled_instrument(inst_id)
            self.streams[inst_id] = _Stream(inst_id, channel, instrument, make_book(instrument))
        self.logged_in = False
        self._init_queues()  # (op, channel, instId) of each request awaiting its reply

    # ----------------------------------------------------------------- public state

    def state(self, inst_id: str) -> BookState:
        return self.streams[inst_id].state

    def is_synced(self, inst_id: str) -> bool:
        """True when ``inst_id``'s book is in sync with the exchange."""
        return self.streams[inst_id].state is BookState.LIVE

    def last_seq_id(self, inst_id: str) -> int | None:
        return self.streams[inst_id].last_seq_id

    def rest_failed(self, inst_id: str) -> None:
        """The REST snapshot request failed: ask again if the book is still waiting for it."""
        stream = self.streams[inst_id]
        stream.rest_pending = False
        if stream.state is BookState.AWAITING_REST:
            self._ask_rest(stream.inst_id, stream)

    # ----------------------------------------------------------------- connection lifecycle

    def connection_made(self, now_ns: int, *, timestamp_s: str | None = None) -> None:
        """A new socket is open: log in if needed and subscribe everything."""
        self._reset_queues()
        self.logged_in = False
        for stream in self.streams.values():
            self._set_state(stream, BookState.SUBSCRIBING, now_ns)
            stream.last_rx_ns = now_ns
        if self.relay:  # the relay pushes without being asked
            return
        if self.credentials is not None:
            api_key, secret_key, passphrase = self.credentials
            stamp = timestamp_s if timestamp_s is not None else str(now_ns // 1_000_000_000)
            self._outgoing.append(login_request(api_key, secret_key, passphrase, stamp))
        for stream in self.streams.values():
            if stream.channel not in LOGIN_CHANNELS or self.credentials is None:
                self._request("subscribe", stream.channel, stream.inst_id)
            if self.trades:
                self._request("subscribe", "trades", stream.inst_id)

    def connection_lost(self, now_ns: int) -> None:
        """The socket closed: every book is out of sync until the next connection rebuilds it."""
        for stream in self.streams.values():
            self._set_state(stream, BookState.SUBSCRIBING, now_ns)

    def check_timers(
        self, now_ns: int, *, stale_after_ns: int | None, resync_timeout_ns: int | None
    ) -> None:
        """Resync books that went silent (``stale_after_ns``) or whose rebuild stalled."""
        for stream in self.streams.values():
            if stream.state is BookState.LIVE:
                if stale_after_ns is not None and now_ns - stream.last_rx_ns > stale_after_ns:
                    self.stats.stale_books += 1
                    self._resync(stream, now_ns)
            elif (
                resync_timeout_ns is not None
                and stream.state is not BookState.SUBSCRIBING
                and now_ns - stream.state_since_ns > resync_timeout_ns
            ):
                self._resync(stream, now_ns)

    # ----------------------------------------------------------------- receiving

    def receive(self, frame: str | bytes, local_ts: int) -> list[Event]:
        """Process one received frame (text or bytes). Returns the events it produced.

        Raises :class:`~tradecost.errors.SubscriptionError` for an exchange error that retrying
        cannot fix (unknown instrument 60018, login required 60011, ...). Malformed frames are
        counted in ``stats.bad_frames`` and otherwise ignored.
        """
        stats = self.stats
        stats.messages += 1
        if self.frame_observer is not None:
            self.frame_observer(frame, local_ts)
        if frame == "pong" or frame == b"pong":
            stats.pongs += 1
            return []
        msg = self._decoder
        timing = self.timing
        try:
            if timing is None:
                msg.decode(frame)
            else:
                started = perf_counter_ns()
                msg.decode(frame)
                timing.decode.record(perf_counter_ns() - started)
        except MalformedMessageError:
            return self._receive_other(frame, local_ts)
        kind = msg.kind
        if kind == "book":
            stream = self.streams.get(msg.inst_id)
            if stream is None or msg.channel != stream.channel:
                stats.ignored += 1
                return []
            stats.book_messages += 1
            stream.last_rx_ns = local_ts
            return self._on_book(stream, msg, frame, local_ts)
        if kind == "event":
            self._on_event(frame, local_ts)
            return []
        if msg.channel == TRADES_CHANNEL and self.trades:
            return self._on_trades(frame, local_ts)
        stats.ignored += 1
        return []

    def receive_rest_snapshot(self, inst_id: str, body: str | bytes, local_ts: int) -> list[Event]:
        """Feed the body of ``GET /api/v5/market/books?instId=..&sz=400`` for a buffering book."""
        stream = self.streams[inst_id]
        stream.rest_pending = False
        if stream.state is not BookState.AWAITING_REST:
            return []  # a snapshot arrived over the WebSocket meanwhile, or a resync restarted
        try:
            reply = json.loads(body)
            if str(reply.get("code")) != "0":
                raise ValueError(f"code {reply.get('code')}: {reply.get('msg')}")
            data = reply["data"][0]
            bids, asks, snap_seq = data["bids"], data["asks"], int(data["seqId"])
            exch_ts = ms_to_ns(data.get("ts") or 0)
        except (ValueError, KeyError, IndexError, TypeError):
            self.stats.bad_frames += 1
            self._ask_rest(stream.inst_id, stream)
            return []
        if stream.first_prev_seq_id is not None and snap_seq < stream.first_prev_seq_id:
            # The REST book is older than the buffered stream: fetch it again.
            self._ask_rest(stream.inst_id, stream)
            return []
        try:
            stream.book.apply_snapshot(bids, asks)
        except (MalformedMessageError, InvalidInputError):
            self.stats.bad_frames += 1
            self._resync(stream, local_ts)
            return []
        self.stats.rest_snapshots += 1
        buffered, stream.buffer = stream.buffer, []
        stream.last_seq_id = snap_seq
        self._set_state(stream, BookState.LIVE, local_ts)
        first = True
        msg = self._replay_decoder
        for raw, prev, seq in buffered:
            if seq <= snap_seq:
                continue
            if first and not prev <= snap_seq < seq:
                self._gap(
                    stream,
                    local_ts,
                    f"the first buffered update (prevSeqId {prev}, seqId {seq}) "
                    f"does not follow the REST snapshot (seqId {snap_seq})",
                )
                return []
            first = False
            msg.decode(raw)
            if not self._apply_live(stream, msg, local_ts):
                return []
            exch_ts = ms_to_ns(msg.ts_ms)
        return self._book_event(inst_id, exch_ts, local_ts, stream.last_seq_id, "rest")

    # ----------------------------------------------------------------- internals

    def _set_state(self, stream: _Stream, state: BookState, now_ns: int) -> None:
        stream.state = state
        stream.state_since_ns = now_ns
        if state is not BookState.AWAITING_REST:
            stream.buffer = []
            stream.first_prev_seq_id = None

    def _request(self, op: str, channel: str, inst_id: str) -> None:
        req_id = str(next(self._ids))
        self._requests[req_id] = (op, channel, inst_id)
        self._send({"id": req_id, "op": op, "args": [{"channel": channel, "instId": inst_id}]})

    def _resync(self, stream: _Stream, now_ns: int) -> None:
        """Mark stale and rebuild: unsubscribe + subscribe brings a fresh snapshot."""
        self.stats.resyncs += 1
        if self.relay:  # every relay frame is a full snapshot: the next one rebuilds
            self._set_state(stream, BookState.AWAITING_SNAPSHOT, now_ns)
            return
        self._set_state(stream, BookState.RESYNCING, now_ns)
        self._request("unsubscribe", stream.channel, stream.inst_id)
        self._request("subscribe", stream.channel, stream.inst_id)

    def _push_event(self, stream: _Stream, msg: Any, local_ts: int, action: str) -> list[Event]:
        """The one event of an applied push."""
        exch_ts = ms_to_ns(msg.ts_ms)
        return self._book_event(stream.inst_id, exch_ts, local_ts, stream.last_seq_id, action)

    def _on_book(self, stream: _Stream, msg: Any, frame: str | bytes, local_ts: int) -> list[Event]:
        state = stream.state
        if state is BookState.LIVE:
            if not self._apply_live(stream, msg, local_ts):
                return []
            if stream.state is not BookState.LIVE:
                return []
            if msg.n_bids == 0 and msg.n_asks == 0 and msg.action == "update":
                return []  # a heartbeat: the book did not change
            return self._push_event(stream, msg, local_ts, msg.action)
        if state is BookState.RESYNCING:
            self.stats.unsynced_dropped += 1
            return []
        snapshot = msg.action == "snapshot" or stream.channel in SNAPSHOT_CHANNELS
        if snapshot and (self.bootstrap != "rest" or stream.channel in SNAPSHOT_CHANNELS):
            if state is BookState.AWAITING_REST:
                stream.buffer = []
            if not self._apply_snapshot(stream, msg, local_ts):
                return []
            return self._push_event(stream, msg, local_ts, "snapshot")
        if snapshot or self.bootstrap == "ws" or msg.seq_id is None or msg.prev_seq_id is None:
            self.stats.unsynced_dropped += 1
            return []
        # An update without a snapshot: buffer it and bootstrap from the REST book.
        if state is not BookState.AWAITING_REST:
            self._set_state(stream, BookState.AWAITING_REST, local_ts)
        if stream.first_prev_seq_id is None:
            stream.first_prev_seq_id = msg.prev_seq_id
        if len(stream.buffer) >= MAX_BUFFERED:
            self._resync(stream, local_ts)
            return []
        stream.buffer.append((frame, msg.prev_seq_id, msg.seq_id))
        self._ask_rest(stream.inst_id, stream)
        return []

    def _apply_snapshot(self, stream: _Stream, msg: Any, local_ts: int) -> bool:
        try:
            stream.book.apply_message(msg)
        except (MalformedMessageError, InvalidInputError):
            self.stats.bad_frames += 1
            self._resync(stream, local_ts)
            return False
        stream.last_seq_id = msg.seq_id
        if msg.checksum != 0 and stream.book.checksum() != msg.checksum:
            self._checksum_mismatch(stream, msg.checksum, local_ts)
            return False
        self._set_state(stream, BookState.LIVE, local_ts)
        return True

    def _apply_live(self, stream: _Stream, msg: Any, local_ts: int) -> bool:
        """Sequence-check then apply one push to a live book. False when nothing was applied."""
        if stream.channel in SNAPSHOT_CHANNELS:
            if msg.seq_id is not None and msg.seq_id == stream.last_seq_id:
                self.stats.duplicates += 1
                return False
            return self._apply_snapshot(stream, msg, local_ts)
        if msg.action == "snapshot":  # e.g. OKX 2022 re-sent one on a duplicate subscribe
            return self._apply_snapshot(stream, msg, local_ts)
        prev, seq, last = msg.prev_seq_id, msg.seq_id, stream.last_seq_id
        if prev is not None and seq is not None and last is not None:
            if prev != last:
                if seq <= last:
                    self.stats.duplicates += 1
                else:
                    self._gap(
                        stream,
                        local_ts,
                        f"update prevSeqId {prev} (seqId {seq}) does not chain onto the last "
                        f"seqId {last}: messages were lost",
                    )
                return False
            if seq == prev and msg.n_bids == 0 and msg.n_asks == 0:
                self.stats.heartbeats += 1
                return True
            if seq < prev:
                self.stats.resets += 1
        try:
            if self.timing is None:
                stream.book.apply_message(msg)
            else:
                started = perf_counter_ns()
                stream.book.apply_message(msg)
                self.timing.apply.record(perf_counter_ns() - started)
        except (MalformedMessageError, InvalidInputError):
            self.stats.bad_frames += 1
            self._resync(stream, local_ts)
            return False
        stream.last_seq_id = seq
        if msg.checksum != 0 and stream.book.checksum() != msg.checksum:
            self._checksum_mismatch(stream, msg.checksum, local_ts)
            return False
        return True

    def _gap(self, stream: _Stream, now_ns: int, detail: str) -> None:
        """Messages were lost: count, resync, and in strict mode raise (``detail`` says which)."""
        self.stats.gaps += 1
        self._resync(stream, now_ns)
        if self.strict:
            raise SequenceGapError(f"{stream.inst_id}: {detail}")

    def _checksum_mismatch(self, stream: _Stream, expected: int, now_ns: int) -> None:
        """Count, resync, and in strict mode raise."""
        self.stats.checksum_errors += 1
        local = stream.book.checksum()
        self._resync(stream, now_ns)
        if self.strict:
            raise ChecksumMismatchError(
                f"{stream.inst_id}: OKX checksum {expected} != CRC32 {local} of the local book "
                f"after seqId {stream.last_seq_id}"
            )

    def _on_event(self, frame: str | bytes, local_ts: int) -> None:
        try:
            reply = json.loads(frame)
            event = reply["event"]
        except (ValueError, KeyError, TypeError):
            self.stats.bad_frames += 1
            return
        req = self._requests.pop(str(reply.get("id")), None) if "id" in reply else None
        arg = reply.get("arg") or {}
        if event == "subscribe":
            stream = self.streams.get(arg.get("instId", ""))
            if (
                stream is not None
                and arg.get("channel") == stream.channel
                and stream.state in (BookState.SUBSCRIBING, BookState.RESYNCING)
            ):
                self._set_state(stream, BookState.AWAITING_SNAPSHOT, local_ts)
        elif event == "login":
            if str(reply.get("code", "0")) != "0":
                raise SubscriptionError(str(reply.get("code")), str(reply.get("msg", "")), {})
            self.logged_in = True
            for stream in self.streams.values():
                if stream.channel in LOGIN_CHANNELS:
                    self._request("subscribe", stream.channel, stream.inst_id)
        elif event == "error":
            code, text = str(reply.get("code", "")), str(reply.get("msg", ""))
            where = {"channel": req[1], "instId": req[2]} if req is not None else arg
            if code in FATAL_CODES:
                raise SubscriptionError(code, text, where)
            self.stats.errors += 1
            stream = self.streams.get(where.get("instId", "")) if where else None
            if stream is not None and where.get("channel") == stream.channel:
                self._resync(stream, local_ts)
        elif event == "notice":
            self.stats.notices += 1
            if str(reply.get("code")) == RECONNECT_NOTICE:
                self.reconnect_requested = True

    def _on_trades(self, frame: str | bytes, local_ts: int) -> list[Event]:
        try:
            push = json.loads(frame)
            inst_id = push["arg"]["instId"]
            rows: Iterable[Mapping[str, Any]] = push["data"]
            stream = self.streams[inst_id]
            events: list[Event] = []
            for row in rows:
                events.append(parse_trade(inst_id, row, local_ts, stream.instrument.to_base))
        except (ValueError, KeyError, TypeError, InvalidInputError):
            self.stats.bad_frames += 1
            return []
        self.stats.trades += len(events)
        return list(events)

    def _receive_other(self, frame: str | bytes, local_ts: int) -> list[Event]:
        """Frames the OKX decoder rejects: a relay snapshot, or garbage (counted)."""
        snapshot: RelaySnapshot | None = parse_relay_frame(frame) if self.relay else None
        if snapshot is None:
            self.stats.bad_frames += 1
            return []
        stream = self.streams.get(snapshot.symbol)
        if stream is None:
            self.stats.bad_frames += 1
            return []
        stats = self.stats
        stats.book_messages += 1
        stream.last_rx_ns = local_ts
        try:
            stream.book.apply_snapshot(snapshot.bids, snapshot.asks)
        except (MalformedMessageError, InvalidInputError):
            stats.bad_frames += 1
            self._set_state(stream, BookState.AWAITING_SNAPSHOT, local_ts)
            return []
        self._set_state(stream, BookState.LIVE, local_ts)
        return self._book_event(stream.inst_id, snapshot.timestamp_ns, local_ts, None, "snapshot")


def rest_books_url(base_url: str, inst_id: str, depth: int = 400) -> str:
    """``GET /api/v5/market/books?instId=..&sz=..`` (``sz`` at most 400)."""
    return f"{base_url.rstrip('/')}{REST_BOOKS_PATH}?instId={inst_id}&sz={min(depth, 400)}"
