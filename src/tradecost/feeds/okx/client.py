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
import time
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any, Unpack
from urllib.parse import urlsplit

from tradecost.errors import FeedError, InvalidInputError
from tradecost.feeds._client import FeedClient, FeedOptions, Link
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
    FeedStats,
    OKXProtocol,
    ProcessingTimes,
    rest_books_url,
)
from tradecost.feeds.reconnect import Backoff as Backoff
from tradecost.feeds.reconnect import is_retryable as is_retryable
from tradecost.feeds.ws import WebSocketClient

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


class OKXFeed(FeedClient[OKXProtocol]):
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
    ``relay=True`` for GoQuant-style full-snapshot relays, timers in seconds, ``timing`` (a
    :class:`~tradecost.feeds.okx.protocol.ProcessingTimes` to time every decode and book update
    with). The options every feed takes (``open_timeout``, ``rest_timeout``, ``backoff``,
    ``max_reconnects``, ``trade_queue``, ``clock``, ``sleep``, ``book_factory``, ``on_event``,
    ``ssl`` for a ``wss://`` URL) are :class:`~tradecost.feeds._client.FeedOptions`.

    ``on_event``: called with every event from the socket's own callback, as the frame that made
    it is applied: bytes received → your code with no task switch in between (the lowest
    latency; keep it short, it holds up the next frame). Events then do not go to the iteration:
    ``await feed.join()`` instead. An exception it raises stops the feed and is raised from
    ``join``.
    """

    _NAME = "okx-feed"
    # max_reconnects counts every connection; only a cleanly closed healthy one resets the
    # backoff; a reconnect the exchange asks for still waits the backoff delay
    _RESET_ATTEMPTS_WHEN_HEALTHY = False
    _HEALTHY_EVEN_IF_FAILED = False
    _PROMPT_WHEN_ASKED = False

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
        timing: ProcessingTimes | None = None,
        **options: Unpack[FeedOptions],
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
        self.timing = timing
        self.stats = FeedStats()
        self.protocol: OKXProtocol | None = None
        self._init_client(**options)

    # ----------------------------------------------------------------- lifecycle

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
            timing=self.timing,
        )
        self.links = [Link("reader", self.url, self.protocol)]
        self._start_readers()

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

    def _book_keys(self) -> list[str]:
        return self.inst_ids

    def _check_started(self) -> None:
        self._protocol  # noqa: B018 - raises FeedError before start()

    @property
    def _protocol(self) -> OKXProtocol:
        if self.protocol is None:
            raise FeedError("the feed is not started: use `async with OKXFeed(...) as feed`")
        return self.protocol

    # ----------------------------------------------------------------- reader side

    def _request_rest(self, link: Link[OKXProtocol], inst_id: str) -> None:
        self._spawn(self._fetch_rest(inst_id))

    async def _watchdog(self, link: Link[OKXProtocol], conn: WebSocketClient) -> None:
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
                self._flush(link)
            if ping_sent_at is not None and link.last_rx >= ping_sent_at:
                ping_sent_at = None
            if ping_sent_at is None and now - link.last_rx >= self.ping_interval:
                ping_sent_at = now
                self.stats.pings += 1
                conn.send_text("ping")
            elif ping_sent_at is not None and now - ping_sent_at >= self.pong_timeout:
                self.stats.timeouts += 1
                conn.abort()
                return

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
            self._flush(self.links[0])
        for again in protocol.rest_requests():
            self._spawn(self._fetch_rest(again))
