"""A local server that speaks Binance's public market-data WebSocket and REST, with faults.

The thin asyncio shell around :class:`tradecost.sim.binance_protocol.BinanceVenue`: it pulls raw
OKX frames from a simulated market (:class:`~tradecost.sim.SimulatedMarket` or
:class:`~tradecost.sim.correlated.CorrelatedMarket`), lets the venue turn them into Binance
messages, and serves them on 127.0.0.1. Usually built as ``SimulatedExchange(market,
venue="binance", market="spot" | "usdm")``; see ``docs/feed.md`` and the module docstring of
:mod:`tradecost.sim.binance_protocol` for the message shapes.

Paths (WebSocket and REST on one port; ``url`` is the WebSocket base, ``rest_url`` the REST base):

* spot: ``/ws/<stream>`` (raw), ``/ws`` then ``SUBSCRIBE``, ``/stream?streams=a/b`` (combined,
  each message ``{"stream": name, "data": payload}``); REST ``/api/v3/depth``,
  ``/api/v3/exchangeInfo``;
* USDⓈ-M (the 2026 split): ``/public/ws/...`` and ``/public/stream?...`` serve depth,
  ``/market/ws/...`` and ``/market/stream?...`` serve trades; a stream on the other path is
  accepted and never sent. The retired paths ``/ws/...`` and ``/stream?...`` accept the
  connection and then send nothing at all, as reported for the real venue; REST
  ``/fapi/v1/depth``, ``/fapi/v1/exchangeInfo``.

``SUBSCRIBE``/``UNSUBSCRIBE``/``LIST_SUBSCRIPTIONS`` with ids and their replies; a ping frame every
``ping_interval`` seconds (spot 20 s, USDⓈ-M 180 s) and a close when no pong came within
``pong_timeout`` (60 s / 600 s; close code 1008); connections are closed (1001) after
``max_connection_age`` seconds (24 h).

Faults (:meth:`BinanceExchange.inject`), counted in ``exchange.injected`` when applied:

* ``drop``, ``duplicate``, ``reorder``, ``corrupt`` act on the next depth diff(s) sent to each
  open session (``symbol`` restricts them): a lost, repeated or swapped message, or one whose
  first price level is not a number (valid JSON, a ``depthUpdate`` no client can apply);
* ``gap``: the next diff of a symbol breaks the id chain for everyone (spot ``U`` jumps, futures
  ``pu`` is not the previous ``u``) while the content stays complete;
* ``stale_snapshot``: the next ``count`` REST depth answers show an old book: the oldest
  state kept when the fault was injected (up to 20 diff events back), so its ``lastUpdateId``
  is older than every diff sent after the injection and a client must refetch;
* ``garbage`` (frames that are not JSON / not a Binance message), ``disconnect`` (TCP abort, no
  close frame), ``silent`` (nothing at all, pings included, for ``duration`` seconds; what a
  client misses meanwhile is lost) and ``shutdown`` (``{"e":"serverShutdown","E":ms}``, then a
  close 1001 after ``shutdown_grace`` seconds) act at once on every open session. The
  ``serverShutdown`` event is sent bare, also on combined streams (it belongs to no stream).

Not served: ``bookTicker``, partial depth (``@depth5``...), klines; such names are accepted and
stay silent. Incoming-message rate limits are not enforced.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request

from tradecost.errors import InvalidInputError
from tradecost.sim._server import SimServer, SimSession, dumps, now_ms
from tradecost.sim.binance_protocol import (
    MARKETS,
    BinanceVenue,
    Push,
    RestError,
    StreamName,
    handle_request,
    parse_stream,
    parse_streams_query,
)
from tradecost.sim.levels import LevelBook, Row

__all__ = ["BinanceExchange"]

FRAME_FAULTS = frozenset({"drop", "duplicate", "reorder", "corrupt"})
IMMEDIATE_FAULTS = frozenset({"garbage", "disconnect", "silent", "shutdown"})
FAULTS = FRAME_FAULTS | IMMEDIATE_FAULTS | {"gap", "stale_snapshot"}
GARBAGE_FRAMES = ("}{ not json", '{"stream":"btcusdt@depth@100ms","data":', "\x00\xff", "[1,2,3]")
SPOT_REST = {"depth": "/api/v3/depth", "info": "/api/v3/exchangeInfo"}
USDM_REST = {"depth": "/fapi/v1/depth", "info": "/fapi/v1/exchangeInfo"}


@dataclass(eq=False)
class _Session(SimSession):
    combined: bool = False
    path: str = "all"  # "all" (spot), "public" / "market" (USDⓈ-M), "legacy" (silent)
    streams: dict[str, StreamName] = field(default_factory=dict)
    ping_sent: float = 0.0
    ping_waiter: Any = None
    shutting_down: bool = False


def _instruments(source: Any) -> list[Mapping[str, str]]:
    markets = getattr(source, "markets", None)
    if isinstance(markets, Mapping):  # a CorrelatedMarket
        return [market.instrument for market in markets.values()]
    instrument = getattr(source, "instrument", None)
    return [instrument] if isinstance(instrument, Mapping) else []


class BinanceExchange(SimServer):
    """A local Binance market-data server (spot or USDⓈ-M). ``async with`` starts and stops it.

    ``source``: a simulated market (or raw OKX frames) whose ``books`` and ``trades`` drive the
    books. ``speed`` paces a timed source at that multiple of simulated time (None: as fast as
    the venue converts frames; each client's frames wait in its own unbounded queue, so use
    ``limit`` or ``speed`` with a client that reads slowly); ``limit`` stops after that many
    source frames. ``restamp`` stamps ``E``/``T`` with the wall clock (ms) instead of the
    simulated time. The first book
    snapshots of the source are applied at start, so REST answers before any diff is sent;
    the rest starts with the first connection (``autostart``) or :meth:`start_source`.
    ``snapshot_inside_event`` makes REST depth show the book part-way through the last diff
    event (``lastUpdateId`` strictly inside its ``[U, u]``; see ``BinanceVenue.depth``).
    ``record_history`` keeps, in ``history``, every symbol's book rows after every diff event,
    keyed ``(symbol, u)``: what a client's book must be at that update id.
    """

    FRAME_FAULTS: ClassVar[frozenset[str]] = FRAME_FAULTS
    IMMEDIATE_FAULTS: ClassVar[frozenset[str]] = IMMEDIATE_FAULTS
    FAULTS: ClassVar[frozenset[str]] = FAULTS
    QUIET_FAULT: ClassVar[str] = "silent"
    GARBAGE_FRAMES: ClassVar[tuple[str, ...]] = GARBAGE_FRAMES
    DEFAULT_PATH: ClassVar[str] = "/ws"
    TASK_PREFIX: ClassVar[str] = "binance"

    def __init__(
        self,
        source: Any = None,
        *,
        market: str = "spot",
        host: str = "127.0.0.1",
        port: int = 0,
        speed: float | None = None,
        limit: int | None = None,
        autostart: bool = True,
        restamp: bool = True,
        ping_interval: float | None = None,
        pong_timeout: float | None = None,
        max_connection_age: float = 86_400.0,
        shutdown_grace: float = 1.0,
        instruments: list[Mapping[str, str]] | None = None,
        snapshot_inside_event: bool = False,
        record_history: bool = False,
        seed: int = 0,
    ) -> None:
        if market not in MARKETS:
            raise InvalidInputError(f"market must be one of {MARKETS}, not {market!r}")
        super().__init__(
            source,
            host=host,
            port=port,
            speed=speed,
            limit=limit,
            autostart=autostart,
            restamp=restamp,
        )
        self.market = market
        spot = market == "spot"
        self.ping_interval = (20.0 if spot else 180.0) if ping_interval is None else ping_interval
        self.pong_timeout = (60.0 if spot else 600.0) if pong_timeout is None else pong_timeout
        self.max_connection_age = max_connection_age
        self.shutdown_grace = shutdown_grace
        for name in ("ping_interval", "pong_timeout", "max_connection_age"):
            value = getattr(self, name)
            if not value > 0:
                raise InvalidInputError(f"{name} must be a positive number of seconds, not {value}")
        if not shutdown_grace >= 0:
            raise InvalidInputError(f"shutdown_grace must be >= 0 seconds, not {shutdown_grace}")
        self.snapshot_inside_event = snapshot_inside_event
        self.venue = BinanceVenue(market, seed=seed)
        for record in [*_instruments(source), *(instruments or ())]:
            self.venue.add_instrument(record)
        self.rest_paths = SPOT_REST if spot else USDM_REST
        #: ``{(symbol, u): (bid rows, ask rows) of the true book right after the diff event
        #: ending at update id u}`` when ``record_history`` (a client's book at ``u`` must match)
        self.history: dict[tuple[str, int], tuple[list[Row], list[Row]]] | None = (
            {} if record_history else None
        )
        self.pings_sent = 0
        self.pongs_received = 0
        self.rest_requests: Counter[str] = Counter()
        self._stale_snapshots = 0
        self._stale_states: dict[str, tuple[int, list[Row], list[Row]]] = {}

    @property
    def url(self) -> str:
        """WebSocket base, ``ws://127.0.0.1:<port>`` (as ``wss://stream.binance.com:9443`` /
        ``wss://fstream.binance.com``): append ``/ws/<stream>``, ``/stream?streams=...``, or on
        USDⓈ-M ``/public/...`` and ``/market/...``."""
        return f"ws://{self.host}:{self.port}"

    @property
    def rest_url(self) -> str:
        """REST base, ``http://127.0.0.1:<port>`` (as ``https://api.binance.com`` /
        ``https://fapi.binance.com``)."""
        return f"http://{self.host}:{self.port}"

    def stream_url(self, *streams: str, combined: bool = True) -> str:
        """Full URL for ``streams`` on this market's live path (USDⓈ-M: by stream kind)."""
        if not streams:
            raise InvalidInputError("give at least one stream name")
        prefix = ""
        if self.market == "usdm":
            parsed = [parse_stream(name) for name in streams]
            paths = {stream.path if stream is not None else "" for stream in parsed}
            if len(paths) != 1 or "" in paths:
                raise InvalidInputError(
                    f"USDⓈ-M serves depth on /public and trades on /market; got {list(streams)}"
                )
            prefix = "/" + paths.pop()
        if combined:
            return f"{self.url}{prefix}/stream?streams={'/'.join(streams)}"
        if len(streams) != 1:
            raise InvalidInputError("a raw stream URL names one stream")
        return f"{self.url}{prefix}/ws/{streams[0]}"

    def feed_options(self) -> dict[str, str]:
        """``url``, ``rest_url`` (and on USDⓈ-M ``trades_url``) for a
        :class:`~tradecost.BinanceFeed` of this market: ``BinanceFeed(symbols, ex.market,
        **ex.feed_options())``."""
        if self.market == "spot":
            return {"url": f"{self.url}/stream", "rest_url": self.rest_url}
        return {
            "url": f"{self.url}/public/stream",
            "trades_url": f"{self.url}/market/stream",
            "rest_url": self.rest_url,
        }

    # ----------------------------------------------------------------- truth, for tests

    def true_book(self, symbol: str) -> LevelBook:
        """The exact book of ``symbol`` (Binance wire strings) every synced client must hold."""
        return self.venue.true_book(symbol)

    def last_update_id(self, symbol: str) -> int:
        return self.venue.last_update_id(symbol)

    # ----------------------------------------------------------------- faults

    def inject(
        self,
        kind: str,
        *,
        symbol: str | None = None,
        count: int = 1,
        duration: float = 1.0,
    ) -> None:
        """Inject a fault (see the module docstring). ``count`` repeats a frame fault (per
        session) or a stale snapshot; ``duration`` is the length of ``silent``, seconds."""
        self._check_fault(kind, count)
        if symbol is not None and symbol not in self.venue.symbols:
            raise InvalidInputError(f"unknown symbol {symbol!r}; listed: {self.venue.symbols}")
        if kind == "gap":  # applied to the next diff of each symbol, for every client
            self.venue.inject_gap(symbol)
            self.injected["gap"] += 1 if symbol is not None else len(self.venue.symbols)
            return
        if kind == "stale_snapshot":
            # frozen now: the book shown is older than every diff sent from here on
            for name in [symbol] if symbol is not None else self.venue.symbols:
                state = self.venue.oldest_state(name)
                if state is not None:
                    self._stale_states[name] = state
            self._stale_snapshots += count
            return
        self._inject_sessions(kind, symbol, count, duration)

    def _fault_sessions(self) -> list[Any]:
        return [s for s in self._sessions if s.path != "legacy"]

    def _inject_other(self, session: Any, kind: str) -> None:
        if kind == "shutdown":
            self._spawn(self._shutdown(session))
            self.injected["shutdown"] += 1

    def end_silence(self) -> None:
        """End a ``silent`` fault now on every session (instead of waiting for its duration)."""
        for session in self._sessions:
            session.quiet_until = 0.0

    async def _shutdown(self, session: _Session) -> None:
        self._send(session, dumps({"e": "serverShutdown", "E": now_ms()}), force=True)
        session.shutting_down = True  # nothing more is queued; what is queued is delivered
        await asyncio.sleep(self.shutdown_grace)
        await session.outbox.join()
        await session.ws.close(1001, "server shutdown")

    # ----------------------------------------------------------------- source

    def _prime(self) -> None:
        """Apply the opening book snapshots so REST has a book before anyone connects."""
        for ts, frame in self._frames:
            message = json.loads(frame)
            if not (isinstance(message, dict) and message.get("action") == "snapshot"):
                self._pending = (ts, frame)
                return
            self.venue.on_source(message, now_ms() if self.restamp else None)
            self.frames_published += 1
        self._frames = iter(())

    def _publish(self, frame: str | bytes) -> bool:
        """Feed one raw OKX frame through the venue and send what it produces."""
        message = json.loads(frame)
        if not isinstance(message, dict):
            return False
        pushes = self.venue.on_source(message, now_ms() if self.restamp else None)
        if self.history is not None:
            for push in pushes:
                if push.kind == "depth":
                    book = self.venue.true_book(push.symbol)
                    self.history[(push.symbol, int(push.payload["u"]))] = (book.bids(), book.asks())
        for push in pushes:
            self._broadcast(push)
        return True

    def _broadcast(self, push: Push) -> None:
        texts: dict[tuple[str, bool], str] = {}  # rendered once per stream name and form
        for session in list(self._sessions):
            for name, stream in list(session.streams.items()):
                if stream.symbol != push.symbol or not _serves(session, stream, push.kind):
                    continue
                key = (name if session.combined else "", session.combined)
                frame = texts.get(key)
                if frame is None:
                    body = {"stream": name, "data": push.payload} if session.combined else None
                    frame = texts[key] = dumps(push.payload if body is None else body)
                if push.kind == "depth":
                    corrupt = functools.partial(_corrupt, frame)
                    self._send_faulted(session, push.symbol, push.symbol, frame, corrupt)
                else:
                    self._send(session, frame)

    def _muted(self, session: Any) -> bool:
        return bool(session.path == "legacy" or session.shutting_down)

    # ----------------------------------------------------------------- timers

    def _timer_tick(self) -> float:
        return max(0.005, min(self.ping_interval, self.pong_timeout, self.max_connection_age) / 4)

    async def _on_timer(self, now: float) -> None:
        """Ping frames, pong deadlines, and the 24-hour connection limit."""
        for session in list(self._sessions):
            if now - session.opened >= self.max_connection_age:
                self._spawn(session.ws.close(1001, "connection lifetime exceeded"))
                continue
            if session.path == "legacy" or now < session.quiet_until:
                continue
            waiter = session.ping_waiter
            if waiter is not None:
                if waiter.done():
                    session.ping_waiter = None
                    self.pongs_received += 1
                elif now - session.ping_sent >= self.pong_timeout:
                    self._spawn(session.ws.close(1008, "pong timeout"))
                    continue
            if session.ping_waiter is None and now - session.ping_sent >= self.ping_interval:
                # bounded: a client that stopped reading must not hold up the others
                with contextlib.suppress(ConnectionClosed, TimeoutError):
                    session.ping_waiter = await asyncio.wait_for(session.ws.ping(), 1.0)
                    session.ping_sent = now
                    self.pings_sent += 1

    # ----------------------------------------------------------------- connections

    def _route(self, path: str) -> tuple[str, bool, list[StreamName]] | None:
        """``(path kind, combined, initial streams)`` for a WebSocket path, None if unknown."""
        url = urlsplit(path)
        parts = url.path.rstrip("/").split("/")[1:]
        kind = "all"
        if self.market == "usdm":
            if parts and parts[0] in ("public", "market"):
                kind, parts = parts[0], parts[1:]
            else:
                kind = "legacy"
        if not parts:
            return None
        if parts[0] == "ws":
            streams = [parse_stream(name) for name in parts[1:]]
            if any(stream is None for stream in streams):
                return None
            return kind, False, [s for s in streams if s is not None]
        if parts[0] == "stream" and len(parts) == 1:
            query = parse_qs(url.query).get("streams", [""])[0]
            parsed = parse_streams_query(query)
            if parsed is None:
                return None
            return kind, True, parsed
        return None

    def _open(self, ws: ServerConnection, path: str) -> _Session:
        route = self._route(path)
        assert route is not None  # process_request refused every other path
        kind, combined, streams = route
        session = _Session(ws, combined=combined, path=kind)
        session.ping_sent = time.monotonic()
        for stream in streams:
            session.streams[stream.name] = stream
        return session

    def _on_open(self, session: Any) -> None:
        if self.autostart and self.source is not None:
            self._start.set()

    def _on_message(self, session: Any, text: str) -> None:
        if session.path == "legacy":
            return
        reply = handle_request(text, session.streams)
        for stream in reply.subscribe:
            session.streams[stream.name] = stream
        for name in reply.unsubscribe:
            session.streams.pop(name, None)
        self._send(session, dumps(reply.message))

    # ----------------------------------------------------------------- REST

    def _ws_route(self, request: Request, path: str) -> bool | None:
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return None
        return self._route(request.path) is not None

    def _rest(self, path: str, query: Mapping[str, str]) -> tuple[HTTPStatus, Any] | None:
        now = now_ms()
        try:
            if path == self.rest_paths["depth"]:
                self.rest_requests["depth"] += 1
                stale = self._stale_snapshots > 0
                body = self.venue.depth(
                    query,
                    now,
                    stale=stale,
                    inside_event=self.snapshot_inside_event,
                    state=self._stale_states.get(query.get("symbol", "")) if stale else None,
                )
                # counted (and used up) only when the book shown is really an older one
                if stale and body["lastUpdateId"] < self.venue.last_update_id(query["symbol"]):
                    self._stale_snapshots -= 1
                    self.injected["stale_snapshot"] += 1
            elif path == self.rest_paths["info"]:
                self.rest_requests["exchangeInfo"] += 1
                body = self.venue.exchange_info(query, now)
            else:
                return None
        except RestError as exc:
            return HTTPStatus(exc.status), exc.body
        return HTTPStatus.OK, body


def _corrupt(frame: str) -> str:
    """``frame`` (a depth diff, raw or combined) with its first price replaced by a word."""
    message = json.loads(frame)
    data = message.get("data", message)
    side = "b" if data["b"] else "a"
    data[side] = [["not-a-price", data[side][0][1]], *data[side][1:]]
    return dumps(message)


def _serves(session: _Session, stream: StreamName, kind: str) -> bool:
    """Whether ``stream`` on this session's path carries a push of ``kind``."""
    wanted = {"depth@100ms": "depth", "depth": "depth", "trade": "trade", "aggTrade": "aggTrade"}
    if wanted.get(stream.kind) != kind:
        return False
    return session.path == "all" or session.path == stream.path
