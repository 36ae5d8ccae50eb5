"""BinanceFeed against a small Binance-like server on 127.0.0.1, written here.

websockets' own asyncio server plays Binance: combined-stream WebSocket (SUBSCRIBE replies,
diff-depth events, trades, pings, ``serverShutdown``, silence) and, on the same port, the REST
``depth`` and ``exchangeInfo`` endpoints. Timers are milliseconds so the tests take a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

import tradecost as tc
from tests.binance.frames import agg_trade, depth_event, snapshot_body, trade
from tradecost.feeds.reconnect import Backoff

SYMBOL = "BTCUSDT"
EXCHANGE_INFO = {
    "symbols": [
        {
            "symbol": SYMBOL,
            "status": "TRADING",
            "baseAsset": "BTC",
            "quoteAsset": "USDT",
            "filters": [
                {"filterType": "PRICE_FILTER", "tickSize": "0.01000000"},
                {"filterType": "LOT_SIZE", "stepSize": "0.00001000", "minQty": "0.00001000"},
            ],
        }
    ]
}


class FakeBinance:
    """One symbol whose best bid size changes with every update id."""

    def __init__(self) -> None:
        self.last_id = 1000
        self.quantity = 1
        self.requests: list[dict[str, Any]] = []
        self.connections = 0
        self.depth_requests = 0
        self.silent_connections: set[int] = set()  # connection numbers that send nothing
        self.shutdown_on: set[int] = set()  # connection numbers that send serverShutdown
        self.skip_on: set[int] = set()  # connection numbers that lose one update id
        self.pings_answered = 0
        self.refuse = False  # answer SUBSCRIBE with an error
        self.stale_snapshots = 0  # REST answers that many snapshots from 50 ids ago first
        self.failing_snapshots = 0  # ... and before those, that many HTTP 503s
        self.url = ""

    def book(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        return [("100.00", str(self.quantity)), ("99.00", "1")], [("101.00", "2")]

    def step(self) -> bytes:
        self.last_id += 1
        self.quantity += 1
        return depth_event(SYMBOL, self.last_id, self.last_id, [("100.00", str(self.quantity))])

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        if parts.path == "/api/v3/exchangeInfo":
            return self._json(connection, EXCHANGE_INFO)
        if parts.path == "/api/v3/depth":
            self.depth_requests += 1
            assert parse_qs(parts.query)["symbol"] == [SYMBOL]
            if self.failing_snapshots:
                self.failing_snapshots -= 1
                return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "busy\n")
            bids, asks = self.book()
            last_id = self.last_id
            if self.stale_snapshots:
                self.stale_snapshots -= 1
                last_id -= 50
            return self._json(connection, json.loads(snapshot_body(last_id, bids, asks)))
        return None

    @staticmethod
    def _json(connection: ServerConnection, body: Any) -> Response:
        response = connection.respond(HTTPStatus.OK, json.dumps(body))
        response.headers = Headers({"Content-Type": "application/json"})
        response.headers["Content-Length"] = str(len(response.body))
        return response

    async def handler(self, ws: ServerConnection) -> None:
        self.connections += 1
        number = self.connections
        request = json.loads(await ws.recv())
        self.requests.append(request)
        if self.refuse:
            error = {"code": 2, "msg": "Invalid request: stream name"}
            await ws.send(json.dumps({"error": error, "id": request["id"]}))
            await ws.wait_closed()
            return
        await ws.send(json.dumps({"result": None, "id": request["id"]}))
        if number in self.silent_connections:
            await ws.wait_closed()  # accept, then say nothing (a retired futures path)
            return
        pong = await ws.ping()
        await pong
        self.pings_answered += 1
        with contextlib.suppress(ConnectionClosed):
            await self._stream(ws, number)

    async def _stream(self, ws: ServerConnection, number: int) -> None:
        sent = 0
        while number == self.connections:  # one market: only the newest connection streams it
            frame = self.step()
            if number in self.skip_on and sent == 20:
                frame = self.step()  # the previous id is never sent
            await ws.send(frame)
            if sent % 10 == 0:
                await ws.send(trade(SYMBOL, 5000 + sent, "100.50", "0.25", sent % 20 == 0))
            sent += 1
            if number in self.shutdown_on and sent == 15:
                await ws.send(json.dumps({"e": "serverShutdown", "E": 1700000000000}))
            await asyncio.sleep(0.005)


@asynccontextmanager
async def fake_binance() -> AsyncIterator[FakeBinance]:
    exchange = FakeBinance()
    async with serve(
        exchange.handler, "127.0.0.1", 0, process_request=exchange.process_request
    ) as server:
        port = server.sockets[0].getsockname()[1]
        exchange.url = f"ws://127.0.0.1:{port}/stream"
        yield exchange


def feed(exchange: FakeBinance, **kw: Any) -> tc.BinanceFeed:
    options: dict[str, Any] = {
        "url": exchange.url,
        "silence_timeout": 2.0,
        "backoff": Backoff(initial=0.01, maximum=0.05),
        "refetch_delay": 0.01,
    }
    options.update(kw)
    return tc.BinanceFeed([SYMBOL], "spot", **options)


def run(coro: Any, timeout: float = 20.0) -> Any:
    async def limited() -> Any:
        async with asyncio.timeout(timeout):
            return await coro

    return asyncio.run(limited())


async def collect(f: tc.BinanceFeed, books: int, trades: int = 0) -> list[Any]:
    got: list[Any] = []
    n_books = n_trades = 0
    async for event in f:
        got.append(event)
        if isinstance(event, tc.BookEvent) and not event.stale:
            n_books += 1
        elif isinstance(event, tc.TradeEvent):
            n_trades += 1
        if n_books >= books and n_trades >= trades:
            return got
    return got


def test_feed_subscribes_syncs_and_streams_books_and_trades():
    async def main() -> None:
        async with fake_binance() as exchange, feed(exchange) as f:
            events = await collect(f, books=20, trades=2)
            assert exchange.requests[0] == {
                "method": "SUBSCRIBE",
                "params": ["btcusdt@depth@100ms", "btcusdt@trade"],
                "id": 1,
            }
            assert exchange.pings_answered == 1  # the client answered the server's ping
            assert f.stats.pings == 1
            books = [e for e in events if isinstance(e, tc.BookEvent)]
            assert all(not e.stale for e in books)
            last = books[-1]
            # The book matches the exchange at the event's id: quantity = id - 1000 + 1.
            assert last.book.best_bid_size == last.seq_id - 1000 + 1
            assert last.book.best_ask == 101.0 and last.exch_ts == 1_700_000_000_000_000_000
            trades = [e for e in events if isinstance(e, tc.TradeEvent)]
            assert {t.side for t in trades} == {"buy", "sell"}
            assert all(isinstance(t.trade_id, str) and t.size == 0.25 for t in trades)
            assert f.stats.rest_snapshots == 1 and f.stats.gaps == 0
            assert f.stats.acks == 1

    run(main())


def test_unknown_symbol_is_a_clear_error_at_start():
    async def main() -> None:
        async with fake_binance() as exchange:
            with pytest.raises(tc.UnknownSymbolError, match="'NOPEUSDT'"):
                async with tc.BinanceFeed(["NOPEUSDT"], url=exchange.url):
                    pass
            assert exchange.connections == 0

    run(main())


def test_bundled_instruments_when_exchange_info_is_unreachable():
    async def main() -> None:
        def refuse(url: str, timeout: float) -> bytes:
            raise OSError("unreachable")

        async with fake_binance() as exchange:
            with pytest.raises(tc.UnknownSymbolError, match="bundled"):
                async with tc.BinanceFeed(["NOPEUSDT"], url=exchange.url, http_get=refuse):
                    pass
            f = feed(exchange, http_get=refuse, depth=False)
            async with f:
                assert f.links[0].protocol.depths == {}
                await collect(f, books=0, trades=1)

    run(main())


def test_a_gap_marks_the_book_stale_and_it_is_rebuilt():
    async def main() -> None:
        async with fake_binance() as exchange:
            exchange.skip_on = {1}
            async with feed(exchange) as f:
                events = await collect(f, books=40)
                stale = [e for e in events if isinstance(e, tc.BookEvent) and e.stale]
                assert len(stale) == 1 and f.stats.gaps == 1 and f.stats.resyncs == 1
                after = events[events.index(stale[0]) + 1 :]
                books = [e for e in after if isinstance(e, tc.BookEvent)]
                assert books and all(
                    e.book.best_bid_size == e.seq_id - 1000 + 1 for e in books[-1:]
                )
                assert exchange.depth_requests == 2

    run(main())


def test_silence_watchdog_drops_a_silent_connection_and_reconnects():
    async def main() -> None:
        async with fake_binance() as exchange:
            exchange.silent_connections = {1}
            async with feed(exchange, silence_timeout=0.3) as f:
                await collect(f, books=5)
                assert f.stats.timeouts == 1 and f.stats.reconnects == 1
                assert exchange.connections == 2

    run(main())


def test_server_shutdown_reconnects_at_once():
    async def main() -> None:
        async with fake_binance() as exchange:
            exchange.shutdown_on = {1}
            # A backoff of 60 s would time the test out: the early reconnect must not wait.
            slow = Backoff(initial=60.0, maximum=60.0, jitter=0.0)
            async with feed(exchange, backoff=slow) as f:
                events = await collect(f, books=30)
                assert f.stats.shutdowns == 1 and f.stats.reconnects == 1
                assert exchange.connections == 2
                stale = [e for e in events if isinstance(e, tc.BookEvent) and e.stale]
                # the book said it was out of sync while reconnecting
                assert len(stale) == 1, (stale, f.stats)
                assert f.synced(SYMBOL)

    run(main())


def test_connections_are_rotated_before_they_get_old():
    async def main() -> None:
        async with fake_binance() as exchange:
            slow = Backoff(initial=60.0, maximum=60.0, jitter=0.0)
            async with feed(exchange, backoff=slow, max_connection_age=0.4) as f:
                await asyncio.sleep(1.0)
                assert f.stats.rotations >= 1 and f.stats.reconnects >= 1
                await f.wait_synced(5.0)

    run(main())


def test_unsubscribe_sends_unsubscribe_with_a_new_id():
    async def main() -> None:
        async with fake_binance() as exchange, feed(exchange) as f:
            await f.wait_synced(5.0)
            f.unsubscribe(SYMBOL)
            assert SYMBOL not in f.books

    run(main())


class FakeFutures(FakeBinance):
    """USDⓈ-M since the 2026 split: depth on ``/public``, trades on ``/market``; update ids are
    shared by every symbol, so one symbol's ids jump and only ``pu`` chains its events."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []
        self.newest: dict[str, int] = {}

    def step(self) -> bytes:
        previous = self.last_id
        first = previous + 3  # other symbols' updates took the ids in between
        self.last_id = first + 1
        self.quantity += 1
        return depth_event(
            SYMBOL, first, self.last_id, [("100.00", str(self.quantity))], prev_id=previous
        )

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        if parts.path == "/fapi/v1/exchangeInfo":
            return self._json(connection, EXCHANGE_INFO)
        if parts.path == "/fapi/v1/depth":
            self.depth_requests += 1
            bids, asks = self.book()
            return self._json(connection, json.loads(snapshot_body(self.last_id, bids, asks)))
        return None

    async def handler(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        path = urlsplit(ws.request.path).path
        self.paths.append(path)
        number = self.newest[path] = self.newest.get(path, 0) + 1
        request = json.loads(await ws.recv())
        self.requests.append(request)
        await ws.send(json.dumps({"result": None, "id": request["id"]}))
        with contextlib.suppress(ConnectionClosed):
            sent = 0
            while number == self.newest[path]:
                if path == "/public/stream":
                    await ws.send(self.step())
                elif path == "/market/stream" and sent % 5 == 0:
                    await ws.send(agg_trade(SYMBOL, 900 + sent, "100.50", "0.25", sent % 10 == 0))
                sent += 1
                await asyncio.sleep(0.005)


def test_usdm_reads_depth_on_public_and_trades_on_market():
    async def main() -> None:
        exchange = FakeFutures()
        async with serve(
            exchange.handler, "127.0.0.1", 0, process_request=exchange.process_request
        ) as server:
            base = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}"
            f = tc.BinanceFeed(
                [SYMBOL],
                "usdm",
                url=f"{base}/public/stream",
                trades_url=f"{base}/market/stream",
                backoff=Backoff(initial=0.01, maximum=0.05),
            )
            async with f:
                events = await collect(f, books=20, trades=3)
            assert sorted(exchange.paths) == ["/market/stream", "/public/stream"]
            params = sorted(r["params"] for r in exchange.requests)
            assert params == [["btcusdt@aggTrade"], ["btcusdt@depth@100ms"]]
            books = [e for e in events if isinstance(e, tc.BookEvent)]
            assert books and not any(e.stale for e in books)
            assert books[-1].book.best_bid_size == (books[-1].seq_id - 1000) // 4 + 1
            trades = [e for e in events if isinstance(e, tc.TradeEvent)]
            assert {t.side for t in trades} == {"buy", "sell"} and trades[0].trade_id == "900"
            assert f.stats.gaps == 0 and f.stats.rest_snapshots == 1
            assert exchange.depth_requests == 1

    run(main())


def test_a_failed_and_a_stale_snapshot_are_fetched_again():
    async def main() -> None:
        async with fake_binance() as exchange:
            exchange.failing_snapshots = 1
            exchange.stale_snapshots = 2
            f = feed(exchange, backoff=Backoff(initial=0.01, maximum=0.05))
            async with f:
                events = await collect(f, books=5)
            assert f.stats.errors == 1 and f.stats.refetches == 2
            assert exchange.depth_requests == 4
            books = [e for e in events if isinstance(e, tc.BookEvent)]
            assert not any(e.stale for e in books)
            assert books[-1].book.best_bid_size == books[-1].seq_id - 1000 + 1

    run(main())


def test_bad_arguments_are_refused_before_anything_starts():
    with pytest.raises(tc.InvalidInputError, match="at least one symbol"):
        tc.BinanceFeed([])
    with pytest.raises(tc.InvalidInputError, match="nothing to subscribe"):
        tc.BinanceFeed("BTCUSDT", depth=False, trades=False)
    with pytest.raises(tc.InvalidInputError, match="'spot' or 'usdm'"):
        tc.BinanceFeed("BTCUSDT", "coinm")
    with pytest.raises(tc.InvalidInputError, match="500ms"):
        tc.BinanceFeed("BTCUSDT", "spot", speed="500ms")
    with pytest.raises(tc.InvalidInputError, match=r"1\.\.1000"):
        tc.BinanceFeed("BTCUSDT", "usdm", depth_limit=5000)
    with pytest.raises(tc.InvalidInputError, match="silence_timeout"):
        tc.BinanceFeed("BTCUSDT", silence_timeout=0)


def test_a_refused_subscription_stops_the_feed_with_a_clear_error():
    async def main() -> None:
        async with fake_binance() as exchange:
            exchange.refuse = True
            async with feed(exchange) as f:
                with pytest.raises(tc.SubscriptionError, match="Binance error 2") as info:
                    async for _ in f:
                        pass
                assert info.value.arg["params"] == "btcusdt@depth@100ms,btcusdt@trade"
            assert exchange.connections == 1  # fatal: no reconnect

    run(main())
