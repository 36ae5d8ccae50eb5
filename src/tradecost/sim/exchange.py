"""A local exchange that speaks the OKX v5 public WebSocket protocol, with faults on demand.

``SimulatedExchange`` is a real WebSocket server on 127.0.0.1 (plus the two REST paths a book feed
needs, answered on the same port). It keeps its own exact book per instrument, fed by a *source* of
raw OKX frames, and serves every subscriber the way OKX does (OKX v5 docs, "WebSocket / Order book
channel", "Connect", "Error codes"; see docs/feed.md):

* ``subscribe``/``unsubscribe``/``login`` with acks, ``{"event":"error","code":"600xx",...}`` errors
  (60018 unknown channel or instrument, 60011 login required for the tbt channels, 60012 invalid
  request, 64004 books-l2-tbt together with books/books50-l2-tbt), text ``ping`` → ``pong``;
* ``books`` / ``books-l2-tbt`` (400 levels, incremental), ``books50-l2-tbt`` (incremental over a
  50-level window, evicted levels sent with size ``"0"``), ``books5`` and ``bbo-tbt`` (snapshots),
  ``trades`` (forwarded);
* a ``seqId``/``prevSeqId`` chain per instrument (snapshot ``prevSeqId == -1``), empty heartbeat
  updates with ``seqId == prevSeqId`` after ``heartbeat_interval`` seconds without a change, seqId
  resets (``seqId < prevSeqId``) on demand;
* checksum modes ``"crc32"`` (the real CRC32 of the top 25 levels, as OKX sent until 2026-06-23)
  and ``"zero"`` (the field fixed to 0, as now); ``initial_snapshot=False`` acks a subscription
  without a snapshot (the client bootstraps from REST);
* sockets that stay idle are closed with code 4004 after ``idle_timeout`` seconds (30 s on OKX);
* REST ``GET /api/v5/market/books?instId=..&sz=..`` (``data[0]`` has ``asks``, ``bids``, ``ts``
  and the ``seqId`` of the book it shows) and ``GET /api/v5/public/instruments?instType=..``;
* the GoQuant relay format at ``/ws/l2-orderbook/okx/<instId>`` (a full snapshot per change).

Faults (:meth:`SimulatedExchange.inject`): ``drop``, ``duplicate``, ``reorder`` and
``corrupt_checksum`` act on the next incremental book update(s) sent; ``reset`` restarts the
instrument's ``seqId`` chain; ``garbage``, ``disconnect`` (TCP abort, no close frame), ``stall``
(nothing at all is sent, pongs included, for ``duration`` seconds) and ``heartbeat`` act at once.
``exchange.injected`` counts the faults actually applied.

Sources: ``None`` (frames arrive through :meth:`SimulatedExchange.publish`), an iterable of raw
frames (``str``/``bytes``), an iterable of ``(local_ts_ns, frame)`` pairs (a recording, replayed at
``speed`` × real time, or as fast as possible when ``speed`` is ``None``), or any object with a
``messages(n=...)`` method returning raw frames (the synthetic market).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import itertools
import json
import random
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from tradecost.errors import InvalidInputError
from tradecost.feeds.okx import spec
from tradecost.instruments import Instrument
from tradecost.sim.levels import LevelBook, Row

# channel → depth (levels per side), and the channel sets, as in the OKX spec module
INCREMENTAL_CHANNELS = spec.INCREMENTAL_DEPTH
SNAPSHOT_CHANNELS = spec.SNAPSHOT_DEPTH
BOOK_CHANNELS = spec.BOOK_DEPTH
LOGIN_CHANNELS = spec.LOGIN_CHANNELS
CHANNELS = spec.CHANNELS
FRAME_FAULTS = frozenset({"drop", "duplicate", "reorder", "corrupt_checksum"})
IMMEDIATE_FAULTS = frozenset({"garbage", "disconnect", "stall", "heartbeat"})
FAULTS = FRAME_FAULTS | IMMEDIATE_FAULTS | {"reset"}
WS_PATH = spec.WS_PUBLIC_PATH
RELAY_PATH = "/ws/l2-orderbook/okx/"
GARBAGE_FRAMES = ("}{ not json", '{"arg":{"channel":"books","instId":', "\x00\xff", "[1,2,3]")


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass
class _Fault:
    kind: str
    inst_id: str | None
    remaining: int


@dataclass
class _BookFrame:
    """An incremental update about to be sent, kept in parts so a fault can re-render it."""

    channel: str
    inst_id: str
    bids: list[Row]
    asks: list[Row]
    ts: int
    checksum: int
    prev_seq_id: int
    seq_id: int
    sequence: bool
    text: str = ""

    def render(self, checksum: int | None = None) -> str:
        data: dict[str, Any] = {
            "asks": self.asks,
            "bids": self.bids,
            "ts": str(self.ts),
            "checksum": self.checksum if checksum is None else checksum,
        }
        if self.sequence:
            data["prevSeqId"] = self.prev_seq_id
            data["seqId"] = self.seq_id
        return _dumps(
            {
                "arg": {"channel": self.channel, "instId": self.inst_id},
                "action": "update",
                "data": [data],
            }
        )


@dataclass(eq=False)
class _Session:
    ws: ServerConnection
    conn_id: str
    relay_inst: str | None = None
    subs: dict[tuple[str, str], bool] = field(default_factory=dict)  # value: snapshot pending
    faults: list[_Fault] = field(default_factory=list)
    held: dict[tuple[str, str], str] = field(default_factory=dict)
    stalled_until: float = 0.0
    logged_in: bool = False
    last_recv: float = field(default_factory=time.monotonic)
    last_sent: float = field(default_factory=time.monotonic)


@dataclass
class _Market:
    """Per-instrument truth: the book, the seqId chain and the last window sent per channel."""

    inst_id: str
    book: LevelBook = field(default_factory=LevelBook)
    seq_id: int = 0
    prev_seq_id: int = 0
    started: bool = False
    incremental_source: bool = False  # the source streams a 400-level channel for it
    reset_pending: bool = False
    last_change: float = field(default_factory=time.monotonic)
    ts: int = 0
    chain: dict[str, int] = field(default_factory=dict)  # channel -> last seqId sent on it
    window: dict[str, tuple[list[Row], list[Row]]] = field(default_factory=dict)


def _frames(source: Any, limit: int | None) -> Iterator[tuple[int | None, str | bytes]]:
    """Normalise a source into ``(receive_ts_ns or None, raw frame)`` pairs."""
    if source is None:
        return iter(())
    if callable(getattr(source, "events", None)):  # the synthetic market: frames with their time
        timed = source.events() if limit is None else source.events(n=limit)
        return ((int(event.ts_ns), event.frame) for event in timed)
    if callable(getattr(source, "messages", None)):
        produced = source.messages() if limit is None else source.messages(n=limit)
        return ((None, frame) for frame in produced)

    def generate() -> Iterator[tuple[int | None, str | bytes]]:
        for item in source:
            if isinstance(item, (str, bytes, bytearray)):
                yield None, bytes(item) if isinstance(item, bytearray) else item
            else:
                ts, frame = item
                yield int(ts), frame

    frames = generate()
    return frames if limit is None else itertools.islice(frames, limit)


class SimulatedExchange:
    """A local OKX v5 public WebSocket + REST server. Use as ``async with SimulatedExchange(...)``.

    ``url`` is ``ws://127.0.0.1:<port>/ws/v5/public`` and ``rest_url`` ``http://127.0.0.1:<port>``
    once started. Times are seconds of the asyncio loop's clock; all of them are parameters so
    tests can shrink OKX's 30 s / 60 s timers.
    """

    def __new__(cls, source: Any = None, *args: Any, venue: str = "okx", **kwargs: Any) -> Any:
        """``venue="binance"`` builds the Binance server instead (see
        :class:`tradecost.sim.binance_server.BinanceExchange`; ``market="spot" | "usdm"``)."""
        if venue == "binance":
            from tradecost.sim.binance_server import BinanceExchange

            return BinanceExchange(source, *args, **kwargs)
        if venue != "okx":
            raise InvalidInputError(f"venue must be 'okx' or 'binance', not {venue!r}")
        return super().__new__(cls)

    def __init__(
        self,
        source: Any = None,
        *,
        venue: str = "okx",
        host: str = "127.0.0.1",
        port: int = 0,
        checksum: str = "crc32",
        sequence: bool = True,
        initial_snapshot: bool = True,
        speed: float | None = None,
        rate: float | None = None,
        limit: int | None = None,
        autostart: bool = True,
        idle_timeout: float = 30.0,
        heartbeat_interval: float = 60.0,
        instruments: Mapping[str, Instrument] | Iterable[Instrument] | None = None,
        inst_ids: Iterable[str] = (),
        credentials: Mapping[str, tuple[str, str]] | None = None,
        restamp: bool = True,
        record_history: bool = False,
        seed: int = 0,
    ) -> None:
        if checksum not in ("crc32", "zero"):
            raise InvalidInputError(f"checksum must be 'crc32' or 'zero', not {checksum!r}")
        if speed is not None and not speed > 0:
            raise InvalidInputError(f"speed must be positive (or None for no pacing), not {speed}")
        if rate is not None and not rate > 0:
            raise InvalidInputError(f"rate must be positive frames/s (or None), not {rate}")
        self.source = source
        self.host = host
        self.port = port
        self.checksum_mode = checksum
        self.sequence = sequence
        self.initial_snapshot = initial_snapshot
        self.speed = speed
        self.rate = rate
        self.limit = limit
        self.autostart = autostart
        self.idle_timeout = idle_timeout
        self.heartbeat_interval = heartbeat_interval
        self.credentials = dict(credentials or {})
        self.restamp = restamp
        if isinstance(instruments, Mapping):
            self.instruments: dict[str, Instrument] = dict(instruments)
        else:
            self.instruments = {inst.inst_id: inst for inst in instruments or ()}
        source_instrument = getattr(source, "instrument", None)
        if isinstance(source_instrument, Mapping):  # an OKX instruments record
            source_instrument = Instrument.from_okx(source_instrument)
        if isinstance(source_instrument, Instrument):
            self.instruments.setdefault(source_instrument.inst_id, source_instrument)
        self.known_inst_ids = set(inst_ids) | set(self.instruments)
        self.injected: Counter[str] = Counter()
        #: ``{(inst_id, seqId): CRC32 of the true book at that seqId}`` when ``record_history``
        self.history: dict[tuple[str, int], int] | None = {} if record_history else None
        self.frames_published = 0
        self.frames_sent = 0
        self._rng = random.Random(seed)
        self._markets: dict[str, _Market] = {}
        self._sessions: set[_Session] = set()
        self._server: Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._start = asyncio.Event()
        self._running = asyncio.Event()
        self._running.set()
        self._done = asyncio.Event()
        self._conn_ids = (f"{i:08x}" for i in itertools.count(self._rng.randrange(1 << 28)))

    # ----------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> SimulatedExchange:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Listen on ``host:port`` (port 0 = an ephemeral port) and start the source pump."""
        self._server = await serve(
            self._handle,
            self.host,
            self.port,
            process_request=self._process_request,
            ping_interval=None,
            compression=None,
            max_queue=None,
        )
        sockname = next(iter(self._server.sockets)).getsockname()
        self.port = int(sockname[1])
        self._tasks = [
            asyncio.create_task(self._pump(), name="exchange-pump"),
            asyncio.create_task(self._timers(), name="exchange-timers"),
        ]
        if not self.autostart:
            return
        if self.source is None:
            self._start.set()

    async def stop(self) -> None:
        """Close every socket (code 1001) and the listener."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._server is not None:
            self._server.close(close_connections=True)
            await self._server.wait_closed()
            self._server = None

    @property
    def url(self) -> str:
        """``ws://127.0.0.1:<port>/ws/v5/public``."""
        return f"ws://{self.host}:{self.port}{WS_PATH}"

    @property
    def rest_url(self) -> str:
        """``http://127.0.0.1:<port>``: base of the REST paths."""
        return f"http://{self.host}:{self.port}"

    def relay_url(self, inst_id: str) -> str:
        """URL of the GoQuant-style relay stream for one instrument."""
        return f"ws://{self.host}:{self.port}{RELAY_PATH}{inst_id}"

    def start_source(self) -> None:
        """Start replaying the source (automatic on the first subscription when ``autostart``)."""
        self._start.set()

    def pause(self) -> None:
        """Stop pulling frames from the source until :meth:`resume`."""
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def source_done(self) -> bool:
        """True once the source is exhausted and every frame has been published."""
        return self._done.is_set()

    async def wait_source_done(self) -> None:
        """Wait until the source is exhausted and every frame has been published."""
        await self._done.wait()

    @property
    def connections(self) -> int:
        """Number of open client sessions."""
        return len(self._sessions)

    # ----------------------------------------------------------------- truth, for tests

    def true_book(self, inst_id: str) -> LevelBook:
        """The exchange's book for ``inst_id`` (what every synced client must hold)."""
        return self._market(inst_id).book

    def seq_id(self, inst_id: str) -> int:
        """The last ``seqId`` of ``inst_id``'s 400-level chain."""
        return self._market(inst_id).seq_id

    # ----------------------------------------------------------------- faults

    def inject(
        self,
        kind: str,
        *,
        inst_id: str | None = None,
        count: int = 1,
        duration: float = 1.0,
    ) -> None:
        """Inject a fault into every open session (see the module docstring for the kinds).

        ``count`` repeats a frame fault on that many update frames (per session); ``inst_id``
        restricts it to one instrument; ``duration`` is the length of a ``stall`` in seconds.
        """
        if kind not in FAULTS:
            raise InvalidInputError(f"unknown fault {kind!r}; choose from {sorted(FAULTS)}")
        if count < 1:
            raise InvalidInputError(f"count must be >= 1, not {count}")
        if kind == "reset":
            targets = [inst_id] if inst_id is not None else list(self._markets)
            for target in targets:
                self._market(target).reset_pending = True
            return
        sessions = [s for s in self._sessions if s.relay_inst is None]
        for session in sessions:
            if kind in FRAME_FAULTS:
                session.faults.append(_Fault(kind, inst_id, count))
            elif kind == "garbage":
                for _ in range(count):
                    frame = GARBAGE_FRAMES[self.injected["garbage"] % len(GARBAGE_FRAMES)]
                    self._spawn(self._send(session, frame, force=True))
                    self.injected["garbage"] += 1
            elif kind == "disconnect":
                transport = session.ws.transport
                if transport is not None and not transport.is_closing():
                    transport.abort()
                    self.injected["disconnect"] += 1
            elif kind == "stall":
                session.stalled_until = time.monotonic() + duration
                self.injected["stall"] += 1
            elif kind == "heartbeat":
                for market in self._markets.values():
                    self._spawn(self._heartbeat(market, only=session))
                self.injected["heartbeat"] += 1

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.append(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        with contextlib.suppress(ValueError):
            self._tasks.remove(task)

    # ----------------------------------------------------------------- source

    def _market(self, inst_id: str) -> _Market:
        market = self._markets.get(inst_id)
        if market is None:
            market = self._markets[inst_id] = _Market(inst_id)
            market.seq_id = self._rng.randrange(1_000, 1_000_000)
        return market

    async def _pump(self) -> None:
        await self._start.wait()
        loop = asyncio.get_running_loop()
        started = loop.time()
        first_ts: int | None = None
        for n, (ts, frame) in enumerate(_frames(self.source, self.limit)):
            if not self._running.is_set():
                await self._running.wait()
            if self.speed is not None and ts is not None:
                if first_ts is None:
                    first_ts = ts
                delay = started + (ts - first_ts) / 1e9 / self.speed - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
            elif self.rate is not None:
                delay = started + n / self.rate - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
            await self.publish(frame)
            if n % 64 == 63:
                await asyncio.sleep(0)
        self._done.set()

    async def publish(self, frame: str | bytes) -> None:
        """Feed one raw OKX frame from the source through the exchange (applies and broadcasts).

        Book frames (``books``-style snapshot/update, ``books5``, ``bbo-tbt``) update the
        instrument's book; other channel pushes are forwarded to their subscribers as they are.
        """
        message = json.loads(frame)
        arg = message.get("arg") if isinstance(message, dict) else None
        data = message.get("data") if isinstance(message, dict) else None
        if not isinstance(arg, dict) or not isinstance(data, list) or not data:
            return
        self.frames_published += 1
        channel, inst_id = str(arg.get("channel", "")), str(arg.get("instId", ""))
        self.known_inst_ids.add(inst_id)
        if channel not in BOOK_CHANNELS:
            text = frame.decode() if isinstance(frame, bytes) else frame
            for session in list(self._sessions):
                if (channel, inst_id) in session.subs:
                    await self._send(session, text)
            return
        market = self._market(inst_id)
        if channel in INCREMENTAL_CHANNELS:
            market.incremental_source = True
        elif market.incremental_source:
            return  # books5/bbo-tbt are derived from the full book, not taken from the source
        body = data[0]
        bids, asks = body.get("bids") or [], body.get("asks") or []
        if not bids and not asks and message.get("action") == "update":
            return  # the source's own heartbeat: no change to publish
        snapshot = message.get("action", "snapshot") == "snapshot" or channel in SNAPSHOT_CHANNELS
        before = (market.book.bids(), market.book.asks())
        if snapshot:
            market.book.replace(bids, asks)
            bids, asks = market.book.diff(before[0], before[1], None)
        else:
            market.book.apply(bids, asks)
        market.ts = _now_ms() if self.restamp else int(body.get("ts") or _now_ms())
        market.last_change = time.monotonic()
        market.prev_seq_id = market.seq_id
        if market.reset_pending:
            market.reset_pending = False
            market.seq_id = self._rng.randrange(0, 10)
            self.injected["reset"] += 1
        else:
            market.seq_id += 1
        market.started = True
        if self.history is not None:
            self.history[(inst_id, market.seq_id)] = market.book.checksum()
        await self._broadcast(market, bids, asks, before)

    async def _broadcast(
        self,
        market: _Market,
        bids: list[Row],
        asks: list[Row],
        before: tuple[list[Row], list[Row]],
    ) -> None:
        checksum: int | None = None
        frames: dict[str, _BookFrame | str | None] = {}
        for session in list(self._sessions):
            if session.relay_inst == market.inst_id:
                await self._send(session, self._relay_frame(market))
                continue
            for channel, inst_id in list(session.subs):
                if inst_id != market.inst_id or channel not in BOOK_CHANNELS:
                    continue
                if session.subs[(channel, inst_id)]:  # snapshot still owed
                    session.subs[(channel, inst_id)] = False
                    await self._send(session, self._snapshot_frame(market, channel))
                    continue
                if channel not in frames:
                    if channel in SNAPSHOT_CHANNELS:
                        depth = SNAPSHOT_CHANNELS[channel]
                        unchanged = (
                            market.book.bids(depth) == before[0][:depth]
                            and market.book.asks(depth) == before[1][:depth]
                        )
                        frames[channel] = (
                            None if unchanged else self._snapshot_frame(market, channel)
                        )
                    else:
                        if checksum is None:
                            checksum = self._checksum(market)
                        frames[channel] = self._update_frame(
                            market, channel, bids, asks, before, checksum
                        )
                frame = frames[channel]
                if frame is None:
                    continue
                if isinstance(frame, str):
                    await self._send(session, frame)
                else:
                    await self._send_update(session, frame)
        for channel in market.window:  # keep windowed chains exact while nobody listens
            if channel not in frames:
                self._update_frame(market, channel, bids, asks, before, 0)

    def _checksum(self, market: _Market) -> int:
        return market.book.checksum() if self.checksum_mode == "crc32" else 0

    def _update_frame(
        self,
        market: _Market,
        channel: str,
        bids: list[Row],
        asks: list[Row],
        before: tuple[list[Row], list[Row]],
        checksum: int,
    ) -> _BookFrame | None:
        depth = INCREMENTAL_CHANNELS[channel]
        if depth < 400:
            old_bids, old_asks = market.window.get(channel, (before[0][:depth], before[1][:depth]))
            bids, asks = market.book.diff(old_bids, old_asks, depth)
            market.window[channel] = (market.book.bids(depth), market.book.asks(depth))
            if not bids and not asks:
                return None
        if depth < 400:
            prev = market.chain.get(channel, market.prev_seq_id)
            market.chain[channel] = market.seq_id
        else:
            prev = market.prev_seq_id
        frame = _BookFrame(
            channel,
            market.inst_id,
            bids,
            asks,
            market.ts,
            checksum,
            prev,
            market.seq_id,
            self.sequence,
        )
        frame.text = frame.render()
        return frame

    def _snapshot_frame(self, market: _Market, channel: str) -> str:
        depth = BOOK_CHANNELS[channel]
        bids, asks = market.book.bids(depth), market.book.asks(depth)
        data: dict[str, Any] = {"asks": asks, "bids": bids, "ts": str(market.ts or _now_ms())}
        if channel in INCREMENTAL_CHANNELS:
            data["checksum"] = self._checksum(market)
            seq = market.seq_id
            if depth < 400:  # a windowed channel: the snapshot sits on its own chain
                if channel not in market.window:
                    market.window[channel] = (bids, asks)
                    market.chain[channel] = market.seq_id
                seq = market.chain[channel]
            if self.sequence:
                data["prevSeqId"] = -1
                data["seqId"] = seq
            message: dict[str, Any] = {
                "arg": {"channel": channel, "instId": market.inst_id},
                "action": "snapshot",
                "data": [data],
            }
        else:
            if channel == "books5":
                data["instId"] = market.inst_id
            if self.sequence:
                data["seqId"] = market.seq_id
            message = {"arg": {"channel": channel, "instId": market.inst_id}, "data": [data]}
        return _dumps(message)

    def _relay_frame(self, market: _Market) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(market.ts / 1000))
        return _dumps(
            {
                "timestamp": f"{stamp}.{market.ts % 1000:03d}000+00:00",
                "exchange": "OKX",
                "symbol": market.inst_id,
                "asks": [row[:2] for row in market.book.asks()],
                "bids": [row[:2] for row in market.book.bids()],
            }
        )

    async def _heartbeat(self, market: _Market, only: _Session | None = None) -> None:
        """OKX's no-change message: empty update with ``seqId == prevSeqId`` / snapshot resend."""
        checksum = self._checksum(market)
        for session in [only] if only is not None else list(self._sessions):
            for channel, inst_id in list(session.subs):
                if inst_id != market.inst_id or session.subs[(channel, inst_id)]:
                    continue
                if channel in SNAPSHOT_CHANNELS:
                    await self._send(session, self._snapshot_frame(market, channel))
                elif channel in INCREMENTAL_CHANNELS:
                    seq = (
                        market.chain.get(channel, market.seq_id)
                        if INCREMENTAL_CHANNELS[channel] < 400
                        else market.seq_id
                    )
                    frame = _BookFrame(
                        channel, inst_id, [], [], _now_ms(), checksum, seq, seq, self.sequence
                    )
                    await self._send(session, frame.render())

    async def _timers(self) -> None:
        """Heartbeats for quiet instruments and 4004 closes for idle sockets."""
        tick = max(0.005, min(self.idle_timeout, self.heartbeat_interval) / 4)
        while True:
            await asyncio.sleep(tick)
            now = time.monotonic()
            for market in list(self._markets.values()):
                if market.started and now - market.last_change >= self.heartbeat_interval:
                    market.last_change = now
                    await self._heartbeat(market)
            for session in list(self._sessions):
                idle_in = now - session.last_recv
                idle_both = now - max(session.last_recv, session.last_sent)
                if (
                    not session.subs and session.relay_inst is None and idle_in >= self.idle_timeout
                ) or (idle_both >= self.idle_timeout):
                    self._spawn(session.ws.close(4004, "No data received in 30s."))

    # ----------------------------------------------------------------- sending

    async def _send(self, session: _Session, text: str, *, force: bool = False) -> None:
        if not force and session.stalled_until:
            if time.monotonic() < session.stalled_until:
                return
            session.stalled_until = 0.0
        try:
            await session.ws.send(text)
        except ConnectionClosed:
            return
        session.last_sent = time.monotonic()
        self.frames_sent += 1

    async def _send_update(self, session: _Session, frame: _BookFrame) -> None:
        key = (frame.channel, frame.inst_id)
        fault = None
        if frame.bids or frame.asks:
            for candidate in session.faults:
                if candidate.inst_id in (None, frame.inst_id):
                    fault = candidate
                    break
        text = frame.text
        if fault is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                session.faults.remove(fault)
            self.injected[fault.kind] += 1
            if fault.kind == "drop":
                return
            if fault.kind == "reorder" and key not in session.held:
                session.held[key] = text
                return
            if fault.kind == "corrupt_checksum":
                true = frame.checksum or (session.ws.id.int & 0x7FFFFFFF) | 1
                text = frame.render(checksum=true ^ 0x2A2A2A2A)
            if fault.kind == "duplicate":
                await self._send(session, text)
        await self._send(session, text)
        held = session.held.pop(key, None)
        if held is not None:
            await self._send(session, held)

    # ----------------------------------------------------------------- connections

    async def _handle(self, ws: ServerConnection) -> None:
        session = _Session(ws, next(self._conn_ids))
        path = ws.request.path if ws.request is not None else WS_PATH
        if path.startswith(RELAY_PATH):
            session.relay_inst = path[len(RELAY_PATH) :].split("?")[0]
            if self.autostart:
                self._start.set()
        self._sessions.add(session)
        try:
            if session.relay_inst is not None:
                market = self._markets.get(session.relay_inst)
                if market is not None and market.started:
                    await self._send(session, self._relay_frame(market))
            async for message in ws:
                session.last_recv = time.monotonic()
                await self._on_client_message(session, message)
        except ConnectionClosed:
            pass
        finally:
            self._sessions.discard(session)

    async def _error(self, session: _Session, code: str, msg: str, req_id: Any) -> None:
        reply: dict[str, Any] = {
            "event": "error",
            "code": code,
            "msg": msg,
            "connId": session.conn_id,
        }
        if req_id is not None:
            reply = {"id": req_id, **reply}
        await self._send(session, _dumps(reply))

    async def _on_client_message(self, session: _Session, message: str | bytes) -> None:
        text = message.decode(errors="replace") if isinstance(message, bytes) else message
        if text == "ping":
            await self._send(session, "pong")
            return
        try:
            request = json.loads(text)
            op = request["op"]
            args = request.get("args")
            req_id = request.get("id")
        except (ValueError, KeyError, TypeError, AttributeError):
            await self._error(session, spec.INVALID_REQUEST, f"Invalid request: {text}", None)
            return
        if op == "login":
            await self._login(session, args, req_id)
            return
        if op not in ("subscribe", "unsubscribe"):
            await self._error(session, spec.INVALID_OP, f"Invalid op: {op}", req_id)
            return
        if not isinstance(args, list) or not args:
            await self._error(session, spec.INVALID_REQUEST, f"Invalid request: {text}", req_id)
            return
        for arg in args:
            if not isinstance(arg, dict) or "channel" not in arg:
                await self._error(session, spec.INVALID_REQUEST, f"Invalid request: {text}", req_id)
                continue
            channel, inst_id = str(arg["channel"]), str(arg.get("instId", ""))
            if op == "subscribe":
                await self._subscribe(session, channel, inst_id, req_id)
            else:
                session.subs.pop((channel, inst_id), None)
                session.held.pop((channel, inst_id), None)
                await self._ack(session, "unsubscribe", channel, inst_id, req_id)

    async def _ack(
        self, session: _Session, event: str, channel: str, inst_id: str, req_id: Any
    ) -> None:
        reply: dict[str, Any] = {
            "event": event,
            "arg": {"channel": channel, "instId": inst_id},
            "connId": session.conn_id,
        }
        if req_id is not None:
            reply = {"id": req_id, **reply}
        await self._send(session, _dumps(reply))

    async def _subscribe(self, session: _Session, channel: str, inst_id: str, req_id: Any) -> None:
        if channel not in CHANNELS or (self.known_inst_ids and inst_id not in self.known_inst_ids):
            await self._error(
                session,
                spec.NO_SUCH_CHANNEL,
                f"Wrong URL or channel:{channel},instId:{inst_id} doesn't exist. "
                "Please use the correct URL, channel and parameters referring to API document.",
                req_id,
            )
            return
        if channel in LOGIN_CHANNELS and not session.logged_in:
            await self._error(session, spec.LOGIN_REQUIRED, "Please log in", req_id)
            return
        deep = {"books", "books50-l2-tbt"}
        others = {ch for ch, inst in session.subs if inst == inst_id}
        if (channel == "books-l2-tbt" and others & deep) or (
            channel in deep and "books-l2-tbt" in others
        ):
            name = channel if channel != "books-l2-tbt" else sorted(others & deep)[0]
            await self._error(
                session,
                spec.CHANNEL_CONFLICT,
                f"Subscribe to both {name} and books-l2-tbt for {inst_id} is not allowed",
                req_id,
            )
            return
        await self._ack(session, "subscribe", channel, inst_id, req_id)
        key = (channel, inst_id)
        already = key in session.subs
        if channel not in BOOK_CHANNELS:
            session.subs[key] = False
        elif already:
            pass  # OKX (2026) only re-acks a duplicate subscription
        elif channel in INCREMENTAL_CHANNELS and not self.initial_snapshot:
            session.subs[key] = False
            market = self._market(inst_id)
            depth = INCREMENTAL_CHANNELS[channel]
            if depth < 400 and channel not in market.window:
                market.window[channel] = (market.book.bids(depth), market.book.asks(depth))
                market.chain[channel] = market.seq_id
        else:
            market = self._market(inst_id)
            if market.started:
                session.subs[key] = False
                await self._send(session, self._snapshot_frame(market, channel))
            else:
                session.subs[key] = True  # owed on the first change
        if self.autostart:
            self._start.set()

    async def _login(self, session: _Session, args: Any, req_id: Any) -> None:
        try:
            (arg,) = args
            key, passphrase = str(arg["apiKey"]), str(arg["passphrase"])
            stamp, sign = str(arg["timestamp"]), str(arg["sign"])
            secret, expected_passphrase = self.credentials[key]
            expected = spec.login_sign(secret, stamp)
            fresh = abs(time.time() - float(stamp)) <= spec.LOGIN_WINDOW_S
        except (ValueError, KeyError, TypeError):
            await self._error(session, spec.LOGIN_FAILED, "Login failed.", req_id)
            return
        if not (
            fresh and hmac.compare_digest(sign, expected) and passphrase == expected_passphrase
        ):
            await self._error(session, spec.LOGIN_FAILED, "Login failed.", req_id)
            return
        session.logged_in = True
        reply: dict[str, Any] = {
            "event": "login",
            "code": "0",
            "msg": "",
            "connId": session.conn_id,
        }
        await self._send(session, _dumps({"id": req_id, **reply} if req_id is not None else reply))

    # ----------------------------------------------------------------- REST

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        url = urlsplit(request.path)
        if url.path in (WS_PATH,) or url.path.startswith(RELAY_PATH):
            return None
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        if url.path == spec.REST_BOOKS_PATH:
            body = self._rest_books(query)
        elif url.path == "/api/v5/public/instruments":
            inst_type = query.get("instType", "")
            rows = [
                inst.to_okx()
                for inst in self.instruments.values()
                if inst.inst_type == inst_type and query.get("instId", inst.inst_id) == inst.inst_id
            ]
            body = {"code": "0", "msg": "", "data": rows}
        else:
            return connection.respond(HTTPStatus.NOT_FOUND, "Not Found\n")
        response = connection.respond(HTTPStatus.OK, _dumps(body))
        headers = Headers(response.headers)
        del headers["Content-Type"]
        headers["Content-Type"] = "application/json"
        return Response(response.status_code, response.reason_phrase, headers, response.body)

    def _rest_books(self, query: Mapping[str, str]) -> dict[str, Any]:
        inst_id = query.get("instId", "")
        market = self._markets.get(inst_id)
        if market is None or not market.started:
            return {"code": "51001", "msg": "Instrument ID does not exist", "data": []}
        try:
            depth = min(400, max(1, int(query.get("sz", "1"))))
        except ValueError:
            return {"code": "50014", "msg": "Parameter sz error", "data": []}
        data = {
            "asks": market.book.asks(depth),
            "bids": market.book.bids(depth),
            "ts": str(market.ts),
            "seqId": market.seq_id,
        }
        return {"code": "0", "msg": "", "data": [data]}


__all__ = ["SimulatedExchange"]
