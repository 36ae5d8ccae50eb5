"""A WebSocket client that hands every message to a callback from the socket's own callback.

websockets' asyncio client parses frames in ``data_received`` and queues each message for a
coroutine awaiting ``recv()``: every message then waits for the event loop to resume that task.
On a quiet machine that hop and its wake-up cost more than decoding, applying and pricing the update
together. Here websockets' sans-I/O :class:`~websockets.client.ClientProtocol` (RFC 6455 framing,
the opening handshake, ping/pong replies, the closing handshake, size limits) runs inside an
:class:`asyncio.Protocol`; each complete message goes to ``on_message(payload, received_ns)``
straight from ``data_received``, stamped once per read of the socket, before any parsing.

Payloads are passed as ``bytes`` whatever the opcode (OKX sends text frames of ASCII JSON; the
decoder rejects what is not valid JSON, UTF-8 included). Fragmented messages are reassembled.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl as ssl_module
import time
from collections.abc import Callable
from typing import cast

from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed, InvalidState
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.uri import WebSocketURI, parse_uri

from tradecost.errors import InvalidInputError

__all__ = ["WebSocketClient", "connect_websocket"]

USER_AGENT = "tradecost"


class WebSocketClient(asyncio.Protocol):
    """One client connection. Build it with :func:`connect_websocket`.

    ``on_message(payload, received_ns)`` is called synchronously for every complete message;
    ``received_ns`` is ``clock()`` read when the bytes carrying it were handed over by the socket.
    ``on_open()`` is called once the opening handshake succeeded, before any message of the same
    read is delivered. An exception raised by either callback is kept in :attr:`failure` and the
    connection is dropped; :attr:`closed` is then done.
    """

    def __init__(
        self,
        uri: WebSocketURI,
        on_message: Callable[[bytes, int], None],
        *,
        on_open: Callable[[], None] | None = None,
        clock: Callable[[], int] = time.time_ns,
        max_size: int | None = 2**24,
        close_timeout: float = 1.0,
        on_ping: Callable[[], None] | None = None,
    ) -> None:
        self.uri = uri
        self.protocol = ClientProtocol(uri, max_size=max_size)
        self.on_message = on_message
        self.on_open = on_open
        #: called for every ping the server sends (websockets answers it with a pong)
        self.on_ping = on_ping
        self.clock = clock
        self.close_timeout = close_timeout
        loop = asyncio.get_running_loop()
        self._loop = loop
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.failure: BaseException | None = None
        self.transport: asyncio.Transport | None = None
        self._fragments: list[bytes] | None = None
        self._close_timer: asyncio.TimerHandle | None = None

    # ------------------------------------------------------------------ asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        request = self.protocol.connect()
        request.headers["User-Agent"] = USER_AGENT
        self.protocol.send_request(request)
        self._write_pending()

    def data_received(self, data: bytes) -> None:
        received_ns = self.clock()
        protocol = self.protocol
        protocol.receive_data(data)
        for event in protocol.events_received():
            if isinstance(event, Frame):
                opcode = event.opcode
                if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
                    if event.fin:
                        self._deliver(bytes(event.data), received_ns)
                    else:
                        self._fragments = [bytes(event.data)]
                elif opcode is Opcode.PING and self.on_ping is not None:
                    self.on_ping()
                elif opcode is Opcode.CONT and self._fragments is not None:
                    self._fragments.append(bytes(event.data))
                    if event.fin:
                        payload, self._fragments = b"".join(self._fragments), None
                        self._deliver(payload, received_ns)
            elif protocol.handshake_exc is None and not self.opened.done():
                self.opened.set_result(None)
                if self.on_open is not None:
                    try:
                        self.on_open()
                    except Exception as exc:
                        self._fail(exc)
        if protocol.handshake_exc is not None and not self.opened.done():
            self.opened.set_exception(protocol.handshake_exc)
        self._write_pending()
        if protocol.close_expected():
            self._expect_close()

    def eof_received(self) -> bool | None:
        self.protocol.receive_eof()
        self._write_pending()
        return None  # let the transport close

    def connection_lost(self, exc: Exception | None) -> None:
        self.protocol.receive_eof()  # idempotent; moves the state to CLOSED
        if self._close_timer is not None:
            self._close_timer.cancel()
        if not self.opened.done():
            error = self.protocol.handshake_exc or exc
            self.opened.set_exception(
                error or EOFError("the server closed the connection during the opening handshake")
            )
        if not self.closed.done():
            self.closed.set_result(None)

    # ------------------------------------------------------------------ sending and closing

    @property
    def open(self) -> bool:
        return self.protocol.state is State.OPEN

    @property
    def close_exc(self) -> ConnectionClosed:
        """How the connection ended (code and reason of the close frames, if any)."""
        return self.protocol.close_exc

    def send_text(self, text: str | bytes) -> bool:
        """Queue a text message for the socket now. False if the connection is not open."""
        payload = text.encode() if isinstance(text, str) else text
        try:
            self.protocol.send_text(payload)
        except InvalidState:
            return False
        self._write_pending()
        return True

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the closing handshake; the socket is dropped after ``close_timeout`` at most."""
        with contextlib.suppress(InvalidState):
            self.protocol.send_close(code, reason)
            self._write_pending()
        self._expect_close()

    def abort(self) -> None:
        """Drop the TCP connection now."""
        if self.transport is not None:
            self.transport.abort()

    # ------------------------------------------------------------------ internals

    def _deliver(self, payload: bytes, received_ns: int) -> None:
        if self.failure is not None:
            return
        try:
            self.on_message(payload, received_ns)
        except Exception as exc:
            self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        self.failure = exc
        self.abort()

    def _write_pending(self) -> None:
        transport = self.transport
        if transport is None:
            return
        for data in self.protocol.data_to_send():
            if data:
                transport.write(data)
            elif transport.can_write_eof():
                transport.write_eof()
            else:
                transport.close()

    def _expect_close(self) -> None:
        if self._close_timer is None and self.transport is not None:
            self._close_timer = self._loop.call_later(self.close_timeout, self.abort)


async def connect_websocket(
    url: str,
    on_message: Callable[[bytes, int], None],
    *,
    on_open: Callable[[], None] | None = None,
    clock: Callable[[], int] = time.time_ns,
    open_timeout: float = 10.0,
    close_timeout: float = 1.0,
    max_size: int | None = 2**24,
    ssl: ssl_module.SSLContext | None = None,
    on_ping: Callable[[], None] | None = None,
) -> WebSocketClient:
    """Open a WebSocket to ``url`` (``ws://`` or ``wss://``) and complete the opening handshake.

    ``wss://`` uses ``ssl`` or the system's default context. Raises ``TimeoutError`` after
    ``open_timeout`` s, ``OSError`` when the TCP or TLS connection fails, a
    ``websockets.exceptions.InvalidHandshake`` when the server refuses the upgrade (its
    ``response.status_code`` tells why) and ``InvalidInputError`` for a URL that is not a
    WebSocket URL.
    """
    try:
        uri = parse_uri(url)
    except Exception as exc:
        raise InvalidInputError(f"not a WebSocket URL: {url!r} ({exc})") from None
    context = None
    if uri.secure:
        context = ssl if ssl is not None else ssl_module.create_default_context()
    loop = asyncio.get_running_loop()
    client: WebSocketClient | None = None

    def factory() -> WebSocketClient:
        nonlocal client
        client = WebSocketClient(
            uri,
            on_message,
            on_open=on_open,
            clock=clock,
            max_size=max_size,
            close_timeout=close_timeout,
            on_ping=on_ping,
        )
        return client

    try:
        async with asyncio.timeout(open_timeout):
            await loop.create_connection(
                factory,
                uri.host,
                uri.port,
                ssl=context,
                server_hostname=uri.host if context is not None else None,
            )
            assert client is not None
            await client.opened
    except BaseException:
        if client is not None:
            if not client.opened.done():
                client.opened.cancel()
            client.abort()
        raise
    if client.failure is not None:
        raise client.failure
    return client
