"""The WebSocket client under OKXFeed, against websockets' own server on 127.0.0.1.

The server side is websockets' asyncio server: an independent RFC 6455 implementation, so the
handshake, fragmentation, control frames and the closing handshake are checked against a peer
that is not this code.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import InvalidStatus

from tests.feed.conftest import fast_feed, run, wait_until
from tests.feed.framegen import book_frames
from tradecost.errors import InvalidInputError
from tradecost.feeds.okx import OKXFeed
from tradecost.feeds.okx.client import is_retryable
from tradecost.feeds.okx.protocol import BookEvent, TradeEvent
from tradecost.feeds.ws import WebSocketClient, connect_websocket
from tradecost.loop import event_loop_factory, loop_name
from tradecost.sim import SimulatedExchange


@asynccontextmanager
async def server(handler: Any, **kw: Any) -> AsyncIterator[str]:
    async with serve(handler, "127.0.0.1", 0, compression=None, **kw) as srv:
        port = next(iter(srv.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}/ws"


class Inbox:
    """Collects what ``on_message`` receives."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.stamps: list[int] = []

    def __call__(self, payload: bytes, received_ns: int) -> None:
        self.messages.append(payload)
        self.stamps.append(received_ns)


def test_messages_text_binary_and_fragmented_arrive_whole_and_in_order() -> None:
    parts = ['{"a":', "1,", '"b":2}']

    async def handler(ws: ServerConnection) -> None:
        await ws.send("first")
        await ws.send(b"\x00binary")
        await ws.send(iter(parts))  # one message in three frames
        await ws.send("é" * 3)
        await ws.wait_closed()

    async def body() -> None:
        inbox = Inbox()
        async with server(handler) as url:
            client = await connect_websocket(url, inbox)
            await wait_until(lambda: len(inbox.messages) == 4)
            client.close()
            await client.closed
        assert inbox.messages == [b"first", b"\x00binary", "".join(parts).encode(), "ééé".encode()]
        assert client.close_exc.rcvd is not None
        assert client.close_exc.rcvd.code == 1000

    run(body())


def test_receive_time_is_read_once_per_socket_read_before_parsing() -> None:
    ticks = itertools.count(1_000)

    async def handler(ws: ServerConnection) -> None:
        for i in range(3):
            await ws.send(f"m{i}")
            await asyncio.sleep(0.05)  # separate reads
        await ws.wait_closed()

    async def body() -> None:
        inbox = Inbox()
        async with server(handler) as url:
            client = await connect_websocket(url, inbox, clock=lambda: next(ticks))
            await wait_until(lambda: len(inbox.messages) == 3)
            client.abort()
        # one clock read per data_received: the handshake reply, then one per message
        assert inbox.stamps == sorted(set(inbox.stamps))
        assert inbox.stamps[-1] - inbox.stamps[0] == 2

    run(body())


def test_server_pings_are_answered_and_its_close_code_is_kept() -> None:
    answered: list[float] = []

    async def handler(ws: ServerConnection) -> None:
        pong = await ws.ping()
        answered.append(await asyncio.wait_for(pong, timeout=2))
        await ws.close(4004, "idle")

    async def body() -> None:
        async with server(handler) as url:
            client = await connect_websocket(url, Inbox())
            await asyncio.wait_for(client.closed, timeout=5)
        assert len(answered) == 1
        assert client.close_exc.rcvd is not None
        assert (client.close_exc.rcvd.code, client.close_exc.rcvd.reason) == (4004, "idle")
        assert not client.open

    run(body())


@pytest.mark.parametrize(("status", "retryable"), [(403, False), (429, True), (503, True)])
def test_refused_upgrade_raises_with_the_status(status: int, retryable: bool) -> None:
    def refuse(connection: Any, request: Any) -> Any:
        return connection.respond(HTTPStatus(status), "no\n")

    async def body() -> None:
        async with server(lambda ws: ws.wait_closed(), process_request=refuse) as url:
            with pytest.raises(InvalidStatus) as caught:
                await connect_websocket(url, Inbox())
        assert caught.value.response.status_code == status
        assert is_retryable(caught.value) is retryable

    run(body())


def test_silent_server_times_out_and_bad_urls_are_input_errors() -> None:
    async def body() -> None:
        listener = socket.create_server(("127.0.0.1", 0))  # accepts TCP, never answers HTTP
        port = listener.getsockname()[1]
        try:
            with pytest.raises(TimeoutError):
                await connect_websocket(f"ws://127.0.0.1:{port}/", Inbox(), open_timeout=0.2)
        finally:
            listener.close()
        with pytest.raises(InvalidInputError, match="not a WebSocket URL"):
            await connect_websocket("http://127.0.0.1:1/", Inbox())

    run(body())


def test_a_message_over_max_size_closes_with_1009() -> None:
    async def handler(ws: ServerConnection) -> None:
        await ws.send("x" * 2_000)
        await ws.wait_closed()

    async def body() -> None:
        inbox = Inbox()
        async with server(handler) as url:
            client = await connect_websocket(url, inbox, max_size=1_000)
            await asyncio.wait_for(client.closed, timeout=5)
        assert inbox.messages == []
        assert client.close_exc.sent is not None
        assert client.close_exc.sent.code == 1009

    run(body())


def test_an_exception_in_on_message_is_kept_and_drops_the_connection() -> None:
    async def handler(ws: ServerConnection) -> None:
        await asyncio.sleep(0.05)  # after the handshake (a failure during it is raised there)
        await ws.send("one")
        await ws.send("two")
        await ws.wait_closed()

    seen: list[bytes] = []

    def explode(payload: bytes, received_ns: int) -> None:
        seen.append(payload)
        raise RuntimeError("consumer bug")

    async def body() -> WebSocketClient:
        async with server(handler) as url:
            client = await connect_websocket(url, explode)
            await asyncio.wait_for(client.closed, timeout=5)
            return client

    client = run(body())
    assert isinstance(client.failure, RuntimeError)
    assert seen == [b"one"]  # nothing is delivered after the failure


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subject = ["-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"]
    files = ["-keyout", str(key), "-out", str(cert)]
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            *subject,
            *files,
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_wss_verifies_the_server_certificate(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    trusting = ssl.create_default_context(cafile=str(cert))

    async def handler(ws: ServerConnection) -> None:
        await ws.send("over tls")
        await ws.wait_closed()

    async def body() -> None:
        async with server(handler, ssl=server_context) as url:
            secure = url.replace("ws://", "wss://")
            inbox = Inbox()
            client = await connect_websocket(secure, inbox, ssl=trusting)
            await wait_until(lambda: inbox.messages == [b"over tls"])
            client.close()
            await asyncio.wait_for(client.closed, timeout=5)
            with pytest.raises(ssl.SSLCertVerificationError):  # the system store does not know it
                await connect_websocket(secure, Inbox())

    run(body())


# ------------------------------------------------------------------------------------ OKXFeed


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_on_event_gets_every_update_in_order_on_either_loop(loop: str) -> None:
    frames = list(book_frames("BTC-USDT", n=400, seed=3))

    async def body() -> tuple[list[Any], str]:
        events: list[Any] = []
        async with SimulatedExchange(frames, rate=20_000) as exchange:
            exchange.pause()
            async with fast_feed(exchange, on_event=events.append) as feed:
                await wait_until(lambda: exchange.connections == 1)
                exchange.resume()
                await exchange.wait_source_done()
                await wait_until(lambda: len(events) == len(frames))
                await asyncio.sleep(0.05)
                assert feed.stats.conflated == 0
        return events, loop_name(asyncio.get_running_loop())

    with asyncio.Runner(loop_factory=event_loop_factory(loop)) as runner:
        events, ran_on = runner.run(asyncio.wait_for(body(), 20))
    assert ran_on == loop
    assert all(isinstance(e, BookEvent) for e in events)
    seq = [e.seq_id for e in events]
    assert seq == sorted(seq)
    assert len(set(seq)) == len(frames)  # none conflated, none twice


def test_on_event_also_gets_trades_and_its_exception_stops_the_feed() -> None:
    from tradecost.sim import SimulatedMarket

    async def body() -> None:
        events: list[Any] = []

        def on_event(event: Any) -> None:
            events.append(event)
            if sum(isinstance(e, TradeEvent) for e in events) == 5:
                raise RuntimeError("strategy bug")

        market = SimulatedMarket(symbol="BTC-USDT", seed=11)
        async with SimulatedExchange(market, speed=50.0) as exchange:
            feed = fast_feed(exchange, trades=True, on_event=on_event)
            async with feed:
                with pytest.raises(RuntimeError, match="strategy bug"):
                    await asyncio.wait_for(feed.join(), timeout=15)
        assert any(isinstance(e, BookEvent) for e in events)
        assert sum(isinstance(e, TradeEvent) for e in events) == 5

    run(body())


def test_join_before_start_is_a_feed_error() -> None:
    from tradecost.errors import FeedError

    async def body() -> None:
        feed = OKXFeed("BTC-USDT", url="ws://127.0.0.1:1/", instruments={})
        with pytest.raises(FeedError, match="not started"):
            await feed.join()

    run(body())
