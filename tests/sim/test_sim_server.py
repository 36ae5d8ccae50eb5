"""The shared server shell on 127.0.0.1, with the smallest venue there is: one that echoes.

What a venue gets from ``SimServer`` without writing it: the WebSocket/REST dispatch on one port,
the source pump (pause, resume, done), one send queue per session, and the common faults.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, ClassVar

import pytest
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosedError, InvalidStatus
from websockets.http11 import Request

from tradecost.errors import InvalidInputError
from tradecost.sim._server import SimServer, SimSession


class EchoVenue(SimServer):
    """``/ws`` answers each text upper-cased and pushes every source frame to everyone;
    ``GET /echo`` answers its query as JSON."""

    FRAME_FAULTS: ClassVar[frozenset[str]] = frozenset({"drop", "duplicate", "reorder", "corrupt"})
    FAULTS: ClassVar[frozenset[str]] = FRAME_FAULTS | {"garbage", "disconnect", "silent"}
    GARBAGE_FRAMES: ClassVar[tuple[str, ...]] = ("not json", "[")

    def __init__(self, source: Any = None, **kw: Any) -> None:
        options = {"speed": None, "limit": None, "autostart": True, "restamp": True, **kw}
        super().__init__(source, host="127.0.0.1", port=0, **options)

    def _open(self, ws: ServerConnection, path: str) -> SimSession:
        return SimSession(ws)

    def _on_open(self, session: Any) -> None:
        if self.autostart:
            self._start.set()

    def _on_message(self, session: Any, text: str) -> None:
        self._send(session, text.upper())

    def _publish(self, frame: str | bytes) -> bool:
        text = frame.decode() if isinstance(frame, bytes) else frame
        for session in list(self._sessions):
            self._send_faulted(session, "k", "k", text, lambda: f"corrupt:{text}")
        return text != "skip"

    def _ws_route(self, request: Request, path: str) -> bool | None:
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return None
        return path == "/ws"

    def _rest(self, path: str, query: Mapping[str, str]) -> tuple[HTTPStatus, Any] | None:
        return (HTTPStatus.OK, dict(query)) if path == "/echo" else None


def run(coro: Any) -> Any:
    async def limited() -> Any:
        async with asyncio.timeout(20):
            return await coro

    return asyncio.run(limited())


def http_get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def test_rest_and_websocket_on_one_port() -> None:
    async def body() -> None:
        async with EchoVenue() as server:
            base = f"http://127.0.0.1:{server.port}"
            assert server.rest_url == base
            status, kind, text = await asyncio.to_thread(http_get, f"{base}/echo?a=1&b=x")
            assert (status, kind, json.loads(text)) == (
                200,
                "application/json",
                {"a": "1", "b": "x"},
            )
            status, _, _ = await asyncio.to_thread(http_get, f"{base}/nope")
            assert status == 404
            with pytest.raises(InvalidStatus) as refused:
                await connect(f"ws://127.0.0.1:{server.port}/other")
            assert refused.value.response.status_code == 404
            async with connect(f"ws://127.0.0.1:{server.port}/ws") as ws:
                await ws.send("hello")
                assert await ws.recv() == "HELLO"
                assert server.connections == 1
            while server.connections:
                await asyncio.sleep(0.005)

    run(body())


def test_the_pump_pauses_resumes_and_finishes() -> None:
    async def body() -> None:
        frames = ["a", "skip", "b", "c"]
        async with (
            EchoVenue(frames, autostart=False) as server,
            connect(f"ws://127.0.0.1:{server.port}/ws") as ws,
        ):
            await ws.send("sync")
            assert await ws.recv() == "SYNC"
            assert server.frames_published == 0  # nothing before start_source
            server.start_source()
            await server.wait_source_done()
            assert server.source_done
            assert [await ws.recv() for _ in frames] == frames  # in order, on one queue
            assert server.frames_published == 3  # "skip" is not a frame the venue reads
            while server.frames_sent < 1 + len(frames):  # counted once each is written
                await asyncio.sleep(0.005)

    run(body())


def test_pause_holds_the_source() -> None:
    async def body() -> None:
        async with (
            EchoVenue(["a", "b"], autostart=False) as server,
            connect(f"ws://127.0.0.1:{server.port}/ws") as ws,
        ):
            server.pause()
            server.start_source()
            await ws.send("sync")
            assert await ws.recv() == "SYNC"  # the pump ran up to its pause check
            assert not server.source_done and server.frames_published == 0
            server.resume()
            await server.wait_source_done()
            assert [await ws.recv(), await ws.recv()] == ["a", "b"]

    run(body())


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("drop", ["y", "z"]),
        ("duplicate", ["x", "x", "y", "z"]),
        ("reorder", ["y", "x", "z"]),
        ("corrupt", ["corrupt:x", "y", "z"]),
    ],
)
def test_frame_faults_through_the_shell(kind: str, expected: list[str]) -> None:
    async def body() -> None:
        async with EchoVenue() as server, connect(f"ws://127.0.0.1:{server.port}/ws") as ws:
            await ws.send("sync")
            assert await ws.recv() == "SYNC"
            server._inject_sessions(kind, None, 1, 0.0)
            for frame in ("x", "y", "z"):
                await server.publish(frame)
            assert [await ws.recv() for _ in expected] == expected
            assert server.injected == {kind: 1}

    run(body())


def test_garbage_silence_and_disconnect() -> None:
    async def body() -> None:
        async with EchoVenue() as server, connect(f"ws://127.0.0.1:{server.port}/ws") as ws:
            await ws.send("sync")
            assert await ws.recv() == "SYNC"
            server._inject_sessions("garbage", None, 3, 0.0)
            assert [await ws.recv() for _ in range(3)] == ["not json", "[", "not json"]
            server._inject_sessions("silent", None, 1, 60.0)
            await server.publish("lost")
            for session in server._sessions:  # end the silence early
                session.quiet_until = 0.0
            await server.publish("kept")
            assert await ws.recv() == "kept"
            server._inject_sessions("disconnect", None, 1, 0.0)
            with pytest.raises(ConnectionClosedError) as closed:
                await ws.recv()
            assert closed.value.rcvd is None  # no close frame: the TCP connection was cut
            assert server.injected == {"garbage": 3, "silent": 1, "disconnect": 1}

    run(body())


def test_bad_pacing_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="speed"):
        EchoVenue(speed=0)
    with pytest.raises(InvalidInputError, match="rate"):
        EchoVenue(rate=-1.0)
