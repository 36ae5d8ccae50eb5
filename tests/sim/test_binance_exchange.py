"""The simulated Binance venue, driven on 127.0.0.1 by a plain ``websockets`` client and urllib.

The oracle is Binance's documented local-book procedure, written out here (``ReferenceDepth``)
for both markets — spot (``web-socket-streams.md``, "How to manage a local order book
correctly": buffer, snapshot, refetch while ``lastUpdateId < U`` of the first buffered event, drop
``u <= lastUpdateId``, first ``U <= lastUpdateId + 1 <= u``, then ``U == previous u + 1``) and
USDⓈ-M (drop ``u < lastUpdateId``, first ``U <= lastUpdateId <= u``, then ``pu == previous u``).
A book rebuilt that way from REST snapshots and diffs must equal the server's own book string
for string. Wire shapes are compared with real recorded Binance messages
(``../shared/data/binance``; those tests skip when the captures are absent).
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Awaitable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed, ConnectionClosedError
from websockets.frames import Close, Frame, Opcode
from websockets.uri import parse_uri

from tradecost.errors import InvalidInputError
from tradecost.sim import CorrelatedMarket, SimulatedExchange
from tradecost.sim.binance_server import BinanceExchange

REPO = Path(__file__).resolve().parents[2]
SYMBOLS = ("ETHUSDT", "BTCUSDT")


def run(coro: Awaitable[Any], timeout: float = 60.0) -> Any:
    async def limited() -> Any:
        async with asyncio.timeout(timeout):
            return await coro

    return asyncio.run(limited())


def binance_captures() -> Path | None:
    configured = os.environ.get("TRADECOST_BINANCE_CAPTURES")
    folder = Path(configured) if configured else REPO.parent / "shared" / "data" / "binance"
    return folder if folder.is_dir() else None


# ------------------------------------------------------------------------ the reference procedure


class Restart(Exception):
    """The documented procedure says: start again from the snapshot."""


@dataclass
class ReferenceDepth:
    """One symbol's local book kept by Binance's documented procedure (see module doc)."""

    market: str
    state: str = "unsynced"  # unsynced -> bridging -> synced
    buffer: list[dict[str, Any]] = field(default_factory=list)
    bids: dict[Decimal, str] = field(default_factory=dict)
    asks: dict[Decimal, str] = field(default_factory=dict)
    last: int = -1
    ever_synced: bool = False
    resyncs: int = 0  # a break after the book was in sync
    refetches: int = 0  # a snapshot older than the first buffered event
    dropped: int = 0  # buffered events the snapshot already contains
    ignored: int = 0  # events at or below the local id once in sync (duplicates)
    applied: int = 0
    inside: int = 0  # bridges where the snapshot id fell strictly inside the event's [U, u)

    @property
    def wants_snapshot(self) -> bool:
        return self.state == "unsynced" and bool(self.buffer)

    def on_event(self, event: dict[str, Any]) -> None:
        if self.state == "unsynced":
            self.buffer.append(event)
        elif self.state == "bridging":
            self._bridge(event)
        else:
            self._continue(event)

    def on_snapshot(self, body: dict[str, Any]) -> None:
        last_id = body["lastUpdateId"]
        if last_id < self.buffer[0]["U"]:
            self.refetches += 1  # the snapshot is older than what we buffered: fetch again
            return
        self.bids = {Decimal(p): q for p, q in body["bids"]}
        self.asks = {Decimal(p): q for p, q in body["asks"]}
        self.last = last_id
        self.state = "bridging"
        pending, self.buffer = self.buffer, []
        for event in pending:
            self.on_event(event)

    def _restart(self, event: dict[str, Any]) -> None:
        if self.ever_synced:
            self.resyncs += 1
        else:
            self.refetches += 1
        self.state = "unsynced"
        self.bids, self.asks = {}, {}
        self.buffer = [event]

    def _bridge(self, event: dict[str, Any]) -> None:
        first, final, snapshot_id = event["U"], event["u"], self.last
        if self.market == "spot":
            if final <= snapshot_id:
                self.dropped += 1
                return
            bridges = first <= snapshot_id + 1 <= final
        else:
            if final < snapshot_id:
                self.dropped += 1
                return
            bridges = first <= snapshot_id <= final
        if not bridges:
            self._restart(event)
            return
        self.inside += first <= snapshot_id < final
        self._apply(event)
        self.state = "synced"
        self.ever_synced = True

    def _continue(self, event: dict[str, Any]) -> None:
        if event["u"] <= self.last:
            self.ignored += 1  # already applied (a repeated message)
            return
        spot = self.market == "spot"
        linked = event["U"] == self.last + 1 if spot else event["pu"] == self.last
        if not linked:
            self._restart(event)
            return
        self._apply(event)

    def _apply(self, event: dict[str, Any]) -> None:
        for rows, side in ((event["b"], self.bids), (event["a"], self.asks)):
            for price, quantity in rows:
                if Decimal(quantity) == 0:
                    side.pop(Decimal(price), None)
                else:
                    side[Decimal(price)] = quantity
        self.last = event["u"]
        self.applied += 1
        if self.bids and self.asks:
            assert max(self.bids) < min(self.asks), "crossed book"

    def matches(self, exchange: BinanceExchange, symbol: str) -> bool:
        truth = exchange.true_book(symbol)
        return self.bids == {Decimal(p): q for p, q in truth.bids()} and self.asks == {
            Decimal(p): q for p, q in truth.asks()
        }


# ------------------------------------------------------------------------ a plain client


class Client:
    """Reads one connection, keeps a ReferenceDepth per symbol, collects everything else."""

    def __init__(self, ws: ClientConnection, exchange: BinanceExchange, combined: bool) -> None:
        self.ws = ws
        self.exchange = exchange
        self.combined = combined
        self.market = exchange.market
        self.refs = {symbol: ReferenceDepth(exchange.market) for symbol in SYMBOLS}
        self.depth_events: list[dict[str, Any]] = []
        self.trades: list[tuple[str, dict[str, Any]]] = []
        self.replies: list[dict[str, Any]] = []
        self.other: list[Any] = []
        self.bad_frames = 0
        self._barrier_ids = itertools.count(1_000_000)
        self._barriers: dict[int, asyncio.Event] = {}
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with _suppress_closed():
            async for raw in self.ws:
                await self._on_message(raw)

    async def _on_message(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            self.bad_frames += 1
            return
        if not isinstance(message, dict):
            self.bad_frames += 1
            return
        if "result" in message or "error" in message:
            self.replies.append(message)
            event = self._barriers.get(message.get("id", -1))
            if event is not None:
                event.set()
            return
        stream = None
        if self.combined and "stream" in message:
            stream, message = message["stream"], message["data"]
        kind = message.get("e")
        if kind == "depthUpdate":
            if stream is not None:
                assert stream == f"{message['s'].lower()}@depth@100ms"
            self.depth_events.append(message)
            ref = self.refs[message["s"]]
            ref.on_event(message)
            while ref.wants_snapshot:
                ref.on_snapshot(await self.snapshot(message["s"]))
        elif kind in ("trade", "aggTrade"):
            self.trades.append((stream or "", message))
        else:
            self.other.append(message)

    async def snapshot(self, symbol: str) -> dict[str, Any]:
        path = "/api/v3/depth" if self.market == "spot" else "/fapi/v1/depth"
        return await rest(self.exchange, f"{path}?symbol={symbol}&limit=1000")

    async def barrier(self) -> None:
        """Wait until every frame the server queued before now has been read and handled."""
        barrier_id = next(self._barrier_ids)
        self._barriers[barrier_id] = asyncio.Event()
        await self.ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": barrier_id}))
        await self._barriers[barrier_id].wait()

    def synced(self) -> bool:
        return all(ref.state == "synced" for ref in self.refs.values())


class _suppress_closed:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> bool:
        return kind is not None and issubclass(kind, ConnectionClosed)


async def rest(exchange: BinanceExchange, path: str) -> Any:
    def fetch() -> Any:
        with urllib.request.urlopen(exchange.rest_url + path, timeout=10) as response:
            assert response.headers["Content-Type"] == "application/json"
            return json.loads(response.read())

    return await asyncio.to_thread(fetch)


async def rest_error(exchange: BinanceExchange, path: str) -> tuple[int, Any]:
    def fetch() -> tuple[int, Any]:
        try:
            urllib.request.urlopen(exchange.rest_url + path, timeout=10)
        except urllib.error.HTTPError as exc:
            body = exc.read()
            try:
                return exc.code, json.loads(body)
            except ValueError:
                return exc.code, body
        raise AssertionError(f"{path} did not fail")

    return await asyncio.to_thread(fetch)


def pair_market(seed: int = 3) -> CorrelatedMarket:
    return CorrelatedMarket.pair("ETH-USDT", "BTC-USDT", seed=seed)


def depth_streams() -> list[str]:
    return [f"{s.lower()}@depth@100ms" for s in SYMBOLS]


async def open_client(exchange: BinanceExchange, streams: list[str]) -> Client:
    ws = await connect(exchange.stream_url(*streams), max_queue=None)
    return Client(ws, exchange, combined=True)


async def close(client: Client) -> None:
    await client.ws.close()
    await client.task


# ------------------------------------------------------------------------ exact books


@pytest.mark.parametrize("market", ["spot", "usdm"])
def test_books_rebuilt_by_the_documented_procedure_equal_the_servers(market: str) -> None:
    async def scenario() -> None:
        source = pair_market()
        async with SimulatedExchange(source, venue="binance", market=market, limit=4000) as ex:
            client = await open_client(ex, depth_streams())
            await ex.wait_source_done()
            await client.barrier()
            for symbol in SYMBOLS:
                ref = client.refs[symbol]
                assert ref.state == "synced"
                assert ref.applied > 50
                assert ref.resyncs == 0
                assert ref.last == ex.last_update_id(symbol)
                assert ref.matches(ex, symbol)
                assert len(ex.true_book(symbol)) > 600  # the books are deep, not trivially equal
            events = client.depth_events
            if market == "usdm":
                # futures ids are shared by every symbol: strictly increasing across symbols,
                # and a symbol's next U is (almost) never its previous u + 1
                firsts = [event["U"] for event in events]
                assert firsts == sorted(firsts) and len(set(firsts)) == len(firsts)
                links = consecutive = 0
                last_u: dict[str, int] = {}
                for event in events:
                    if event["s"] in last_u:
                        links += 1
                        consecutive += event["U"] == last_u[event["s"]] + 1
                    last_u[event["s"]] = event["u"]
                assert consecutive < 0.2 * links
            await close(client)

    run(scenario())


@pytest.mark.parametrize("market", ["spot", "usdm"])
def test_snapshots_taken_inside_an_event_bridge_by_the_documented_rule(market: str) -> None:
    async def scenario() -> None:
        source = pair_market(seed=6)
        async with SimulatedExchange(
            source, venue="binance", market=market, limit=1500, snapshot_inside_event=True
        ) as ex:
            client = await open_client(ex, depth_streams())
            await ex.wait_source_done()
            await client.barrier()
            for symbol in SYMBOLS:
                ref = client.refs[symbol]
                assert ref.state == "synced" and ref.resyncs == 0
                assert ref.matches(ex, symbol)
            # every snapshot sits strictly inside an event; at least one of them is the event
            # the client bridged with (the others are dropped or bridged at its edge)
            assert sum(ref.inside for ref in client.refs.values()) >= 1
            await close(client)

    run(scenario())


@pytest.mark.parametrize("market", ["spot", "usdm"])
def test_trades_carry_the_taker_side_and_base_quantities(market: str) -> None:
    async def scenario() -> None:
        source = pair_market(seed=4)
        async with SimulatedExchange(source, venue="binance", market=market, limit=3000) as ex:
            streams = ["btcusdt@trade", "btcusdt@aggTrade", "ethusdt@aggTrade"]
            client = await open_client(ex, streams)
            await ex.wait_source_done()
            await client.barrier()
            by_stream: dict[str, list[dict[str, Any]]] = {}
            for stream, trade in client.trades:
                by_stream.setdefault(stream, []).append(trade)
            assert set(by_stream) == set(streams)
            plain, aggregated = by_stream["btcusdt@trade"], by_stream["btcusdt@aggTrade"]
            assert len(plain) == len(aggregated) > 20
            for trade, agg in zip(plain, aggregated, strict=True):
                assert (trade["p"], trade["q"], trade["m"]) == (agg["p"], agg["q"], agg["m"])
                assert agg["f"] <= trade["t"] <= agg["l"]
            assert {t["m"] for t in plain} == {True, False}  # both taker sides occur
            ids = [t["t"] for t in plain]
            assert ids == sorted(ids) and len(set(ids)) == len(ids)
            await close(client)

    run(scenario())


def test_the_taker_side_follows_the_source() -> None:
    """``m`` is true exactly when the OKX source printed a taker sell (buyer was the maker)."""

    async def scenario() -> None:
        source = pair_market(seed=5)
        frames = list(source.messages(n=600))
        async with SimulatedExchange(None, venue="binance", instruments=instruments(source)) as ex:
            client = await open_client(ex, ["btcusdt@trade", "ethusdt@trade"])
            sides = []
            for frame in frames:
                message = json.loads(frame)
                if message["arg"]["channel"] == "trades":
                    sides.append(message["data"][0]["side"])
                await ex.publish(frame)
            await client.barrier()
            assert [t["m"] for _, t in client.trades] == [side == "sell" for side in sides]
            await close(client)

    run(scenario())


def instruments(source: CorrelatedMarket) -> list[Any]:
    return [market.instrument for market in source.markets.values()]


# ------------------------------------------------------------------------ faults


async def publish_until_synced(ex: BinanceExchange, client: Client, frames: Any) -> None:
    """Publish one frame at a time until every book of ``client`` is in sync."""
    await client.barrier()
    while not client.synced():
        await ex.publish(next(frames))
        await client.barrier()


async def read_until_closed(ws: ClientConnection) -> tuple[list[str], ConnectionClosed]:
    """Every frame until the connection ends, and how it ended."""
    seen: list[str] = []
    while True:
        try:
            seen.append(str(await ws.recv()))
        except ConnectionClosed as exc:
            return seen, exc


async def _fault_run(
    market: str, kind: str, *, count: int = 1
) -> tuple[Client, BinanceExchange, dict[str, int]]:
    """Publish frames by hand: sync, inject ``kind``, publish more, and check the books."""
    source = pair_market(seed=11)
    frames = source.messages(n=3000)
    ex = SimulatedExchange(None, venue="binance", market=market, instruments=instruments(source))
    await ex.start()
    for frame in itertools.islice(frames, 2):  # the opening snapshots
        await ex.publish(frame)
    if kind == "stale_snapshot":
        for frame in itertools.islice(frames, 300):  # give the server some history
            await ex.publish(frame)
        ex.inject("stale_snapshot", count=count)
    client = await open_client(ex, depth_streams())
    await publish_until_synced(ex, client, frames)
    if kind == "silent":
        ex.inject("silent", duration=3600.0)
    elif kind != "stale_snapshot":
        ex.inject(kind, count=count)
    for frame in itertools.islice(frames, 400):
        await ex.publish(frame)
    if kind == "silent":
        ex.end_silence()
        for frame in itertools.islice(frames, 200):
            await ex.publish(frame)
    await publish_until_synced(ex, client, frames)  # a resync needs the next diff to bridge
    for symbol in SYMBOLS:
        assert client.refs[symbol].matches(ex, symbol), (kind, symbol)
    totals = {
        name: sum(getattr(ref, name) for ref in client.refs.values())
        for name in ("resyncs", "refetches", "dropped", "ignored", "applied")
    }
    return client, ex, totals


@pytest.mark.parametrize("market", ["spot", "usdm"])
@pytest.mark.parametrize("kind", ["drop", "reorder", "gap", "silent"])
def test_a_break_in_the_chain_is_detected_and_the_rebuilt_book_is_exact(
    market: str, kind: str
) -> None:
    async def scenario() -> None:
        client, ex, totals = await _fault_run(market, kind)
        # a lost or swapped message breaks one symbol's chain; a gap (injected for every
        # symbol) and a silence (nothing reaches the client) break both
        expected = 2 if kind in ("gap", "silent") else 1
        assert totals["resyncs"] == expected, totals
        assert ex.injected[kind] == expected if kind == "gap" else ex.injected[kind] == 1
        await close(client)
        await ex.stop()

    run(scenario())


@pytest.mark.parametrize("market", ["spot", "usdm"])
def test_a_duplicate_is_ignored_without_a_resync(market: str) -> None:
    async def scenario() -> None:
        client, ex, totals = await _fault_run(market, "duplicate", count=3)
        assert ex.injected["duplicate"] == 3
        assert totals["ignored"] == 3
        assert totals["resyncs"] == 0
        await close(client)
        await ex.stop()

    run(scenario())


@pytest.mark.parametrize("market", ["spot", "usdm"])
def test_a_stale_snapshot_is_refetched(market: str) -> None:
    async def scenario() -> None:
        client, ex, totals = await _fault_run(market, "stale_snapshot", count=1)
        assert ex.injected["stale_snapshot"] == 1
        assert totals["refetches"] == 1
        assert totals["resyncs"] == 0
        assert ex.rest_requests["depth"] == 3  # two symbols, one of them twice
        await close(client)
        await ex.stop()

    run(scenario())


def test_garbage_frames_are_not_binance_messages() -> None:
    async def scenario() -> None:
        client, ex, totals = await _fault_run("spot", "garbage", count=4)
        assert ex.injected["garbage"] == 4
        assert client.bad_frames == 4  # three are not JSON, one is not a message object
        assert client.other == []
        assert totals["resyncs"] == 0
        await close(client)
        await ex.stop()

    run(scenario())


def test_disconnect_aborts_without_a_close_frame() -> None:
    async def scenario() -> None:
        source = pair_market()
        async with SimulatedExchange(source, venue="binance", limit=200) as ex:
            ws = await connect(ex.stream_url(*depth_streams()), max_queue=None)
            await ws.recv()
            ex.inject("disconnect")
            _, closed = await read_until_closed(ws)
            assert isinstance(closed, ConnectionClosedError)
            assert closed.rcvd is None  # no close frame: the TCP connection was cut
            assert ex.injected["disconnect"] == 1

    run(scenario())


def test_server_shutdown_event_then_close() -> None:
    async def scenario() -> None:
        source = pair_market()
        async with SimulatedExchange(source, venue="binance", limit=500, shutdown_grace=0.05) as ex:
            ws = await connect(ex.stream_url(*depth_streams()), max_queue=None)
            await ws.recv()
            ex.inject("shutdown")
            frames, closed = await read_until_closed(ws)
            seen = [json.loads(frame) for frame in frames]
            shutdowns = [m for m in seen if m.get("e") == "serverShutdown"]
            assert len(shutdowns) == 1 and isinstance(shutdowns[0]["E"], int)
            assert seen[-1] is shutdowns[0]  # nothing after it
            assert closed.rcvd is not None and closed.rcvd.code == 1001
            assert ex.injected["shutdown"] == 1

    run(scenario())


def test_connection_lifetime_is_limited() -> None:
    async def scenario() -> None:
        async with SimulatedExchange(
            pair_market(), venue="binance", limit=100, max_connection_age=0.2
        ) as ex:
            ws = await connect(ex.url + "/ws", max_queue=None)
            _, closed = await read_until_closed(ws)
            assert closed.rcvd is not None and closed.rcvd.code == 1001

    run(scenario())


def test_ping_frames_are_sent_and_answered() -> None:
    async def scenario() -> None:
        async with SimulatedExchange(
            pair_market(), venue="binance", limit=10, ping_interval=0.02
        ) as ex:
            ws = await connect(ex.url + "/ws", max_queue=None)
            reader = asyncio.create_task(_drain(ws))
            while ex.pongs_received < 2:
                await asyncio.sleep(0.01)
            assert ex.pings_sent >= 2
            await ws.close()
            await reader

    run(scenario())


def test_a_client_that_never_answers_pings_is_closed() -> None:
    """A sans-I/O client protocol whose outgoing bytes (its pongs) are never written."""

    async def scenario() -> None:
        async with SimulatedExchange(
            pair_market(), venue="binance", limit=10, ping_interval=0.02, pong_timeout=0.1
        ) as ex:
            protocol = ClientProtocol(parse_uri(ex.url + "/ws"))
            reader, writer = await asyncio.open_connection(ex.host, ex.port)
            protocol.send_request(protocol.connect())
            for data in protocol.data_to_send():
                writer.write(data)
            pings = 0
            close_code = None
            while close_code is None:
                data = await reader.read(65536)
                if not data:
                    break
                protocol.receive_data(data)
                for frame in protocol.events_received():
                    if isinstance(frame, Frame) and frame.opcode is Opcode.PING:
                        pings += 1
                    if isinstance(frame, Frame) and frame.opcode is Opcode.CLOSE:
                        close_code = Close.parse(frame.data).code
                protocol.data_to_send()  # discarded: the pongs never leave
            writer.close()
            assert pings == 1  # one ping, no pong, no second ping
            assert close_code == 1008
            assert ex.pongs_received == 0

    run(scenario())


async def _drain(ws: ClientConnection) -> None:
    with _suppress_closed():
        async for _ in ws:
            pass


# ------------------------------------------------------------------------ paths and requests


def test_subscribe_unsubscribe_and_errors_on_a_raw_connection() -> None:
    async def scenario() -> None:
        source = pair_market()
        async with SimulatedExchange(None, venue="binance", instruments=instruments(source)) as ex:
            frames = source.messages(n=400)
            for frame in itertools.islice(frames, 2):
                await ex.publish(frame)
            ws = await connect(ex.url + "/ws", max_queue=None)

            async def ask(request: Any) -> Any:
                await ws.send(request if isinstance(request, str) else json.dumps(request))
                return json.loads(await ws.recv())

            reply = await ask({"method": "SUBSCRIBE", "params": ["btcusdt@depth@100ms"], "id": 1})
            assert reply == {"result": None, "id": 1}
            reply = await ask({"method": "LIST_SUBSCRIPTIONS", "id": 2})
            assert reply == {"result": ["btcusdt@depth@100ms"], "id": 2}
            for frame in itertools.islice(frames, 30):
                await ex.publish(frame)
            event = json.loads(await ws.recv())  # raw stream: the payload alone
            assert event["e"] == "depthUpdate" and event["s"] == "BTCUSDT"
            reply = await ask({"method": "UNSUBSCRIBE", "params": ["btcusdt@depth@100ms"], "id": 3})
            while "result" not in reply:  # diffs sent before the request was handled
                reply = json.loads(await ws.recv())
            assert reply == {"result": None, "id": 3}
            reply = await ask({"method": "LIST_SUBSCRIPTIONS", "id": 4})
            assert reply == {"result": [], "id": 4}
            assert (await ask("not json"))["error"]["code"] == 3
            reply = await ask({"method": "SUBSCRIBE", "params": ["BTCUSDT@trade"], "id": 5})
            assert reply["error"]["code"] == 2 and reply["id"] == 5
            reply = await ask({"method": "FROBNICATE", "params": [], "id": 6})
            assert reply["error"]["code"] == 2
            reply = await ask({"method": "SUBSCRIBE", "params": "btcusdt@trade", "id": 7})
            assert reply["error"]["code"] == 2
            await ws.close()

    run(scenario())


def test_raw_stream_path_sends_bare_payloads() -> None:
    async def scenario() -> None:
        async with SimulatedExchange(pair_market(), venue="binance", limit=300) as ex:
            ws = await connect(ex.stream_url("ethusdt@depth@100ms", combined=False), max_queue=None)
            event = json.loads(await ws.recv())
            assert "stream" not in event and event["s"] == "ETHUSDT"
            await ws.close()

    run(scenario())


def test_usdm_serves_depth_on_public_and_trades_on_market_and_old_paths_are_silent() -> None:
    async def scenario() -> None:
        source = pair_market()
        async with SimulatedExchange(
            None, venue="binance", market="usdm", instruments=instruments(source)
        ) as ex:
            frames = source.messages(n=1500)
            for frame in itertools.islice(frames, 2):
                await ex.publish(frame)
            both = "btcusdt@depth@100ms/btcusdt@aggTrade"
            public = Client(
                await connect(f"{ex.url}/public/stream?streams={both}", max_queue=None), ex, True
            )
            market = Client(
                await connect(f"{ex.url}/market/stream?streams={both}", max_queue=None), ex, True
            )
            legacy_raw = await connect(f"{ex.url}/ws/btcusdt@depth@100ms", max_queue=None)
            legacy = await connect(f"{ex.url}/stream?streams={both}", max_queue=None)
            await legacy.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 1}))
            for frame in frames:
                await ex.publish(frame)
            await public.barrier()
            await market.barrier()
            assert len(public.depth_events) > 50 and not public.trades
            assert len(market.trades) > 20 and not market.depth_events
            assert ex.connections == 4
            for ws in (legacy_raw, legacy):  # the handshake worked; nothing ever comes
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(ws.recv(), 0.2)
                await ws.close()
            await close(public)
            await close(market)

    run(scenario())


def test_unknown_paths_are_refused() -> None:
    async def scenario() -> None:
        async with SimulatedExchange(pair_market(), venue="binance", limit=10) as ex:
            for path in ("/ws/stream?streams=btcusdt@trade", "/nowhere", "/ws/BTCUSDT@trade"):
                with pytest.raises(Exception, match="404"):
                    await connect(ex.url + path)
            status, _ = await rest_error(ex, "/api/v5/market/books?instId=BTC-USDT")
            assert status == 404

    run(scenario())


# ------------------------------------------------------------------------ REST


@pytest.mark.parametrize("market", ["spot", "usdm"])
def test_rest_depth_and_exchange_info(market: str) -> None:
    async def scenario() -> None:
        source = pair_market()
        spot = market == "spot"
        depth, info = (
            ("/api/v3/depth", "/api/v3/exchangeInfo")
            if spot
            else ("/fapi/v1/depth", "/fapi/v1/exchangeInfo")
        )
        async with SimulatedExchange(source, venue="binance", market=market, limit=10) as ex:
            body = await rest(ex, f"{depth}?symbol=BTCUSDT&limit=5")
            assert list(body) == (
                ["lastUpdateId", "bids", "asks"]
                if spot
                else ["lastUpdateId", "E", "T", "bids", "asks"]
            )
            assert len(body["bids"]) == len(body["asks"]) == 5
            bids = [Decimal(p) for p, _ in body["bids"]]
            asks = [Decimal(p) for p, _ in body["asks"]]
            assert bids == sorted(bids, reverse=True) and asks == sorted(asks)  # best first
            assert bids[0] < asks[0]
            assert body["lastUpdateId"] == ex.last_update_id("BTCUSDT")
            default = await rest(ex, f"{depth}?symbol=ETHUSDT")
            held = len(ex.true_book("ETHUSDT").bids())
            assert held > 300
            assert len(default["bids"]) == min(100 if spot else 500, held)  # default limits
            status, error = await rest_error(ex, f"{depth}?symbol=XRPUSDT")
            assert (status, error["code"]) == (400, -1121)
            status, error = await rest_error(ex, depth)
            assert (status, error["code"]) == (400, -1102)
            if not spot:
                status, error = await rest_error(ex, f"{depth}?symbol=BTCUSDT&limit=7")
                assert (status, error["code"]) == (400, -1130)
            body = await rest(ex, info)
            symbols = {row["symbol"]: row for row in body["symbols"]}
            assert set(symbols) == set(SYMBOLS)
            filters = {f["filterType"]: f for f in symbols["ETHUSDT"]["filters"]}
            assert Decimal(filters["PRICE_FILTER"]["tickSize"]) == Decimal("0.01")
            assert Decimal(filters["LOT_SIZE"]["stepSize"]) == Decimal("0.0001")
            if spot:
                one = await rest(ex, f"{info}?symbol=BTCUSDT")
                assert [row["symbol"] for row in one["symbols"]] == ["BTCUSDT"]
                status, error = await rest_error(ex, f"{info}?symbol=XRPUSDT")
                assert (status, error["code"]) == (400, -1121)

    run(scenario())


# ------------------------------------------------------------------------ wire shapes


SPOT_NUMBER = re.compile(r"^\d+\.\d{8}$")


def _capture_lines(path: Path) -> list[dict[str, Any]]:
    """The JSON messages of a capture file (cryptofeed ``ts: msg`` or hftbacktest ``ns msg``)."""
    opener = gzip.open if path.suffix == ".gz" else open
    out = []
    with opener(path, "rt", encoding="utf-8") as handle:  # type: ignore[operator]
        for line in handle:
            start = line.find("{")
            if start < 0:
                continue
            try:
                message = json.loads(line[start:])
            except ValueError:
                continue
            if isinstance(message, dict):
                out.append(message.get("data", message))
    return out


def _first(messages: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    return next(m for m in messages if m.get("e") == kind)


def _types(message: dict[str, Any]) -> dict[str, type]:
    return {key: type(value) for key, value in message.items()}


def _ours(market: str) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    async def scenario() -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
        async with SimulatedExchange(
            pair_market(), venue="binance", market=market, limit=1500
        ) as ex:
            depth = ex.stream_url("btcusdt@depth@100ms")
            trades = ex.stream_url("btcusdt@trade", "btcusdt@aggTrade")
            a = Client(await connect(depth, max_queue=None), ex, True)
            b = Client(await connect(trades, max_queue=None), ex, True)
            await ex.wait_source_done()
            await a.barrier()
            await b.barrier()
            path = "/api/v3/depth" if market == "spot" else "/fapi/v1/depth"
            snapshot = await rest(ex, f"{path}?symbol=BTCUSDT&limit=1000")
            found = {"depthUpdate": a.depth_events[-1]}
            for _, trade in b.trades:
                found.setdefault(trade["e"], trade)
            await close(a)
            await close(b)
            return found, snapshot

    result: tuple[dict[str, dict[str, Any]], dict[str, Any]] = run(scenario())
    return result


@pytest.fixture(scope="module")
def captures() -> Path:
    folder = binance_captures()
    if folder is None:
        pytest.skip("recorded Binance captures not found (set TRADECOST_BINANCE_CAPTURES)")
    return folder


def test_spot_shapes_match_the_captures(captures: Path) -> None:
    real = _capture_lines(captures / "hftbacktest" / "spot_btcusdt_20240808.gz")
    real_depth, real_trade = _first(real, "depthUpdate"), _first(real, "trade")
    real_agg = _first(_capture_lines(captures / "cryptofeed" / "BINANCE.ws.1.0"), "aggTrade")
    real_rest = next(m for m in real if "lastUpdateId" in m)
    ours, snapshot = _ours("spot")
    assert list(ours["depthUpdate"]) == list(real_depth)
    assert _types(ours["depthUpdate"]) == _types(real_depth)
    assert list(ours["trade"]) == list(real_trade)
    assert _types(ours["trade"]) == _types(real_trade)
    assert list(ours["aggTrade"]) == list(real_agg)
    assert _types(ours["aggTrade"]) == _types(real_agg)
    assert list(snapshot) == list(real_rest)
    for rows in (ours["depthUpdate"]["b"], ours["depthUpdate"]["a"], snapshot["bids"]):
        for price, quantity in rows:
            assert SPOT_NUMBER.match(price) and SPOT_NUMBER.match(quantity)
    for message in (real_depth, ours["depthUpdate"]):  # spot diffs: bids descending
        bids = [Decimal(p) for p, _ in message["b"]]
        assert bids == sorted(bids, reverse=True)


def test_usdm_shapes_match_the_captures(captures: Path) -> None:
    real = _capture_lines(captures / "cryptofeed" / "BINANCE_FUTURES.ws.1.0")
    real_depth = next(m for m in real if m.get("e") == "depthUpdate" and len(m["b"]) > 2)
    real_agg = _first(real, "aggTrade")
    real_rest_line = (captures / "cryptofeed" / "BINANCE_FUTURES.http.0.0").read_text()
    real_rest = json.loads(real_rest_line.splitlines()[0].split(": ", 1)[1])
    ours, snapshot = _ours("usdm")
    assert list(ours["depthUpdate"]) == list(real_depth)
    assert _types(ours["depthUpdate"]) == _types(real_depth)
    assert list(ours["aggTrade"]) == list(real_agg)
    assert _types(ours["aggTrade"]) == _types(real_agg)
    assert set(ours["trade"]) == {"e", "E", "T", "s", "t", "p", "q", "X", "m"}
    assert ours["trade"]["X"] == "MARKET"
    assert list(snapshot) == list(real_rest)
    for message in (real_depth, ours["depthUpdate"]):  # futures diffs: bids ascending
        bids = [Decimal(p) for p, _ in message["b"]]
        assert bids == sorted(bids)
    for price, quantity in ours["depthUpdate"]["b"] + snapshot["asks"]:
        assert isinstance(price, str) and isinstance(quantity, str)
        assert len(price.split(".")[1]) == 1  # BTC's tick 0.1: tick precision, as futures pad


# ------------------------------------------------------------------------ validation


def test_bad_arguments_raise_clear_errors() -> None:
    with pytest.raises(InvalidInputError, match="venue"):
        SimulatedExchange(None, venue="kraken")
    with pytest.raises(InvalidInputError, match="market"):
        SimulatedExchange(None, venue="binance", market="coinm")
    with pytest.raises(InvalidInputError, match="ping_interval"):
        SimulatedExchange(None, venue="binance", ping_interval=0)

    async def scenario() -> None:
        async with SimulatedExchange(pair_market(), venue="binance", limit=1) as ex:
            with pytest.raises(InvalidInputError, match="unknown fault"):
                ex.inject("meteor")
            with pytest.raises(InvalidInputError, match="unknown symbol"):
                ex.inject("drop", symbol="XRPUSDT")
            assert ex.stream_url("btcusdt@depth@100ms", "btcusdt@aggTrade").endswith(
                "/stream?streams=btcusdt@depth@100ms/btcusdt@aggTrade"
            )
        usdm = SimulatedExchange(None, venue="binance", market="usdm")
        with pytest.raises(InvalidInputError, match="/public"):
            usdm.stream_url("btcusdt@depth@100ms", "btcusdt@aggTrade")
        assert usdm.stream_url("btcusdt@aggTrade", combined=False).endswith(
            "/market/ws/btcusdt@aggTrade"
        )

    run(scenario())


@pytest.mark.parametrize(
    ("market", "capture"), [("spot", "BINANCE.0"), ("usdm", "BINANCE_FUTURES.0")]
)
def test_exchange_info_shape_matches_the_captures(
    captures: Path, market: str, capture: str
) -> None:
    line = (captures / "cryptofeed" / capture).read_text().splitlines()[0]
    real = json.loads(line.split(": ", 1)[1])
    real_symbol = real["symbols"][0]
    real_filters = {f["filterType"]: f for f in real_symbol["filters"]}

    async def scenario() -> Any:
        async with SimulatedExchange(pair_market(), venue="binance", market=market, limit=1) as ex:
            path = "/api/v3/exchangeInfo" if market == "spot" else "/fapi/v1/exchangeInfo"
            return await rest(ex, path)

    ours = run(scenario())
    assert set(ours) <= set(real)
    for symbol in ours["symbols"]:
        assert set(symbol) <= set(real_symbol)
        assert _types({k: symbol[k] for k in symbol if k != "filters"}) == _types(
            {k: real_symbol[k] for k in symbol if k != "filters"}
        )
        for f in symbol["filters"]:
            assert set(f) == set(real_filters[f["filterType"]]), f["filterType"]
            assert all(isinstance(value, str) for value in f.values())
