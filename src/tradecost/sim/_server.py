"""The server shell both simulated venues run in: sockets, tasks and timers, no venue rules.

:class:`SimServer` listens on 127.0.0.1 (WebSocket and REST on one port), pulls frames from a
source with their timing, keeps the open sessions with one send queue and one writer task each,
runs the venue's timers and applies the faults every venue has (frame faults, garbage, an aborted
TCP connection, a silent spell). A venue subclasses it and supplies the hooks: which WebSocket
paths it accepts, what a REST path answers, what a client message and a source frame produce,
and what its timers do. The venue's rules live in its sans-I/O protocol
(:mod:`tradecost.sim.okx_protocol`, :mod:`tradecost.sim.binance_protocol`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from tradecost.errors import InvalidInputError
from tradecost.sim._faults import FrameFaults

__all__ = ["SimServer", "SimSession", "dumps", "now_ms", "timed_frames"]


def dumps(obj: Any) -> str:
    """Compact JSON, as the venues send it."""
    return json.dumps(obj, separators=(",", ":"))


def now_ms() -> int:
    """Wall-clock milliseconds since the epoch."""
    return time.time_ns() // 1_000_000


def timed_frames(source: Any, limit: int | None) -> Iterator[tuple[int | None, str | bytes]]:
    """Normalise a source into ``(receive_ts_ns or None, raw frame)`` pairs.

    ``None`` (nothing), a simulated market (``events()``: frames with their time; or
    ``messages()``), an iterable of raw frames (``str``/``bytes``) or of ``(ts_ns, frame)`` pairs
    (a recording). ``limit`` stops after that many frames.
    """
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


@dataclass(eq=False)
class SimSession:
    """One open WebSocket: its send queue, faults and timestamps (monotonic seconds)."""

    ws: ServerConnection
    faults: FrameFaults = field(default_factory=FrameFaults)
    #: nothing is sent before this time (the ``stall`` / ``silent`` fault)
    quiet_until: float = 0.0
    opened: float = field(default_factory=time.monotonic)
    last_recv: float = field(default_factory=time.monotonic)
    last_sent: float = field(default_factory=time.monotonic)
    #: frames waiting for this client; one writer task per session drains it
    outbox: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    closed: bool = False


class SimServer:
    """A local venue server: ``async with`` starts and stops it. Subclasses supply the venue.

    Hooks: :meth:`_open` (a session for a new socket), :meth:`_on_message` (a client text),
    :meth:`_publish` (a source frame; returns whether it was one the venue reads),
    :meth:`_ws_route` and :meth:`_rest` (the HTTP paths), :meth:`_on_timer` (every
    ``_timer_tick()`` seconds), :meth:`_muted`, :meth:`_fault_sessions`,
    :meth:`_inject_other` and :meth:`_prime` (before listening).
    """

    #: the frame faults, the faults acting at once, and every fault kind the venue knows
    FRAME_FAULTS: ClassVar[frozenset[str]] = frozenset()
    IMMEDIATE_FAULTS: ClassVar[frozenset[str]] = frozenset()
    FAULTS: ClassVar[frozenset[str]] = frozenset()
    #: the fault that makes a session send nothing for ``duration`` seconds
    QUIET_FAULT: ClassVar[str] = "silent"
    GARBAGE_FRAMES: ClassVar[tuple[str, ...]] = ()
    #: the path assumed when a connection carries no request (never in practice)
    DEFAULT_PATH: ClassVar[str] = "/"
    TASK_PREFIX: ClassVar[str] = "sim"
    #: a number: ``publish`` waits for a session's queue to go out once it holds more frames
    #: than that (a client that stops reading holds up the source, as a TCP peer would);
    #: None: the source never waits for a socket (each queue grows instead)
    SEND_BOUND: ClassVar[int | None] = None

    def __init__(
        self,
        source: Any,
        *,
        host: str,
        port: int,
        speed: float | None,
        limit: int | None,
        autostart: bool,
        restamp: bool,
        rate: float | None = None,
    ) -> None:
        if speed is not None and not speed > 0:
            raise InvalidInputError(f"speed must be positive (or None for no pacing), not {speed}")
        if rate is not None and not rate > 0:
            raise InvalidInputError(f"rate must be positive frames/s (or None), not {rate}")
        self.source = source
        self.host = host
        self.port = port
        self.speed = speed
        self.rate = rate
        self.limit = limit
        self.autostart = autostart
        self.restamp = restamp
        self.injected: Counter[str] = Counter()
        self.frames_published = 0
        self.frames_sent = 0
        self._sessions: set[Any] = set()
        self._server: Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._start = asyncio.Event()
        self._running = asyncio.Event()
        self._running.set()
        self._done = asyncio.Event()
        self._frames = timed_frames(source, limit)
        self._pending: tuple[int | None, str | bytes] | None = None

    # ----------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> Any:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Listen on ``host:port`` (port 0 = an ephemeral port) and start the source pump and
        the timers."""
        self._prime()
        self._server = await serve(
            self._handle,
            self.host,
            self.port,
            process_request=self._process_request,
            ping_interval=None,
            compression=None,
            max_queue=None,
        )
        self.port = int(next(iter(self._server.sockets)).getsockname()[1])
        self._tasks = [
            asyncio.create_task(self._pump(), name=f"{self.TASK_PREFIX}-pump"),
            asyncio.create_task(self._timers(), name=f"{self.TASK_PREFIX}-timers"),
        ]

    async def stop(self) -> None:
        """Close every socket (code 1001) and the listener."""
        for task in self._tasks:
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._server is not None:
            self._server.close(close_connections=True)
            await self._server.wait_closed()
            self._server = None

    @property
    def rest_url(self) -> str:
        """``http://127.0.0.1:<port>``: base of the REST paths."""
        return f"http://{self.host}:{self.port}"

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

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.append(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        with contextlib.suppress(ValueError):
            self._tasks.remove(task)

    # ----------------------------------------------------------------- source

    def _prime(self) -> None:
        """Before listening: apply what must be there before anyone connects (nothing here)."""

    async def _pump(self) -> None:
        await self._start.wait()
        loop = asyncio.get_running_loop()
        started = loop.time()
        first_ts: int | None = None
        pending = [self._pending] if self._pending is not None else []
        for n, (ts, frame) in enumerate(itertools.chain(pending, self._frames)):
            if not self._running.is_set():
                await self._running.wait()
            if self.speed is not None and ts is not None:
                if first_ts is None:
                    first_ts = ts
                delay = started + (ts - first_ts) / 1e9 / self.speed - loop.time()
            elif self.rate is not None:
                delay = started + n / self.rate - loop.time()
            else:
                delay = 0.0
            if delay > 0:
                await asyncio.sleep(delay)
            await self.publish(frame)
            if n % 64 == 63:
                await asyncio.sleep(0)
        self._done.set()

    async def publish(self, frame: str | bytes) -> None:
        """Feed one raw frame of the source through the venue and send what it produces."""
        if self._publish(frame):
            self.frames_published += 1
        if self.SEND_BOUND is not None:
            for session in list(self._sessions):
                if session.outbox.qsize() > self.SEND_BOUND:
                    await session.outbox.join()

    def _publish(self, frame: str | bytes) -> bool:
        raise NotImplementedError

    # ----------------------------------------------------------------- sending

    def _muted(self, session: Any) -> bool:
        """True when nothing at all may be queued for ``session``."""
        return False

    def _send(self, session: Any, text: str, *, force: bool = False) -> None:
        """Queue ``text`` for ``session``; dropped while it is quiet, unless ``force``."""
        if self._muted(session):
            return
        if not force and session.quiet_until:
            if time.monotonic() < session.quiet_until:
                return
            session.quiet_until = 0.0
        session.outbox.put_nowait(text)

    def _send_faulted(
        self,
        session: Any,
        key: Hashable,
        target: str,
        text: str,
        corrupt: Callable[[], str],
        *,
        faultable: bool = True,
    ) -> None:
        """Send one book update through the session's pending frame faults."""
        texts, kind = session.faults.apply(key, target, text, corrupt, faultable=faultable)
        if kind is not None:
            self.injected[kind] += 1
        for out in texts:
            self._send(session, out)

    async def _writer(self, session: SimSession) -> None:
        while True:
            text = await session.outbox.get()
            try:
                if not session.closed:
                    await session.ws.send(text)
                    session.last_sent = time.monotonic()
                    self.frames_sent += 1
            except ConnectionClosed:
                session.closed = True
            finally:
                session.outbox.task_done()

    # ----------------------------------------------------------------- faults

    def _check_fault(self, kind: str, count: int) -> None:
        if kind not in self.FAULTS:
            raise InvalidInputError(f"unknown fault {kind!r}; choose from {sorted(self.FAULTS)}")
        if count < 1:
            raise InvalidInputError(f"count must be >= 1, not {count}")

    def _fault_sessions(self) -> list[Any]:
        """The sessions a fault acts on."""
        return list(self._sessions)

    def _inject_sessions(self, kind: str, target: str | None, count: int, duration: float) -> None:
        """Apply a per-session fault to every session it acts on."""
        for session in self._fault_sessions():
            if kind in self.FRAME_FAULTS:
                session.faults.add(kind, target, count)
            elif kind == "garbage":
                for _ in range(count):
                    frame = self.GARBAGE_FRAMES[self.injected["garbage"] % len(self.GARBAGE_FRAMES)]
                    self._send(session, frame, force=True)
                    self.injected["garbage"] += 1
            elif kind == "disconnect":
                transport = session.ws.transport
                if transport is not None and not transport.is_closing():
                    transport.abort()
                    self.injected["disconnect"] += 1
            elif kind == self.QUIET_FAULT:
                session.quiet_until = time.monotonic() + duration
                self.injected[kind] += 1
            else:
                self._inject_other(session, kind)

    def _inject_other(self, session: Any, kind: str) -> None:
        """A venue's own immediate fault on one session."""
        raise NotImplementedError(kind)

    # ----------------------------------------------------------------- timers

    def _timer_tick(self) -> float:
        return 1.0

    async def _timers(self) -> None:
        tick = self._timer_tick()
        while True:
            await asyncio.sleep(tick)
            await self._on_timer(time.monotonic())

    async def _on_timer(self, now: float) -> None:
        """Called every ``_timer_tick()`` seconds with the monotonic time."""

    # ----------------------------------------------------------------- connections

    def _open(self, ws: ServerConnection, path: str) -> Any:
        """A new session (a :class:`SimSession`) for a socket opened on ``path``."""
        raise NotImplementedError

    def _on_open(self, session: Any) -> None:
        """What happens once the session is registered and its writer runs."""

    def _on_message(self, session: Any, text: str) -> None:
        raise NotImplementedError

    async def _handle(self, ws: ServerConnection) -> None:
        session = self._open(ws, ws.request.path if ws.request is not None else self.DEFAULT_PATH)
        self._sessions.add(session)
        writer = asyncio.create_task(self._writer(session), name=f"{self.TASK_PREFIX}-writer")
        try:
            self._on_open(session)
            async for message in ws:
                session.last_recv = time.monotonic()
                text = message.decode(errors="replace") if isinstance(message, bytes) else message
                self._on_message(session, text)
        except ConnectionClosed:
            pass
        finally:
            self._sessions.discard(session)
            self._close_session(session)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            while not session.outbox.empty():  # nobody waits on a closed session's queue
                session.outbox.get_nowait()
                session.outbox.task_done()

    def _close_session(self, session: Any) -> None:
        """The venue forgets a closed session."""

    # ----------------------------------------------------------------- HTTP

    def _ws_route(self, request: Request, path: str) -> bool | None:
        """True: a WebSocket path to accept; False: refuse it (404); None: a REST request."""
        raise NotImplementedError

    def _rest(self, path: str, query: Mapping[str, str]) -> tuple[HTTPStatus, Any] | None:
        """``(status, JSON body)`` for a REST path, None when the path is unknown (404)."""
        raise NotImplementedError

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        url = urlsplit(request.path)
        accept = self._ws_route(request, url.path)
        if accept is not None:
            return None if accept else connection.respond(HTTPStatus.NOT_FOUND, "Not Found\n")
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        answer = self._rest(url.path, query)
        if answer is None:
            return connection.respond(HTTPStatus.NOT_FOUND, "Not Found\n")
        status, body = answer
        response = connection.respond(status, dumps(body))
        headers = Headers(response.headers)
        del headers["Content-Type"]
        headers["Content-Type"] = "application/json"
        return Response(response.status_code, response.reason_phrase, headers, response.body)
