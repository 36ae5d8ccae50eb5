"""The asyncio shell every venue's feed client shares around its sans-I/O protocol.

A venue client (:class:`~tradecost.OKXFeed`, :class:`~tradecost.BinanceFeed`) subclasses
:class:`FeedClient` and keeps only what is its own: building the protocols (``start``), its
watchdog timers and its REST snapshot fetch. Shared here: ``async with`` start-up and shutdown,
the reconnect loop with backoff, the socket callbacks (decode, apply, hand on, answer), the
connection teardown, and the consumer side: ``on_event`` or the iteration, which yields trades
first, then every ``stale=True`` book event, then per book the newest in-sync event (older
undelivered ones are replaced, counted in ``stats.conflated``; one whose book fell out of sync
before delivery is dropped, counted in ``stats.withheld``).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl as ssl_module
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from typing import Any, Generic, Protocol, TypedDict, TypeVar

from tradecost.errors import FeedError
from tradecost.feeds.events import BookEvent, Event, TradeEvent
from tradecost.feeds.reconnect import Backoff, is_retryable
from tradecost.feeds.ws import WebSocketClient, connect_websocket

__all__ = ["FeedClient", "FeedOptions", "Link"]


class FeedOptions(TypedDict, total=False):
    """The keyword options every venue feed takes (``OKXFeed(..., **options)``); the defaults
    and their meaning are :meth:`FeedClient._init_client`'s."""

    open_timeout: float
    rest_timeout: float
    backoff: Backoff | None
    max_reconnects: int | None
    trade_queue: int
    clock: Callable[[], int]
    sleep: Callable[[float], Awaitable[None]]
    book_factory: Callable[[Any], Any] | None
    on_event: Callable[[Event], None] | None
    ssl: ssl_module.SSLContext | None


class SansIOProtocol(Protocol):
    """What the shell needs of a venue's sans-I/O protocol."""

    @property
    def wants_to_send(self) -> bool: ...
    @property
    def wants_rest(self) -> bool: ...
    @property
    def reconnect_requested(self) -> bool: ...
    def receive(self, frame: bytes, received_ns: int, /) -> list[Event]: ...
    def data_to_send(self) -> list[str]: ...
    def rest_requests(self) -> list[str]: ...
    def connection_made(self, now_ns: int, /) -> None: ...
    def connection_lost(self, now_ns: int, /) -> list[Event] | None: ...
    def is_synced(self, key: str, /) -> bool: ...


P = TypeVar("P", bound=SansIOProtocol)


class Link(Generic[P]):
    """One WebSocket connection and the protocol it carries."""

    def __init__(self, name: str, url: str, protocol: P, silence: float | None = None):
        self.name = name
        self.url = url
        self.protocol = protocol
        self.silence_timeout = silence
        self.conn: WebSocketClient | None = None
        self.last_rx = 0.0
        self.opened_at = 0.0
        self.healthy = False  # a book got in sync (or a trade came) on this connection
        self.connections = 0
        self.early = False  # the last close was asked for (serverShutdown, rotation)


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Mark the outcome of ``future`` as seen (no "exception was never retrieved" warning)."""
    if not future.cancelled():
        future.exception()


class FeedClient(Generic[P]):
    """Start-up, shutdown, reconnection and delivery shared by the venue feed clients.

    Reconnect policy, per venue: ``_RESET_ATTEMPTS_WHEN_HEALTHY`` makes ``max_reconnects`` count
    consecutive unhealthy connections (else all of them); ``_HEALTHY_EVEN_IF_FAILED`` lets a
    connection that got healthy and then failed reset the backoff (else only one that closed
    cleanly); ``_PROMPT_WHEN_ASKED`` reconnects without waiting when the protocol asked for the
    reconnect (else after the backoff delay).
    """

    _RESET_ATTEMPTS_WHEN_HEALTHY = True
    _HEALTHY_EVEN_IF_FAILED = True
    _PROMPT_WHEN_ASKED = True
    _NAME = "feed"

    stats: Any

    def _init_client(
        self,
        *,
        open_timeout: float = 10.0,
        rest_timeout: float = 10.0,
        backoff: Backoff | None = None,
        max_reconnects: int | None = None,
        trade_queue: int = 100_000,
        clock: Callable[[], int] = time.time_ns,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        book_factory: Callable[[Any], Any] | None = None,
        on_event: Callable[[Event], None] | None = None,
        ssl: ssl_module.SSLContext | None = None,
    ) -> None:
        """The options (:class:`FeedOptions`) and state every feed has; the venue's
        ``__init__`` passes its ``**options`` on here.

        ``open_timeout``: seconds for the WebSocket handshake; ``rest_timeout``: seconds for a
        REST request; ``backoff``: the reconnect delays (default :class:`Backoff()`);
        ``max_reconnects``: give up (:class:`~tradecost.errors.FeedError`) after that many
        (None: never); ``trade_queue``: trades kept for the iteration (the oldest dropped
        beyond); ``clock``: ns since the epoch for ``local_ts``; ``sleep``: awaited between
        reconnects and REST retries; ``book_factory``: ``Instrument`` -> book (default
        ``OrderBook``); ``on_event``: every event in the socket's callback instead of the
        iteration; ``ssl``: the context for ``wss://`` (default: the system's trust store).
        """
        self.open_timeout = open_timeout
        self.rest_timeout = rest_timeout
        self.backoff = backoff or Backoff()
        self.max_reconnects = max_reconnects
        self.clock = clock
        self.sleep = sleep
        self.book_factory = book_factory
        self.on_event = on_event
        self.ssl = ssl
        self.links: list[Link[P]] = []
        self.connected = asyncio.Event()
        self._pending: dict[str, BookEvent] = {}
        self._trades: deque[TradeEvent] = deque(maxlen=trade_queue)
        self._stale: deque[BookEvent] = deque()
        self._wakeup = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._background: set[asyncio.Task[None]] = set()

    # ----------------------------------------------------------------- venue hooks

    def _book_keys(self) -> Sequence[str]:
        """The books ``wait_synced`` waits for."""
        raise NotImplementedError

    def synced(self, key: str) -> bool:
        raise NotImplementedError

    def _check_started(self) -> None:
        """Raise if the iteration cannot start yet (by default it just ends)."""

    def _request_rest(self, link: Link[P], key: str) -> None:
        raise NotImplementedError

    async def _watchdog(self, link: Link[P], conn: WebSocketClient) -> None:
        raise NotImplementedError

    _on_ping: Callable[[], None] | None = None

    # ----------------------------------------------------------------- lifecycle

    async def __aenter__(self: _F) -> _F:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        raise NotImplementedError

    def _start_readers(self) -> None:
        self._tasks = [
            asyncio.create_task(self._run(link), name=f"{self._NAME}-{link.name}")
            for link in self.links
        ]

    async def close(self) -> None:
        """Stop the readers and close the sockets."""
        tasks = [*self._tasks, *self._background]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._background.clear()
        self._wakeup.set()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ----------------------------------------------------------------- consumer side

    async def wait_synced(self, timeout: float = 10.0) -> None:
        """Wait until every book is in sync (``TimeoutError`` after ``timeout`` s)."""
        async with asyncio.timeout(timeout):
            while not all(self.synced(key) for key in self._book_keys()):
                self._raise_if_failed()
                await asyncio.sleep(0.002)

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        self._check_started()
        pending = self._pending
        while True:
            if self._trades:
                return self._trades.popleft()
            if self._stale:
                return self._stale.popleft()
            while pending:
                key = next(iter(pending))
                event = pending.pop(key)
                if self.synced(key):
                    return event
                self.stats.withheld += 1
            self._raise_if_failed()
            if not self._tasks or all(task.done() for task in self._tasks):
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()

    async def join(self) -> None:
        """Wait until the feed stops: raises what stopped it (a fatal exchange error, an
        exception from ``on_event``, :class:`FeedError` after ``max_reconnects``)."""
        if not self._tasks:
            raise FeedError(
                f"the feed is not started: use `async with {type(self).__name__}(...) as feed`"
            )
        gathered = asyncio.gather(*self._tasks)
        # retrieved even when the caller stops waiting (the tasks end later, at close())
        gathered.add_done_callback(_retrieve)
        await asyncio.shield(gathered)

    def _raise_if_failed(self) -> None:
        for task in self._tasks:
            if task.done() and not task.cancelled():
                exc = task.exception()
                if exc is not None:
                    raise exc

    def _hand_on(self, events: list[Event]) -> None:
        """To ``on_event`` now, or to the iteration's queues."""
        on_event = self.on_event
        if on_event is not None:
            for event in events:
                on_event(event)
            return
        pending = self._pending
        for event in events:
            if isinstance(event, BookEvent):
                if event.stale:
                    # never conflated away: the consumer must learn that the book broke, even
                    # when it is rebuilt before the consumer runs; an older fresh event of that
                    # book is dropped (it would be withheld anyway)
                    if pending.pop(event.inst_id, None) is not None:
                        self.stats.withheld += 1
                    self._stale.append(event)
                    continue
                if event.inst_id in pending:
                    self.stats.conflated += 1
                pending[event.inst_id] = event
            else:
                self._trades.append(event)
        self._wakeup.set()

    # ----------------------------------------------------------------- reader side

    async def _run(self, link: Link[P]) -> None:
        """Connect, serve, and reconnect with backoff until a fatal error or ``close()``."""
        attempts = 0
        try:
            while True:
                attempts += 1
                link.healthy = link.early = False
                served = False
                try:
                    conn = await connect_websocket(
                        link.url,
                        lambda frame, ts: self._on_frame(link, frame, ts),
                        on_open=lambda: self._on_open(link),
                        clock=self.clock,
                        open_timeout=self.open_timeout,
                        ssl=self.ssl,
                        on_ping=self._on_ping,
                    )
                    await self._serve_connection(link, conn)
                    served = True
                except Exception as exc:
                    if not is_retryable(exc):
                        raise
                if link.healthy and (served or self._HEALTHY_EVEN_IF_FAILED):
                    self.backoff.reset()
                    if self._RESET_ATTEMPTS_WHEN_HEALTHY:
                        attempts = 0
                if self.max_reconnects is not None and attempts > self.max_reconnects:
                    raise FeedError(f"gave up after {self.max_reconnects} reconnects")
                if not link.early:
                    await self.sleep(self.backoff.next_delay())
        finally:
            self._wakeup.set()

    def _on_open(self, link: Link[P]) -> None:
        """Handshake done (called from the socket's callback, before any message)."""
        link.connections += 1
        if link.connections > 1:
            self.stats.reconnects += 1
        link.last_rx = link.opened_at = time.monotonic()
        link.protocol.connection_made(self.clock())
        self.connected.set()

    def _on_frame(self, link: Link[P], frame: bytes, received_ns: int) -> None:
        """Every message, from the socket's callback: decode, apply, hand on, answer."""
        link.last_rx = time.monotonic()
        protocol = link.protocol
        events = protocol.receive(frame, received_ns)
        if events:
            link.healthy = True
            self._hand_on(events)
        if protocol.wants_to_send:
            self._flush(link)
        if protocol.wants_rest:
            for key in protocol.rest_requests():
                self._request_rest(link, key)
        if protocol.reconnect_requested and link.conn is not None:
            link.early = self._PROMPT_WHEN_ASKED
            link.conn.close()

    async def _serve_connection(self, link: Link[P], conn: WebSocketClient) -> None:
        """Serve one connection, its watchdog beside it, until it closes."""
        link.conn = conn
        self._flush(link)
        watchdog = asyncio.create_task(self._watchdog(link, conn), name=f"{self._NAME}-watchdog")
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
            link.conn = None
            if not any(other.conn is not None for other in self.links):
                self.connected.clear()
            events = link.protocol.connection_lost(self.clock())
            if events:
                self._hand_on(events)
        if conn.failure is not None:
            raise conn.failure

    def _flush(self, link: Link[P]) -> None:
        frames = link.protocol.data_to_send()
        if link.conn is not None:
            for frame in frames:
                link.conn.send_text(frame)


_F = TypeVar("_F", bound=FeedClient[Any])
