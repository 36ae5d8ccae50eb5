"""The simulated OKX v5 venue without I/O: books, seqId chains, message shapes, requests.

The server shell (:mod:`tradecost.sim.exchange`) feeds it raw OKX frames from a source and the
text each client sends, and sends what it returns; tests drive it with plain strings. No
sockets and no clock: the wall-clock milliseconds (``now_ms``), the Unix time of a login check
(``now_s``) and the monotonic seconds the heartbeat timer counts in (``clock``) come in with each
call. The rules are OKX's (v5 docs, "WebSocket / Order book channel", "Connect", "Login",
"Error codes"; see ``docs/feed.md`` and the module docstring of :mod:`tradecost.sim.exchange`),
read through :mod:`tradecost.feeds.okx.spec` (channels and their depths, error codes, the login
signature) so the client and the server agree by construction.

A :class:`Connection` is one client's state (subscriptions, login, the relay instrument).
:meth:`OKXVenue.on_source` returns :class:`Delivery` items: a text for one connection, or a
:class:`BookFrame` (an incremental update, kept in parts so a checksum fault can re-render it).
"""

from __future__ import annotations

import hmac
import itertools
import json
import random
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from tradecost.errors import InvalidInputError
from tradecost.feeds.okx import spec
from tradecost.instruments import Instrument
from tradecost.sim.levels import LevelBook, Row

__all__ = ["BookFrame", "Connection", "Delivery", "OKXVenue", "Reply"]

INCREMENTAL_CHANNELS = spec.INCREMENTAL_DEPTH
SNAPSHOT_CHANNELS = spec.SNAPSHOT_DEPTH
BOOK_CHANNELS = spec.BOOK_DEPTH
RELAY_PATH = "/ws/l2-orderbook/okx/"
#: channels of one instrument that cannot be subscribed together with books-l2-tbt (64004)
_DEEP = frozenset({"books", "books50-l2-tbt"})


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


@dataclass
class BookFrame:
    """An incremental update about to be sent, kept in parts so a fault can re-render it."""

    channel: str
    inst_id: str
    bids: list[Row]
    asks: list[Row]
    ts_ms: int
    checksum: int
    prev_seq_id: int
    seq_id: int
    sequence: bool
    text: str = ""

    def render(self, checksum: int | None = None) -> str:
        data: dict[str, Any] = {
            "asks": self.asks,
            "bids": self.bids,
            "ts": str(self.ts_ms),
            "checksum": self.checksum if checksum is None else checksum,
        }
        if self.sequence:
            data["prevSeqId"] = self.prev_seq_id
            data["seqId"] = self.seq_id
        return _dumps(
            {
                "arg": {"channel": self.channel, "instId": self.inst_id},
                "action": "update",
                "data": [data],
            }
        )

    def corrupted(self, salt: int) -> str:
        """The frame with a wrong checksum: the true one (or, in ``"zero"`` mode, a non-zero
        value from ``salt``) with bits flipped."""
        true = self.checksum or (salt & 0x7FFFFFFF) | 1
        return self.render(checksum=true ^ 0x2A2A2A2A)


@dataclass(eq=False)
class Connection:
    """One client connection's state: ``subs`` maps ``(channel, instId)`` to whether its
    snapshot is still owed; ``relay_inst`` is set on a relay stream."""

    conn_id: str
    relay_inst: str | None = None
    subs: dict[tuple[str, str], bool] = field(default_factory=dict)
    logged_in: bool = False


class Delivery(NamedTuple):
    """A text, or an incremental update subject to frame faults, for one connection."""

    conn: Connection
    frame: str | BookFrame


@dataclass
class Reply:
    """What to send back for one client message; ``subscribed`` when a subscription was
    accepted (the shell starts the source then)."""

    frames: list[str] = field(default_factory=list)
    subscribed: bool = False
    #: the streams unsubscribed (the shell forgets their held-back frames)
    unsubscribed: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _Market:
    """Per-instrument truth: the book, the seqId chain and the last window sent per channel."""

    inst_id: str
    book: LevelBook = field(default_factory=LevelBook)
    seq_id: int = 0
    prev_seq_id: int = 0
    started: bool = False
    incremental_source: bool = False  # the source streams a 400-level channel for it
    reset_pending: bool = False
    last_change: float = 0.0  # monotonic seconds
    ts_ms: int = 0  # exchange time of the last book change, ms
    chain: dict[str, int] = field(default_factory=dict)  # channel -> last seqId sent on it
    window: dict[str, tuple[list[Row], list[Row]]] = field(default_factory=dict)


class OKXVenue:
    """The simulated OKX venue's state: one exact book and seqId chain per instrument, and the
    connections with their subscriptions.

    ``checksum`` ``"crc32"`` or ``"zero"``; ``sequence`` sends ``seqId``/``prevSeqId``;
    ``initial_snapshot=False`` acks an incremental subscription without a snapshot;
    ``credentials`` maps an API key to ``(secret, passphrase)``; ``restamp`` stamps ``ts`` with
    ``now_ms`` instead of the source's; ``record_history`` keeps the CRC32 of the true book at
    every seqId in ``history``. Instruments are listed with :meth:`add_instrument`; a source
    frame makes its instrument known too.
    """

    def __init__(
        self,
        *,
        checksum: str = "crc32",
        sequence: bool = True,
        initial_snapshot: bool = True,
        credentials: Mapping[str, tuple[str, str]] | None = None,
        restamp: bool = True,
        record_history: bool = False,
        seed: int = 0,
    ) -> None:
        if checksum not in ("crc32", "zero"):
            raise InvalidInputError(f"checksum must be 'crc32' or 'zero', not {checksum!r}")
        self.checksum_mode = checksum
        self.sequence = sequence
        self.initial_snapshot = initial_snapshot
        self.credentials = dict(credentials or {})
        self.restamp = restamp
        #: the instruments listed by REST (:meth:`add_instrument`)
        self.instruments: dict[str, Instrument] = {}
        #: the instrument ids a subscription may name (any, while empty)
        self.known_inst_ids: set[str] = set()
        #: the ``reset`` faults applied
        self.injected: Counter[str] = Counter()
        #: ``{(inst_id, seqId): CRC32 of the true book at that seqId}`` when ``record_history``
        self.history: dict[tuple[str, int], int] | None = {} if record_history else None
        self.connections: list[Connection] = []
        self._rng = random.Random(seed)
        self._markets: dict[str, _Market] = {}
        self._conn_ids = (f"{i:08x}" for i in itertools.count(self._rng.randrange(1 << 28)))

    def add_instrument(self, instrument: Instrument) -> None:
        """List ``instrument`` (unless one with its id is listed already)."""
        self.instruments.setdefault(instrument.inst_id, instrument)
        self.known_inst_ids.add(instrument.inst_id)

    # ----------------------------------------------------------------- truth

    def market(self, inst_id: str) -> _Market:
        """The state of ``inst_id`` (created with a random seqId on first use)."""
        market = self._markets.get(inst_id)
        if market is None:
            market = self._markets[inst_id] = _Market(inst_id)
            market.seq_id = self._rng.randrange(1_000, 1_000_000)
        return market

    def true_book(self, inst_id: str) -> LevelBook:
        """The exchange's book for ``inst_id`` (what every synced client must hold)."""
        return self.market(inst_id).book

    def seq_id(self, inst_id: str) -> int:
        """The last ``seqId`` of ``inst_id``'s 400-level chain."""
        return self.market(inst_id).seq_id

    # ----------------------------------------------------------------- connections

    def connect(self, relay_inst: str | None = None) -> Connection:
        """A new connection (a relay stream of ``relay_inst`` when given)."""
        conn = Connection(next(self._conn_ids), relay_inst)
        self.connections.append(conn)
        return conn

    def disconnect(self, conn: Connection) -> None:
        if conn in self.connections:
            self.connections.remove(conn)

    def opening_frames(self, conn: Connection) -> list[str]:
        """What a connection is sent as it opens: a relay stream the current book."""
        market = self._markets.get(conn.relay_inst or "")
        if conn.relay_inst is None or market is None or not market.started:
            return []
        return [self._relay_frame(market)]

    # ----------------------------------------------------------------- client messages

    def on_message(self, conn: Connection, text: str, *, now_ms: int, now_s: float) -> Reply:
        """Answer one client text: ``ping``, ``login``, ``subscribe``, ``unsubscribe``."""
        reply = Reply()
        if text == "ping":
            reply.frames.append("pong")
            return reply
        try:
            request = json.loads(text)
            op = request["op"]
            args = request.get("args")
            req_id = request.get("id")
        except (ValueError, KeyError, TypeError, AttributeError):
            reply.frames.append(self._error(conn, spec.INVALID_REQUEST, f"Invalid request: {text}"))
            return reply
        if op == "login":
            reply.frames.append(self._login(conn, args, req_id, now_s))
            return reply
        if op not in ("subscribe", "unsubscribe"):
            reply.frames.append(self._error(conn, spec.INVALID_OP, f"Invalid op: {op}", req_id))
            return reply
        if not isinstance(args, list) or not args:
            reply.frames.append(
                self._error(conn, spec.INVALID_REQUEST, f"Invalid request: {text}", req_id)
            )
            return reply
        for arg in args:
            if not isinstance(arg, dict) or "channel" not in arg:
                reply.frames.append(
                    self._error(conn, spec.INVALID_REQUEST, f"Invalid request: {text}", req_id)
                )
                continue
            channel, inst_id = str(arg["channel"]), str(arg.get("instId", ""))
            if op == "subscribe":
                self._subscribe(conn, channel, inst_id, req_id, reply, now_ms)
            else:
                conn.subs.pop((channel, inst_id), None)
                reply.unsubscribed.append((channel, inst_id))
                reply.frames.append(self._ack(conn, "unsubscribe", channel, inst_id, req_id))
        return reply

    def _error(self, conn: Connection, code: str, msg: str, req_id: Any = None) -> str:
        reply: dict[str, Any] = {"event": "error", "code": code, "msg": msg, "connId": conn.conn_id}
        return _dumps({"id": req_id, **reply} if req_id is not None else reply)

    def _ack(self, conn: Connection, event: str, channel: str, inst_id: str, req_id: Any) -> str:
        reply: dict[str, Any] = {
            "event": event,
            "arg": {"channel": channel, "instId": inst_id},
            "connId": conn.conn_id,
        }
        return _dumps({"id": req_id, **reply} if req_id is not None else reply)

    def _subscribe(
        self, conn: Connection, channel: str, inst_id: str, req_id: Any, reply: Reply, now_ms: int
    ) -> None:
        out = reply.frames
        if channel not in spec.CHANNELS or (
            self.known_inst_ids and inst_id not in self.known_inst_ids
        ):
            message = (
                f"Wrong URL or channel:{channel},instId:{inst_id} doesn't exist. "
                "Please use the correct URL, channel and parameters referring to API document."
            )
            out.append(self._error(conn, spec.NO_SUCH_CHANNEL, message, req_id))
            return
        if channel in spec.LOGIN_CHANNELS and not conn.logged_in:
            out.append(self._error(conn, spec.LOGIN_REQUIRED, "Please log in", req_id))
            return
        others = {ch for ch, inst in conn.subs if inst == inst_id}
        if (channel == "books-l2-tbt" and others & _DEEP) or (
            channel in _DEEP and "books-l2-tbt" in others
        ):
            name = channel if channel != "books-l2-tbt" else sorted(others & _DEEP)[0]
            message = f"Subscribe to both {name} and books-l2-tbt for {inst_id} is not allowed"
            out.append(self._error(conn, spec.CHANNEL_CONFLICT, message, req_id))
            return
        out.append(self._ack(conn, "subscribe", channel, inst_id, req_id))
        reply.subscribed = True
        key = (channel, inst_id)
        already = key in conn.subs
        if channel not in BOOK_CHANNELS:
            conn.subs[key] = False
        elif already:
            pass  # OKX (2026) only re-acks a duplicate subscription
        elif channel in INCREMENTAL_CHANNELS and not self.initial_snapshot:
            conn.subs[key] = False
            market = self.market(inst_id)
            depth = INCREMENTAL_CHANNELS[channel]
            if depth < 400 and channel not in market.window:
                market.window[channel] = (market.book.bids(depth), market.book.asks(depth))
                market.chain[channel] = market.seq_id
        else:
            market = self.market(inst_id)
            if market.started:
                conn.subs[key] = False
                out.append(self._snapshot_frame(market, channel, now_ms))
            else:
                conn.subs[key] = True  # owed on the first change

    def _login(self, conn: Connection, args: Any, req_id: Any, now_s: float) -> str:
        try:
            (arg,) = args
            key, passphrase = str(arg["apiKey"]), str(arg["passphrase"])
            stamp, sign = str(arg["timestamp"]), str(arg["sign"])
            secret, expected_passphrase = self.credentials[key]
            expected = spec.login_sign(secret, stamp)
            fresh = abs(now_s - float(stamp)) <= spec.LOGIN_WINDOW_S
        except (ValueError, KeyError, TypeError):
            return self._error(conn, spec.LOGIN_FAILED, "Login failed.", req_id)
        if not (
            fresh and hmac.compare_digest(sign, expected) and passphrase == expected_passphrase
        ):
            return self._error(conn, spec.LOGIN_FAILED, "Login failed.", req_id)
        conn.logged_in = True
        reply: dict[str, Any] = {"event": "login", "code": "0", "msg": "", "connId": conn.conn_id}
        return _dumps({"id": req_id, **reply} if req_id is not None else reply)

    # ----------------------------------------------------------------- source frames

    def reset(self, inst_id: str | None = None) -> None:
        """Restart the seqId chain of ``inst_id`` (every known instrument if None) at its next
        change (``seqId < prevSeqId``)."""
        for target in [inst_id] if inst_id is not None else list(self._markets):
            self.market(target).reset_pending = True

    def on_source(self, frame: str | bytes, *, now_ms: int, clock: float) -> list[Delivery] | None:
        """Apply one raw OKX frame of the source; returns what every connection is sent, or
        None when the frame is not a channel push (it is ignored).

        Book frames (``books``-style snapshot/update, ``books5``, ``bbo-tbt``) update the
        instrument's book; other channel pushes are forwarded to their subscribers as they are.
        """
        message = json.loads(frame)
        arg = message.get("arg") if isinstance(message, dict) else None
        data = message.get("data") if isinstance(message, dict) else None
        if not isinstance(arg, dict) or not isinstance(data, list) or not data:
            return None
        channel, inst_id = str(arg.get("channel", "")), str(arg.get("instId", ""))
        self.known_inst_ids.add(inst_id)
        if channel not in BOOK_CHANNELS:
            text = frame.decode() if isinstance(frame, bytes) else frame
            return [Delivery(c, text) for c in self.connections if (channel, inst_id) in c.subs]
        market = self.market(inst_id)
        if channel in INCREMENTAL_CHANNELS:
            market.incremental_source = True
        elif market.incremental_source:
            return []  # books5/bbo-tbt are derived from the full book, not taken from the source
        body = data[0]
        bids, asks = body.get("bids") or [], body.get("asks") or []
        if not bids and not asks and message.get("action") == "update":
            return []  # the source's own heartbeat: no change to publish
        snapshot = message.get("action", "snapshot") == "snapshot" or channel in SNAPSHOT_CHANNELS
        before = (market.book.bids(), market.book.asks())
        if snapshot:
            market.book.replace(bids, asks)
            bids, asks = market.book.diff(before[0], before[1], None)
        else:
            market.book.apply(bids, asks)
        market.ts_ms = now_ms if self.restamp else int(body.get("ts") or now_ms)
        market.last_change = clock
        market.prev_seq_id = market.seq_id
        if market.reset_pending:
            market.reset_pending = False
            market.seq_id = self._rng.randrange(0, 10)
            self.injected["reset"] += 1
        else:
            market.seq_id += 1
        market.started = True
        if self.history is not None:
            self.history[(inst_id, market.seq_id)] = market.book.checksum()
        return self._broadcast(market, bids, asks, before, now_ms)

    def _broadcast(
        self,
        market: _Market,
        bids: list[Row],
        asks: list[Row],
        before: tuple[list[Row], list[Row]],
        now_ms: int,
    ) -> list[Delivery]:
        out: list[Delivery] = []
        checksum: int | None = None
        frames: dict[str, BookFrame | str | None] = {}
        for conn in list(self.connections):
            if conn.relay_inst == market.inst_id:
                out.append(Delivery(conn, self._relay_frame(market)))
                continue
            for channel, inst_id in list(conn.subs):
                if inst_id != market.inst_id or channel not in BOOK_CHANNELS:
                    continue
                if conn.subs[(channel, inst_id)]:  # snapshot still owed
                    conn.subs[(channel, inst_id)] = False
                    out.append(Delivery(conn, self._snapshot_frame(market, channel, now_ms)))
                    continue
                if channel not in frames:
                    if channel in SNAPSHOT_CHANNELS:
                        depth = SNAPSHOT_CHANNELS[channel]
                        unchanged = (
                            market.book.bids(depth) == before[0][:depth]
                            and market.book.asks(depth) == before[1][:depth]
                        )
                        frames[channel] = (
                            None if unchanged else self._snapshot_frame(market, channel, now_ms)
                        )
                    else:
                        if checksum is None:
                            checksum = self._checksum(market)
                        frames[channel] = self._update_frame(
                            market, channel, bids, asks, before, checksum
                        )
                frame = frames[channel]
                if frame is not None:
                    out.append(Delivery(conn, frame))
        for channel in market.window:  # keep windowed chains exact while nobody listens
            if channel not in frames:
                self._update_frame(market, channel, bids, asks, before, 0)
        return out

    def _checksum(self, market: _Market) -> int:
        return market.book.checksum() if self.checksum_mode == "crc32" else 0

    def _update_frame(
        self,
        market: _Market,
        channel: str,
        bids: list[Row],
        asks: list[Row],
        before: tuple[list[Row], list[Row]],
        checksum: int,
    ) -> BookFrame | None:
        depth = INCREMENTAL_CHANNELS[channel]
        prev = market.prev_seq_id
        if depth < 400:
            old_bids, old_asks = market.window.get(channel, (before[0][:depth], before[1][:depth]))
            bids, asks = market.book.diff(old_bids, old_asks, depth)
            market.window[channel] = (market.book.bids(depth), market.book.asks(depth))
            if not bids and not asks:
                return None
            prev = market.chain.get(channel, market.prev_seq_id)
            market.chain[channel] = market.seq_id
        frame = BookFrame(
            channel,
            market.inst_id,
            bids,
            asks,
            market.ts_ms,
            checksum,
            prev,
            market.seq_id,
            self.sequence,
        )
        frame.text = frame.render()
        return frame

    def _snapshot_frame(self, market: _Market, channel: str, now_ms: int) -> str:
        depth = BOOK_CHANNELS[channel]
        bids, asks = market.book.bids(depth), market.book.asks(depth)
        data: dict[str, Any] = {"asks": asks, "bids": bids, "ts": str(market.ts_ms or now_ms)}
        if channel in INCREMENTAL_CHANNELS:
            data["checksum"] = self._checksum(market)
            seq = market.seq_id
            if depth < 400:  # a windowed channel: the snapshot sits on its own chain
                if channel not in market.window:
                    market.window[channel] = (bids, asks)
                    market.chain[channel] = market.seq_id
                seq = market.chain[channel]
            if self.sequence:
                data["prevSeqId"] = -1
                data["seqId"] = seq
            message: dict[str, Any] = {
                "arg": {"channel": channel, "instId": market.inst_id},
                "action": "snapshot",
                "data": [data],
            }
        else:
            if channel == "books5":
                data["instId"] = market.inst_id
            if self.sequence:
                data["seqId"] = market.seq_id
            message = {"arg": {"channel": channel, "instId": market.inst_id}, "data": [data]}
        return _dumps(message)

    def _relay_frame(self, market: _Market) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(market.ts_ms / 1000))
        return _dumps(
            {
                "timestamp": f"{stamp}.{market.ts_ms % 1000:03d}000+00:00",
                "exchange": "OKX",
                "symbol": market.inst_id,
                "asks": [row[:2] for row in market.book.asks()],
                "bids": [row[:2] for row in market.book.bids()],
            }
        )

    # ----------------------------------------------------------------- heartbeats

    def heartbeats(self, clock: float, interval: float, now_ms: int) -> list[Delivery]:
        """OKX's no-change messages for every instrument unchanged for ``interval`` seconds of
        ``clock`` (the monotonic time)."""
        out: list[Delivery] = []
        for market in list(self._markets.values()):
            if market.started and clock - market.last_change >= interval:
                market.last_change = clock
                out.extend(self._heartbeat(market, self.connections, now_ms))
        return out

    def heartbeat(self, conn: Connection, now_ms: int) -> list[Delivery]:
        """The no-change messages of every instrument for one connection, now (a fault)."""
        out: list[Delivery] = []
        for market in list(self._markets.values()):
            out.extend(self._heartbeat(market, [conn], now_ms))
        return out

    def _heartbeat(
        self, market: _Market, conns: Iterable[Connection], now_ms: int
    ) -> list[Delivery]:
        """Empty update with ``seqId == prevSeqId`` (snapshot channels: the snapshot again)."""
        checksum = self._checksum(market)
        out: list[Delivery] = []
        for conn in list(conns):
            for channel, inst_id in list(conn.subs):
                if inst_id != market.inst_id or conn.subs[(channel, inst_id)]:
                    continue
                if channel in SNAPSHOT_CHANNELS:
                    out.append(Delivery(conn, self._snapshot_frame(market, channel, now_ms)))
                elif channel in INCREMENTAL_CHANNELS:
                    seq = (
                        market.chain.get(channel, market.seq_id)
                        if INCREMENTAL_CHANNELS[channel] < 400
                        else market.seq_id
                    )
                    frame = BookFrame(
                        channel, inst_id, [], [], now_ms, checksum, seq, seq, self.sequence
                    )
                    out.append(Delivery(conn, frame.render()))
        return out

    # ----------------------------------------------------------------- REST

    def rest_books(self, query: Mapping[str, str]) -> dict[str, Any]:
        """Body of ``GET /api/v5/market/books?instId=..&sz=..``."""
        inst_id = query.get("instId", "")
        market = self._markets.get(inst_id)
        if market is None or not market.started:
            return {"code": "51001", "msg": "Instrument ID does not exist", "data": []}
        try:
            depth = min(400, max(1, int(query.get("sz", "1"))))
        except ValueError:
            return {"code": "50014", "msg": "Parameter sz error", "data": []}
        data = {
            "asks": market.book.asks(depth),
            "bids": market.book.bids(depth),
            "ts": str(market.ts_ms),
            "seqId": market.seq_id,
        }
        return {"code": "0", "msg": "", "data": [data]}

    def rest_instruments(self, query: Mapping[str, str]) -> dict[str, Any]:
        """Body of ``GET /api/v5/public/instruments?instType=..[&instId=..]``."""
        inst_type = query.get("instType", "")
        rows = [
            inst.to_okx()
            for inst in self.instruments.values()
            if inst.inst_type == inst_type and query.get("instId", inst.inst_id) == inst.inst_id
        ]
        return {"code": "0", "msg": "", "data": rows}
