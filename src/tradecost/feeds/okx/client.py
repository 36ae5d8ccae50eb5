"""``OKXFeed``: the thin asyncio client around the sans-I/O :class:`OKXProtocol`.

One socket carries every instrument. Each frame is decoded and applied in the socket's own
callback as it arrives (:mod:`tradecost.feeds.ws`), never waiting for the consumer. The consumer
either takes events there too (``on_event``) or iterates the feed and gets, per
instrument, the newest in-sync book (older undelivered events for the same instrument are
replaced, counted in ``stats.conflated``); trade prints are queued, not conflated.

Reconnects use capped exponential backoff with jitter, reset once a connection has produced an
in-sync book (so a server that accepts and immediately drops is not hammered). Keep-alive follows
OKX ("WebSocket / Connect"): when nothing arrived for ``ping_interval`` (< 30 s) seconds send the
text ``ping`` and expect ``pong``; if nothing arrives within ``pong_timeout`` the socket is dropped
and the feed reconnects. All timers, the backoff, the clock and ``sleep`` are parameters so tests
run in milliseconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl as ssl_module
import time
import urllib.request
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from tradecost.errors import FeedError, InvalidInputError
from tradecost.feeds.okx.instruments import (
    OKX_REST_URL,
    Instrument,
    bundled_instruments,
    inst_type_of,
    instruments_url,
    parse_instruments,
)
from tradecost.feeds.okx.protocol import (
    LOGIN_CHANNELS,
    BookEvent,
    Event,
    FeedStats,
    OKXProtocol,
    TradeEvent,
    rest_books_url,
)
from tradecost.feeds.reconnect import Backoff as Backoff
from tradecost.feeds.reconnect import is_retryable as is_retryable
from tradecost.feeds.ws import WebSocketClient, connect_websocket

OKX_PUBLIC_URL = "wss://ws.okx.com:8443/ws/v5/public"


def _rest_base(url: str) -> str:
    parts = urlsplit(url)
    if parts.hostname in ("ws.okx.com", "wsaws.okx.com"):
        return OKX_REST_URL
    scheme = "https" if parts.scheme == "wss" else "http"
    return f"{scheme}://{parts.netloc}"


def _http_get(url: str, timeout: float) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as reply:
        body: bytes = reply.read()
        return body


class OKXFeed:
    """Live OKX v5 order books over one WebSocket: ``async with OKXFeed([...]) as feed``.

    ``async for event in feed`` yields :class:`BookEvent` (``inst_id``, ``book``, ``exch_ts``,
    ``local_ts`` in ns, ``seq_id``, ``channel``, ``action``) and, with ``trades=True``,
    :class:`TradeEvent`. A book event is only delivered while its book is in sync; it stays
    valid until the consumer next awaits (copy the book to keep it). Fatal exchange errors
    (unknown instrument 60018, login required 60011, ...) are raised from the iteration as
    :class:`~tradecost.errors.SubscriptionError`.

    Parameters: ``url`` (any OKX-compatible server, default OKX production), ``rest_url`` (for the
    REST snapshot and instruments; derived from ``url``), ``instruments`` (else fetched from
    ``rest_url``, else the bundled copy), ``api_key``/``secret_key``/``passphrase`` (login, needed
    for ``books-l2-tbt``/``books50-l2-tbt``), ``bootstrap`` (``"auto"``/``"ws"``/``"rest"``),
    ``relay=True`` for GoQuant-style full-snapshot relays, timers in seconds, ``ssl`` for a
    ``wss://`` URL (default: the system's trust store).

    ``on_event``: called with every event from the socket's own callback, as the frame that made
    it is applied: bytes received → your code with no task switch in between (the lowest
    latency; keep it short, it holds up the next frame). Events then do not go to the iteration:
    ``await feed.join()`` instead. An exception it raises stops the feed and is raised from
    ``join``.
    """

    def __init__(
        self,
        inst_ids: str | Sequence[str],
        channel: str = "books",
        *,
        url: str | None = None,
        rest_url: str | None = None,
        trades: bool = False,
        instruments: Mapping[str, Instrument] | None = None,
        api_key: str | None = None,
        secret_key: str | None = None,
        passphrase: str | None = None,
        bootstrap: str = "auto",
        relay: bool = False,
        ping_interval: float = 20.0,
        pong_timeout: float = 5.0,
        stale_after: float | None = 90.0,
        resync_timeout: float = 10.0,
        open_timeout: float = 10.0,
        rest_timeout: float = 10.0,
        backoff: Backoff | None = None,
        max_reconnects: int | None = None,
        trade_queue: int = 100_000,
        clock: Callable[[], int] = time.time_ns,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        book_factory: Callable[[Instrument], Any] | None = None,
        on_event: Callable[[Event], None] | None = None,
        ssl: ssl_module.SSLContext | None = None,
    ) -> None:
        self.inst_ids = [inst_ids] if isinstance(inst_ids, str) else list(inst_ids)
        if not self.inst_ids:
            raise InvalidInputError("OKXFeed needs at least one instrument id")
        if not 0 < ping_interval < 30:
            raise InvalidInputError(
                f"ping_interval must be in (0, 30) s (OKX closes silent sockets after 30 s), "
                f"not {ping_interval}"
            )
        keys = (api_key, secret_key, passphrase)
        if any(k is not None for k in keys) and not all(k is not None for k in keys):
            raise InvalidInputError("login needs all of api_key, secret_key and passphrase")
        if channel in LOGIN_CHANNELS and api_key is None and not relay:
            raise InvalidInputError(
                f"OKX channel {channel!r} needs a login: pass api_key, secret_key and passphrase "
                "of an account at fee tier VIP4 or above (OKX error 64003 otherwise)"
            )
        self.channel = channel
        self.url = url or OKX_PUBLIC_URL
        self.rest_url = rest_url or _rest_base(self.url)
        self.trades = trades
        self.instruments = dict(instruments) if instruments is not None else None
        self.credentials = (api_key, secret_key, passphrase) if api_key is not None else None
        self.bootstrap = bootstrap
        self.relay = relay
        self.ping_interval = ping_interval
        self.pong_timeout = pong_timeout
        self.stale_after = stale_after
        self.resync_timeout = resync_timeout
        self.open_timeout = open_timeout
        self.rest_timeout = rest_timeout
        self.backoff = backoff or Backoff()
        self.max_reconnects = max_reconnects
        self.clock = clock
        self.sleep = sleep
        self.book_factory = book_factory
        self.stats = FeedStats()
        self.protocol: OKXProtocol | None = None
        self.connected = asyncio.Event()
        self._pending: dict[str, BookEvent] = {}
        self._trades: deque[TradeEvent] = deque(maxlen=trade_queue)
        self._wakeup = asyncio.Event()
        self._run_task: asyncio.Task[None] | None = None
        self._helpers: set[asyncio.Task[None]] = set()
        self.on_event = on_event
        self.ssl = ssl
        self._conn: WebSocketClient | None = None
        self._healthy = False
        self._last_rx = 0.0
        self._connections = 0

    # ----------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> OKXFeed:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Resolve instruments, build the protocol and start the reader task."""
        instruments = self.instruments
        if instruments is None:
            instruments = await self._load_instruments()
        credentials = None
        if self.credentials is not None:
            api_key, secret_key, passphrase = self.credentials
            assert api_key is not None
            assert secret_key is not None
            assert passphrase is not None
            credentials = (api_key, secret_key, passphrase)
        self.protocol = OKXProtocol(
            self.inst_ids,
            self.channel,
            trades=self.trades,
            instruments=instruments,
            credentials=credentials,
            bootstrap=self.bootstrap,
            relay=self.relay,
            book_factory=self.book_factory,
            stats=self.stats,
        )
        self._run_task = asyncio.create_task(self._run(), name="okx-feed-reader")

    async def close(self) -> None:
        """Stop the reader and close the socket."""
        tasks = [t for t in (self._run_task, *self._helpers) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._helpers.clear()
        self._wakeup.set()

    async def _load_instruments(self) -> dict[str, Instrument]:
        known = bundled_instruments()
        for inst_type in sorted({inst_type_of(i) for i in self.inst_ids}):
            try:
                body = await asyncio.to_thread(
                    _http_get, instruments_url(self.rest_url, inst_type), self.rest_timeout
                )
                known.update(parse_instruments(body))
            except (OSError, ValueError, FeedError):
                continue  # keep the bundled specs
        return known

    # ----------------------------------------------------------------- consumer side

    @property
    def books(self) -> dict[str, Any]:
        """``{inst_id: book}`` (the live objects; check :meth:`synced` before using one)."""
        return self._protocol.books

    def synced(self, inst_id: str) -> bool:
        """True when ``inst_id``'s book is in sync with the exchange right now."""
        return self._protocol.is_synced(inst_id)

    async def wait_synced(self, timeout: float = 10.0) -> None:
        """Wait until every book is in sync (``TimeoutError`` after ``timeout`` s)."""
        async with asyncio.timeout(timeout):
            while not all(self.synced(i) for i in self.inst_ids):
                self._raise_if_failed()
                await asyncio.sleep(0.002)

    @property
    def _protocol(self) -> OKXProtocol:
        if self.protocol is None:
            raise FeedError("the feed is not started: use `async with OKXFeed(...) as feed`")
        return self.protocol

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        protocol = self._protocol
        pending = self._pending
        while True:
            if self._trades:
                return self._trades.popleft()
            while pending:
                inst_id = next(iter(pending))
                event = pending.pop(inst_id)
                if protocol.is_synced(inst_id):
                    return event
                self.stats.withheld += 1
            self._raise_if_failed()
            if self._run_task is None or self._run_task.done():
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()

    async def join(self) -> None:
        """Wait until the feed stops: raises what stopped it (a fatal exchange error, an
        exception from ``on_event``, :class:`FeedError` after ``max_reconnects``)."""
        task = self._run_task
        if task is None:
            raise FeedError("the feed is not started: use `async with OKXFeed(...) as feed`")
        await asyncio.shield(task)

    def _raise_if_failed(self) -> None:
        task = self._run_task
        if task is not None and task.done() and not task.cancelled():
            exc = task.exception()
            if exc is not None:
                raise exc

    def _hand_on(self, events: list[Event]) -> None:
        """To ``on_event`` now, or to the iteration's queue."""
        on_event = self.on_event
        if on_event is None:
            self._deliver(events)
            return
        for event in events:
            on_event(event)

    def _deliver(self, events: list[Event]) -> None:
        pending = self._pending
        for event in events:
            if isinstance(event, BookEvent):
                if event.inst_id in pending:
                    self.stats.conflated += 1
                pending[event.inst_id] = event
            else:
                self._trades.append(event)
        self._wakeup.set()

    # ----------------------------------------------------------------- reader side

    async def _run(self) -> None:
        attempts = 0
        try:
            while True:
                attempts += 1
                healthy = False
                try:
                    conn = await connect_websocket(
                        self.url,
                        self._on_frame,
                        on_open=self._on_open,
                        clock=self.clock,
                        open_timeout=self.open_timeout,
                        ssl=self.ssl,
                    )
                    healthy = await self._session(conn)
                except Exception as exc:
                    if not is_retryable(exc):
                        raise
                if healthy:
                    self.backoff.reset()
                if self.max_reconnects is not None and attempts > self.max_reconnects:
                    raise FeedError(f"gave up after {self.max_reconnects} reconnects")
                await self.sleep(self.backoff.next_delay())
        finally:
            self._wakeup.set()

    def _on_open(self) -> None:
        """Handshake done (called from the socket's callback, before any message)."""
        self._connections += 1
        if self._connections > 1:
            self.stats.reconnects += 1
        self._healthy = False
        self._last_rx = time.monotonic()
        self._protocol.connection_made(self.clock())
        self.connected.set()

    def _on_frame(self, frame: bytes, received_ns: int) -> None:
        """Every message, from the socket's callback: decode, apply, hand on, answer."""
        self._last_rx = time.monotonic()
        protocol = self.protocol
        assert protocol is not None
        events = protocol.receive(frame, received_ns)
        if events:
            self._healthy = True
            self._hand_on(events)
        if protocol.wants_to_send:
            self._flush()
        if protocol.wants_rest:
            for inst_id in protocol.rest_requests():
                self._spawn(self._fetch_rest(inst_id))
        if protocol.reconnect_requested and self._conn is not None:
            self._conn.close()

    async def _session(self, conn: WebSocketClient) -> bool:
        """Serve one connection until it closes. True if a book got in sync meanwhile."""
        protocol = self._protocol
        self._conn = conn
        self._flush()
        watchdog = asyncio.create_task(self._watchdog(conn), name="okx-feed-watchdog")
        try:
            await asyncio.shield(conn.closed)
        finally:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog
            if not conn.closed.done():  # cancelled: say goodbye, do not wait for the reply
                conn.close()
                if conn.transport is not None:
                    conn.transport.close()
            self._conn = None
            self.connected.clear()
            protocol.connection_lost(self.clock())
        if conn.failure is not None:
            raise conn.failure
        return self._healthy

    def _flush(self) -> None:
        conn = self._conn
        frames = self._protocol.data_to_send()
        if conn is not None:
            for frame in frames:
                conn.send_text(frame)

    async def _watchdog(self, conn: WebSocketClient) -> None:
        """Ping when idle, drop the socket when even the pong does not come; book timers."""
        protocol = self._protocol
        tick = min(self.ping_interval, self.pong_timeout, self.resync_timeout) / 4
        stale_ns = None if self.stale_after is None else int(self.stale_after * 1e9)
        resync_ns = int(self.resync_timeout * 1e9)
        ping_sent_at: float | None = None
        while True:
            await asyncio.sleep(tick)
            now = time.monotonic()
            protocol.check_timers(
                self.clock(), stale_after_ns=stale_ns, resync_timeout_ns=resync_ns
            )
            if protocol.wants_to_send:
                self._flush()
            if ping_sent_at is not None and self._last_rx >= ping_sent_at:
                ping_sent_at = None
            if ping_sent_at is None and now - self._last_rx >= self.ping_interval:
                ping_sent_at = now
                self.stats.pings += 1
                conn.send_text("ping")
            elif ping_sent_at is not None and now - ping_sent_at >= self.pong_timeout:
                self.stats.timeouts += 1
                conn.abort()
                return

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._helpers.add(task)
        task.add_done_callback(self._helpers.discard)

    async def _fetch_rest(self, inst_id: str) -> None:
        protocol = self._protocol
        url = rest_books_url(self.rest_url, inst_id, 400)
        try:
            body = await asyncio.to_thread(_http_get, url, self.rest_timeout)
        except OSError:
            self.stats.errors += 1
            await self.sleep(self.backoff.initial)
            protocol.rest_failed(inst_id)
            for again in protocol.rest_requests():
                self._spawn(self._fetch_rest(again))
            return
        events = protocol.receive_rest_snapshot(inst_id, body, self.clock())
        if events:
            self._hand_on(events)
        if protocol.wants_to_send:
            self._flush()
        for again in protocol.rest_requests():
            self._spawn(self._fetch_rest(again))
