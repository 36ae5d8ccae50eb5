"""``BinanceFeed``: the thin asyncio client around the sans-I/O :class:`BinanceProtocol`.

Spot carries depth and trades on one combined-stream connection. USDⓈ-M futures, since Binance's
2026 split, serve depth on ``/public`` and trades on ``/market``: two connections, each with its
own protocol, sharing one ``stats``. Every frame is decoded and applied in the socket's own
callback (:mod:`tradecost.feeds.ws`), never waiting for the consumer, who iterates the feed and
gets, per symbol, the newest book event (older undelivered ones are replaced, counted in
``stats.conflated``), every ``stale=True`` event (never conflated away) and every trade.

Connection care, from Binance's docs: streams are requested with ``SUBSCRIBE`` (ids, replies
checked); the server's pings are answered with pongs by the WebSocket layer; a connection lives at
most 24 h, so it is replaced after ``max_connection_age``; ``serverShutdown`` reconnects at once;
other drops reconnect with capped, jittered exponential backoff (reset after a healthy
connection). A **silence watchdog** drops a depth connection on which nothing arrived for
``silence_timeout`` seconds (retired futures paths accept the connection and then send nothing).
REST snapshots and ``exchangeInfo`` go over HTTP(S) with the standard library, in a thread.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Unpack

from tradecost.errors import FeedError, InvalidInputError
from tradecost.feeds._client import FeedClient, FeedOptions, Link
from tradecost.feeds.binance.instruments import (
    bundled_binance_instruments,
    parse_exchange_info,
    resolve_symbols,
)
from tradecost.feeds.binance.protocol import BinanceFeedStats, BinanceProtocol
from tradecost.feeds.binance.spec import DEPTH_SPEEDS, market_spec, rest_base_for
from tradecost.feeds.ws import WebSocketClient
from tradecost.instruments import Instrument

__all__ = ["BinanceFeed"]

#: Binance closes a connection after 24 h; replace it a little earlier.
MAX_CONNECTION_AGE_S = 23.5 * 3600


def _http_get(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "tradecost"})
    with urllib.request.urlopen(request, timeout=timeout) as reply:
        body: bytes = reply.read()
        return body


class BinanceFeed(FeedClient[BinanceProtocol]):
    """Live Binance books and trades: ``async with BinanceFeed(["BTCUSDT"]) as feed``.

    ``async for event in feed`` yields :class:`~tradecost.BookEvent` (``inst_id`` the symbol,
    ``book``, ``exch_ts`` = the event time ``E`` and ``local_ts`` in ns, ``seq_id`` = the last
    applied ``u``, ``stale``) and :class:`~tradecost.TradeEvent` (``size`` in base units,
    ``side`` the taker's, ``trade_id`` a string, ``exch_ts`` the trade time ``T``). A book event
    with ``stale=False`` is only delivered while its book is in sync; when a book breaks (gap,
    bad frame, lost or silent connection) one event with ``stale=True`` says so, and the book is
    rebuilt from a fresh REST snapshot.

    ``market``: ``"spot"`` or ``"usdm"`` (USDⓈ-M futures). ``url``: a combined-stream endpoint
    (``wss://.../stream``) for everything; by default Binance's (futures: depth on ``/public``,
    trades on ``trades_url``, by default ``/market``). ``rest_url``: the REST base for snapshots
    and ``exchangeInfo`` (derived from ``url``). ``instruments``: ``{symbol: Instrument}``, else
    fetched from ``exchangeInfo``, else the bundled copy; a symbol Binance does not list raises
    :class:`~tradecost.errors.UnknownSymbolError` from ``start()`` (``async with``).
    Timers are in seconds; ``clock``, ``sleep``, ``http_get`` and ``backoff`` are injectable.
    The options every feed takes (``open_timeout``, ``rest_timeout``, ``backoff``,
    ``max_reconnects``, ``trade_queue``, ``clock``, ``sleep``, ``book_factory``, ``on_event``,
    ``ssl``) are :class:`~tradecost.feeds._client.FeedOptions`.
    ``on_event`` receives every event in the socket's callback instead of the iteration
    (``await feed.join()`` then).
    """

    _NAME = "binance-feed"

    def __init__(
        self,
        symbols: str | Sequence[str],
        market: str = "spot",
        *,
        depth: bool = True,
        trades: bool = True,
        url: str | None = None,
        rest_url: str | None = None,
        trades_url: str | None = None,
        speed: str = "100ms",
        depth_limit: int = 1000,
        instruments: Mapping[str, Instrument] | None = None,
        silence_timeout: float | None = 10.0,
        trades_silence_timeout: float | None = None,
        max_connection_age: float = MAX_CONNECTION_AGE_S,
        rebuild_timeout: float = 10.0,
        refetch_delay: float = 0.1,
        http_get: Callable[[str, float], bytes] = _http_get,
        **options: Unpack[FeedOptions],
    ) -> None:
        self.spec = market_spec(market)
        self.market = market
        self.symbols = [s.upper() for s in ([symbols] if isinstance(symbols, str) else symbols)]
        if not self.symbols:
            raise InvalidInputError("BinanceFeed needs at least one symbol")
        if not depth and not trades:
            raise InvalidInputError("nothing to subscribe: pass depth=True and/or trades=True")
        for name, value in (
            ("silence_timeout", silence_timeout),
            ("trades_silence_timeout", trades_silence_timeout),
        ):
            if value is not None and not value > 0:
                raise InvalidInputError(f"{name} must be > 0 seconds or None, not {value}")
        if speed not in DEPTH_SPEEDS[market]:
            raise InvalidInputError(
                f"Binance {market} diff depth comes at {DEPTH_SPEEDS[market]}, not {speed!r}"
            )
        if not 1 <= depth_limit <= self.spec.depth_limit_max:
            raise InvalidInputError(
                f"depth_limit must be 1..{self.spec.depth_limit_max} on {market}, not {depth_limit}"
            )
        if not rebuild_timeout > 0 or not max_connection_age > 0:
            raise InvalidInputError("rebuild_timeout and max_connection_age must be > 0 seconds")
        self.depth = depth
        self.trades = trades
        self.url = url
        self.trades_url = trades_url
        self.rest_url = rest_url or rest_base_for(url or self.spec.depth_url, market)
        self.speed = speed
        self.depth_limit = depth_limit
        self.instruments = dict(instruments) if instruments is not None else None
        self.silence_timeout = silence_timeout
        self.trades_silence_timeout = trades_silence_timeout
        self.max_connection_age = max_connection_age
        self.rebuild_timeout = rebuild_timeout
        self.refetch_delay = refetch_delay
        self.http_get = http_get
        self.stats = BinanceFeedStats()
        self._books: dict[str, Any] = {}
        self._rest_attempts: dict[str, int] = {}
        self._init_client(**options)

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Check the symbols against ``exchangeInfo``, build the protocols, start the readers."""
        instruments = await self._load_instruments()
        common: dict[str, Any] = {
            "instruments": instruments,
            "speed": self.speed,
            "book_factory": self.book_factory,
            "stats": self.stats,
        }
        split = (
            self.market == "usdm"
            and self.depth
            and self.trades
            and (self.url is None or self.trades_url is not None)
        )
        if split:
            depth_proto = BinanceProtocol(
                self.symbols, self.market, depth=True, trades=False, **common
            )
            trade_proto = BinanceProtocol(
                self.symbols, self.market, depth=False, trades=True, **common
            )
            self.links = [
                Link("depth", self.url or self.spec.depth_url, depth_proto, self.silence_timeout),
                Link(
                    "trades",
                    self.trades_url or self.spec.trades_url,
                    trade_proto,
                    self.trades_silence_timeout,
                ),
            ]
        else:
            proto = BinanceProtocol(
                self.symbols, self.market, depth=self.depth, trades=self.trades, **common
            )
            default = self.spec.depth_url if self.depth else self.spec.trades_url
            url = self.url or (self.trades_url if not self.depth and self.trades_url else default)
            silence = self.silence_timeout if self.depth else self.trades_silence_timeout
            self.links = [Link("depth" if self.depth else "trades", url, proto, silence)]
        for link in self.links:
            self._books.update(link.protocol.books)
        self._start_readers()

    async def _load_instruments(self) -> dict[str, Instrument]:
        if self.instruments is not None:
            return resolve_symbols(
                self.symbols, self.market, self.instruments, source="the instruments given"
            )
        url = self.spec.exchange_info_url(self.rest_url)
        try:
            body = await asyncio.to_thread(self.http_get, url, self.rest_timeout)
            known = parse_exchange_info(body, self.market)
            source = f"exchangeInfo at {url}"
        except (OSError, ValueError, FeedError) as exc:
            known = bundled_binance_instruments(self.market)
            source = f"the bundled 2021 list; exchangeInfo at {url} failed: {exc}"
        return resolve_symbols(self.symbols, self.market, known, source=source)

    # ----------------------------------------------------------------- consumer side

    @property
    def books(self) -> dict[str, Any]:
        """``{symbol: book}`` (the live objects; check :meth:`synced` before using one)."""
        return dict(self._books)

    def synced(self, symbol: str) -> bool:
        """True when ``symbol``'s book is in sync with the exchange right now."""
        return any(link.protocol.is_synced(symbol.upper()) for link in self.links)

    def _book_keys(self) -> list[str]:
        return self.symbols if self.depth else []

    def unsubscribe(self, symbols: str | Sequence[str]) -> None:
        """Stop streaming ``symbols`` (an ``UNSUBSCRIBE`` on each connection)."""
        names = [symbols] if isinstance(symbols, str) else list(symbols)
        for link in self.links:
            link.protocol.unsubscribe(names)
            self._flush(link)
        for name in names:
            self._books.pop(name.upper(), None)
            self._pending.pop(name.upper(), None)
        gone = {name.upper() for name in names}
        self._stale = deque(event for event in self._stale if event.inst_id not in gone)

    # ----------------------------------------------------------------- reader side

    def _on_ping(self) -> None:
        self.stats.pings += 1

    def _request_rest(self, link: Link[BinanceProtocol], symbol: str) -> None:
        self._spawn(self._fetch_rest(link, symbol, 0.0))

    async def _watchdog(self, link: Link[BinanceProtocol], conn: WebSocketClient) -> None:
        """Drop a silent connection; replace an old one; re-ask stalled snapshots."""
        protocol = link.protocol
        timers = [self.rebuild_timeout, self.max_connection_age]
        if link.silence_timeout is not None:
            timers.append(link.silence_timeout)
        tick = min(min(timers) / 4, 0.5)
        rebuild_ns = int(self.rebuild_timeout * 1e9)
        while True:
            await asyncio.sleep(tick)
            now = time.monotonic()
            events = protocol.check_timers(
                self.clock(), silent_after_ns=None, rebuild_timeout_ns=rebuild_ns
            )
            if events:
                self._hand_on(events)
            for symbol in protocol.rest_requests():
                self._spawn(self._fetch_rest(link, symbol, 0.0))
            if link.silence_timeout is not None and now - link.last_rx >= link.silence_timeout:
                self.stats.timeouts += 1
                conn.abort()
                return
            if now - link.opened_at >= self.max_connection_age:
                self.stats.rotations += 1
                link.early = True
                conn.close()
                return

    async def _fetch_rest(self, link: Link[BinanceProtocol], symbol: str, delay: float) -> None:
        protocol = link.protocol
        if delay > 0:
            await self.sleep(delay)
        url = self.spec.depth_snapshot_url(symbol, self.depth_limit, self.rest_url)
        try:
            body = await asyncio.to_thread(self.http_get, url, self.rest_timeout)
        except OSError:  # network errors and HTTP errors (429, 418, 5xx) alike
            self.stats.errors += 1
            await self.sleep(self._retry_delay(symbol, self.backoff.initial))
            protocol.rest_failed(symbol)
            for again in protocol.rest_requests():
                self._spawn(self._fetch_rest(link, again, 0.0))
            return
        events = protocol.receive_rest_snapshot(symbol, body, self.clock())
        if events:
            link.healthy = True
            self._rest_attempts.pop(symbol, None)
            self._hand_on(events)
        for again in protocol.rest_requests():
            self._spawn(self._fetch_rest(link, again, self._retry_delay(again, self.refetch_delay)))

    def _retry_delay(self, symbol: str, base: float) -> float:
        """``base``, doubling with each consecutive retry for ``symbol`` (at most 10 s): a REST
        snapshot costs request weight, and a lagging or refusing server is not to be hammered."""
        attempt = self._rest_attempts.get(symbol, 0)
        self._rest_attempts[symbol] = attempt + 1
        return min(base * 2.0**attempt, max(base, 10.0))
