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

The venue's rules live in the sans-I/O :class:`tradecost.sim.okx_protocol.OKXVenue`; this module is
its thin shell on :class:`tradecost.sim._server.SimServer` (sockets, the source pump, timers).

Sources: ``None`` (frames arrive through :meth:`SimulatedExchange.publish`), an iterable of raw
frames (``str``/``bytes``), an iterable of ``(local_ts_ns, frame)`` pairs (a recording, replayed at
``speed`` × real time, or as fast as possible when ``speed`` is ``None``), or any object with a
``messages(n=...)`` method returning raw frames (the synthetic market).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, ClassVar

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request

from tradecost.errors import InvalidInputError
from tradecost.feeds.okx import spec
from tradecost.instruments import Instrument
from tradecost.sim._server import SimServer, SimSession, now_ms
from tradecost.sim.levels import LevelBook
from tradecost.sim.okx_protocol import RELAY_PATH, BookFrame, Connection, Delivery, OKXVenue

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
GARBAGE_FRAMES = ("}{ not json", '{"arg":{"channel":"books","instId":', "\x00\xff", "[1,2,3]")


@dataclass(eq=False)
class _Session(SimSession):
    conn: Connection = field(default_factory=lambda: Connection(""))


class SimulatedExchange(SimServer):
    """A local OKX v5 public WebSocket + REST server. Use as ``async with SimulatedExchange(...)``.

    ``url`` is ``ws://127.0.0.1:<port>/ws/v5/public`` and ``rest_url`` ``http://127.0.0.1:<port>``
    once started. Times are seconds of the asyncio loop's clock; all of them are parameters so
    tests can shrink OKX's 30 s / 60 s timers.
    """

    FRAME_FAULTS: ClassVar[frozenset[str]] = FRAME_FAULTS
    IMMEDIATE_FAULTS: ClassVar[frozenset[str]] = IMMEDIATE_FAULTS
    FAULTS: ClassVar[frozenset[str]] = FAULTS
    QUIET_FAULT: ClassVar[str] = "stall"
    GARBAGE_FRAMES: ClassVar[tuple[str, ...]] = GARBAGE_FRAMES
    DEFAULT_PATH: ClassVar[str] = WS_PATH
    TASK_PREFIX: ClassVar[str] = "exchange"
    SEND_BOUND: ClassVar[int | None] = 256

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
        self.venue = OKXVenue(
            checksum=checksum,
            sequence=sequence,
            initial_snapshot=initial_snapshot,
            credentials=credentials,
            restamp=restamp,
            record_history=record_history,
            seed=seed,
        )
        super().__init__(
            source,
            host=host,
            port=port,
            speed=speed,
            rate=rate,
            limit=limit,
            autostart=autostart,
            restamp=restamp,
        )
        self.injected = self.venue.injected  # the venue counts resets, the shell the rest
        self.idle_timeout = idle_timeout
        self.heartbeat_interval = heartbeat_interval
        listed = instruments.values() if isinstance(instruments, Mapping) else instruments or ()
        source_instrument = getattr(source, "instrument", None)
        if isinstance(source_instrument, Mapping):  # an OKX instruments record
            source_instrument = Instrument.from_okx(source_instrument)
        if isinstance(source_instrument, Instrument):
            listed = [*listed, source_instrument]
        for instrument in listed:
            self.venue.add_instrument(instrument)
        self.venue.known_inst_ids.update(inst_ids)
        self.checksum_mode = checksum
        self.sequence = sequence
        self.initial_snapshot = initial_snapshot
        self.credentials = self.venue.credentials
        self.instruments = self.venue.instruments
        self.known_inst_ids = self.venue.known_inst_ids
        #: ``{(inst_id, seqId): CRC32 of the true book at that seqId}`` when ``record_history``
        self.history = self.venue.history
        self._by_conn: dict[Connection, _Session] = {}

    async def start(self) -> None:
        """Listen on ``host:port`` (port 0 = an ephemeral port) and start the source pump."""
        await super().start()
        if self.autostart and self.source is None:
            self._start.set()

    @property
    def url(self) -> str:
        """``ws://127.0.0.1:<port>/ws/v5/public``."""
        return f"ws://{self.host}:{self.port}{WS_PATH}"

    def relay_url(self, inst_id: str) -> str:
        """URL of the GoQuant-style relay stream for one instrument."""
        return f"ws://{self.host}:{self.port}{RELAY_PATH}{inst_id}"

    # ----------------------------------------------------------------- truth, for tests

    def true_book(self, inst_id: str) -> LevelBook:
        """The exchange's book for ``inst_id`` (what every synced client must hold)."""
        return self.venue.true_book(inst_id)

    def seq_id(self, inst_id: str) -> int:
        """The last ``seqId`` of ``inst_id``'s 400-level chain."""
        return self.venue.seq_id(inst_id)

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
        self._check_fault(kind, count)
        if kind == "reset":
            self.venue.reset(inst_id)
            return
        self._inject_sessions(kind, inst_id, count, duration)

    def _fault_sessions(self) -> list[Any]:
        return [s for s in self._sessions if s.conn.relay_inst is None]

    def _inject_other(self, session: Any, kind: str) -> None:
        if kind == "heartbeat":
            self._deliver(self.venue.heartbeat(session.conn, now_ms()))
            self.injected["heartbeat"] += 1

    # ----------------------------------------------------------------- source and sending

    def _publish(self, frame: str | bytes) -> bool:
        deliveries = self.venue.on_source(frame, now_ms=now_ms(), clock=time.monotonic())
        if deliveries is None:
            return False
        self._deliver(deliveries)
        return True

    def _deliver(self, deliveries: list[Delivery]) -> None:
        for conn, frame in deliveries:
            session = self._by_conn.get(conn)
            if session is None:
                continue
            if isinstance(frame, str):
                self._send(session, frame)
                continue
            key = (frame.channel, frame.inst_id)
            corrupt = functools.partial(BookFrame.corrupted, frame, session.ws.id.int)
            # faults act on updates that change the book
            changes = bool(frame.bids or frame.asks)
            self._send_faulted(session, key, frame.inst_id, frame.text, corrupt, faultable=changes)

    # ----------------------------------------------------------------- timers

    def _timer_tick(self) -> float:
        return max(0.005, min(self.idle_timeout, self.heartbeat_interval) / 4)

    async def _on_timer(self, now: float) -> None:
        """Heartbeats for quiet instruments and 4004 closes for idle sockets."""
        self._deliver(self.venue.heartbeats(now, self.heartbeat_interval, now_ms()))
        for session in list(self._sessions):
            idle_in = now - session.last_recv
            idle_both = now - max(session.last_recv, session.last_sent)
            quiet = not session.conn.subs and session.conn.relay_inst is None
            if (quiet and idle_in >= self.idle_timeout) or idle_both >= self.idle_timeout:
                self._spawn(session.ws.close(4004, "No data received in 30s."))

    # ----------------------------------------------------------------- connections

    def _open(self, ws: ServerConnection, path: str) -> _Session:
        relay = path[len(RELAY_PATH) :].split("?")[0] if path.startswith(RELAY_PATH) else None
        if relay is not None and self.autostart:
            self._start.set()
        session = _Session(ws, conn=self.venue.connect(relay))
        self._by_conn[session.conn] = session
        return session

    def _on_open(self, session: Any) -> None:
        for text in self.venue.opening_frames(session.conn):
            self._send(session, text)

    def _close_session(self, session: Any) -> None:
        self.venue.disconnect(session.conn)
        self._by_conn.pop(session.conn, None)

    def _on_message(self, session: Any, text: str) -> None:
        reply = self.venue.on_message(session.conn, text, now_ms=now_ms(), now_s=time.time())
        for key in reply.unsubscribed:
            session.faults.held.pop(key, None)
        for frame in reply.frames:
            self._send(session, frame)
        if reply.subscribed and self.autostart:
            self._start.set()

    # ----------------------------------------------------------------- REST

    def _ws_route(self, request: Request, path: str) -> bool | None:
        return True if path == WS_PATH or path.startswith(RELAY_PATH) else None

    def _rest(self, path: str, query: Mapping[str, str]) -> tuple[HTTPStatus, Any] | None:
        if path == spec.REST_BOOKS_PATH:
            return HTTPStatus.OK, self.venue.rest_books(query)
        if path == "/api/v5/public/instruments":
            return HTTPStatus.OK, self.venue.rest_instruments(query)
        return None


__all__ = ["SimulatedExchange"]
