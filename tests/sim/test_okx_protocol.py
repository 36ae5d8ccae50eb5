"""The simulated OKX venue without a socket: client texts and source frames in, frames out.

The oracle client is the feed's own sans-I/O ``OKXProtocol``: every frame the venue produces is
fed to it, and the book it rebuilds must be exactly the venue's ``true_book``. Login signatures
are checked against an HMAC written out here (OKX v5 docs, "Login": base64 of HMAC-SHA256 of
``timestamp + "GET" + "/users/self/verify"``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import numpy as np
import pytest

from tradecost.feeds.okx import OKXProtocol, spec
from tradecost.feeds.okx.protocol import BookState
from tradecost.instruments import Instrument
from tradecost.sim import SimulatedMarket
from tradecost.sim.levels import LevelBook, okx_checksum
from tradecost.sim.okx_protocol import BookFrame, Connection, OKXVenue

BTC = "BTC-USDT"
NOW_MS = 1_767_225_600_000
NOW_S = NOW_MS / 1000
KEY, SECRET, PASSPHRASE = "key-1", "secret-1", "pass-1"


def written_out_sign(secret: str, stamp: str) -> str:
    digest = hmac.new(
        secret.encode(), f"{stamp}GET/users/self/verify".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


class Wire:
    """One connection between the venue and an ``OKXProtocol``, with no socket in between."""

    def __init__(self, venue: OKXVenue, client: OKXProtocol) -> None:
        self.venue = venue
        self.client = client
        self.conn = venue.connect()
        self.clock = 0.0
        self.local_ts = 0
        self.received: list[str] = []
        client.connection_made(0, timestamp_s=str(int(NOW_S)))
        self.flush()

    def deliver(self, text: str) -> None:
        self.received.append(text)
        self.local_ts += 1
        self.client.receive(text, self.local_ts)

    def flush(self) -> None:
        """Client requests to the venue and its replies back, until the client is quiet."""
        while self.client.wants_to_send:
            for request in self.client.data_to_send():
                reply = self.venue.on_message(self.conn, request, now_ms=NOW_MS, now_s=NOW_S)
                for text in reply.frames:
                    self.deliver(text)

    def publish(self, frame: str | bytes) -> None:
        self.clock += 0.1
        for delivery in self.venue.on_source(frame, now_ms=NOW_MS, clock=self.clock) or []:
            if delivery.conn is self.conn:
                out = delivery.frame
                self.deliver(out if isinstance(out, str) else out.text)
        self.flush()


def same_book(book: Any, truth: LevelBook, depth: int | None = None) -> None:
    """The client's book holds exactly the venue's levels (top ``depth`` when given)."""
    bids, asks = truth.levels()
    want_bids = np.array(bids, dtype=float).reshape(-1, 2)[:depth]
    want_asks = np.array(asks, dtype=float).reshape(-1, 2)[:depth]
    np.testing.assert_array_equal(book.bids(), want_bids)
    np.testing.assert_array_equal(book.asks(), want_asks)


def market_and_instruments(seed: int = 11) -> tuple[SimulatedMarket, dict[str, Instrument]]:
    market = SimulatedMarket(symbol=BTC, seed=seed)
    return market, {BTC: Instrument.from_okx(market.instrument)}


@pytest.mark.parametrize(
    ("channel", "depth"),
    [
        ("books", None),
        ("books-l2-tbt", None),
        ("books50-l2-tbt", 50),
        ("books5", 5),
        ("bbo-tbt", 1),
    ],
)
@pytest.mark.parametrize("checksum", ["crc32", "zero"])
def test_client_rebuilds_the_true_book_after_every_frame(
    channel: str, depth: int | None, checksum: str
) -> None:
    market, instruments = market_and_instruments()
    venue = OKXVenue(checksum=checksum, credentials={KEY: (SECRET, PASSPHRASE)})
    credentials = (KEY, SECRET, PASSPHRASE) if channel in spec.LOGIN_CHANNELS else None
    client = OKXProtocol(
        [BTC], channel, trades=True, instruments=instruments, credentials=credentials
    )
    wire = Wire(venue, client)
    checked = 0
    for frame in market.messages(n=600):
        wire.publish(frame)
        if client.is_synced(BTC):
            same_book(client.books[BTC], venue.true_book(BTC), depth)
            checked += 1
    assert checked > 400
    assert client.is_synced(BTC)
    stats = client.stats
    assert (stats.gaps, stats.checksum_errors, stats.resyncs, stats.bad_frames) == (0, 0, 0, 0)
    assert stats.trades > 0
    if channel in spec.INCREMENTAL_CHANNELS and depth is None:
        assert client.last_seq_id(BTC) == venue.seq_id(BTC)


def test_sequence_chain_snapshot_then_updates() -> None:
    market, _ = market_and_instruments()
    venue = OKXVenue()
    conn = venue.connect()
    reply_of(venue, conn, subscribe("books"))
    pushes = []
    for clock, frame in enumerate(market.messages(n=200)):
        for delivery in venue.on_source(frame, now_ms=NOW_MS, clock=float(clock)) or []:
            text = delivery.frame if isinstance(delivery.frame, str) else delivery.frame.text
            message = json.loads(text)
            if message["arg"]["channel"] == "books":
                pushes.append(message)
    assert pushes[0]["action"] == "snapshot"
    assert pushes[0]["data"][0]["prevSeqId"] == -1
    previous = pushes[0]["data"][0]["seqId"]
    for push in pushes[1:]:
        assert push["action"] == "update"
        data = push["data"][0]
        assert data["prevSeqId"] == previous
        assert data["seqId"] == previous + 1
        previous = data["seqId"]
        assert data["ts"] == str(NOW_MS)
    assert previous == venue.seq_id(BTC)
    book = venue.true_book(BTC)
    assert pushes[-1]["data"][0]["checksum"] == okx_checksum(book.bids(25), book.asks(25))


def test_reset_restarts_the_chain_and_the_client_follows() -> None:
    market, instruments = market_and_instruments()
    venue = OKXVenue()
    client = OKXProtocol([BTC], instruments=instruments)
    wire = Wire(venue, client)
    frames = list(market.messages(n=300))
    for frame in frames[:150]:
        wire.publish(frame)
    before = venue.seq_id(BTC)
    venue.reset(BTC)
    for frame in frames[150:]:
        wire.publish(frame)
    assert venue.injected["reset"] == 1
    assert client.stats.resets == 1
    assert client.is_synced(BTC)
    same_book(client.books[BTC], venue.true_book(BTC))
    assert venue.seq_id(BTC) < before


def test_heartbeat_after_the_interval_only() -> None:
    market, instruments = market_and_instruments()
    venue = OKXVenue()
    client = OKXProtocol([BTC], instruments=instruments)
    wire = Wire(venue, client)
    for frame in market.messages(n=50):
        wire.publish(frame)
    assert venue.heartbeats(wire.clock + 0.5, 1.0, NOW_MS) == []
    (beat,) = venue.heartbeats(wire.clock + 1.0, 1.0, NOW_MS)
    assert beat.conn is wire.conn
    assert isinstance(beat.frame, str)
    data = json.loads(beat.frame)["data"][0]
    assert data["bids"] == data["asks"] == []
    assert data["seqId"] == data["prevSeqId"] == venue.seq_id(BTC)
    wire.deliver(beat.frame)
    assert client.stats.heartbeats == 1
    assert client.is_synced(BTC)
    # the instrument's quiet time restarts at the heartbeat
    assert venue.heartbeats(wire.clock + 1.5, 1.0, NOW_MS) == []


def test_a_corrupted_checksum_makes_the_client_resync() -> None:
    market, instruments = market_and_instruments()
    venue = OKXVenue()
    client = OKXProtocol([BTC], instruments=instruments)
    wire = Wire(venue, client)
    frames = list(market.messages(n=120))
    for frame in frames[:100]:
        wire.publish(frame)
    corrupted = 0
    for frame in frames[100:]:
        for delivery in venue.on_source(frame, now_ms=NOW_MS, clock=0.0) or []:
            out = delivery.frame
            if isinstance(out, BookFrame) and corrupted == 0 and (out.bids or out.asks):
                wire.deliver(out.corrupted(salt=12345))
                corrupted += 1
    assert corrupted == 1
    assert client.stats.checksum_errors == 1
    assert client.state(BTC) is not BookState.LIVE


def test_rest_bootstrap_without_a_websocket_snapshot() -> None:
    market, instruments = market_and_instruments()
    venue = OKXVenue(initial_snapshot=False)
    client = OKXProtocol([BTC], instruments=instruments, bootstrap="rest")
    frames = list(market.messages(n=200))
    wire = Wire(venue, client)
    for frame in frames[:20]:
        wire.publish(frame)
    assert not any('"action":"snapshot"' in text for text in wire.received)
    for frame in frames[20:]:
        wire.publish(frame)
        for inst_id in client.rest_requests():
            body = venue.rest_books({"instId": inst_id, "sz": "400"})
            client.receive_rest_snapshot(inst_id, json.dumps(body), wire.local_ts)
    assert client.stats.rest_snapshots >= 1
    assert client.is_synced(BTC)
    same_book(client.books[BTC], venue.true_book(BTC))


def test_rest_books_and_instruments() -> None:
    market, instruments = market_and_instruments()
    venue = OKXVenue()
    venue.add_instrument(instruments[BTC])
    assert venue.rest_books({"instId": BTC})["code"] == "51001"  # nothing published yet
    for frame in market.messages(n=30):
        venue.on_source(frame, now_ms=NOW_MS, clock=0.0)
    body = venue.rest_books({"instId": BTC, "sz": "3"})
    (data,) = body["data"]
    truth = venue.true_book(BTC)
    assert (data["bids"], data["asks"]) == (truth.bids(3), truth.asks(3))
    assert data["seqId"] == venue.seq_id(BTC)
    assert venue.rest_books({"instId": BTC, "sz": "x"})["code"] == "50014"
    listed = venue.rest_instruments({"instType": "SPOT"})["data"]
    assert [row["instId"] for row in listed] == [BTC]
    assert Instrument.from_okx(listed[0]) == instruments[BTC]
    assert venue.rest_instruments({"instType": "SWAP"})["data"] == []


def reply_of(venue: OKXVenue, conn: Connection, request: Any) -> list[dict[str, Any]]:
    text = request if isinstance(request, str) else json.dumps(request)
    frames = venue.on_message(conn, text, now_ms=NOW_MS, now_s=NOW_S).frames
    return [json.loads(frame) if frame != "pong" else {"pong": True} for frame in frames]


def login(stamp: str, sign: str, passphrase: str = PASSPHRASE) -> dict[str, Any]:
    arg = {"apiKey": KEY, "passphrase": passphrase, "timestamp": stamp, "sign": sign}
    return {"op": "login", "id": "L1", "args": [arg]}


def test_login_checks_the_signature_the_passphrase_and_the_time() -> None:
    venue = OKXVenue(credentials={KEY: (SECRET, PASSPHRASE)})
    stamp = str(int(NOW_S))
    good = written_out_sign(SECRET, stamp)
    conn = venue.connect()
    for request in (
        login(stamp, written_out_sign("other", stamp)),
        login(stamp, good, passphrase="wrong"),
        login(str(int(NOW_S) - 60), written_out_sign(SECRET, str(int(NOW_S) - 60))),
        {"op": "login", "args": []},
    ):
        (reply,) = reply_of(venue, conn, request)
        assert (reply["event"], reply["code"]) == ("error", spec.LOGIN_FAILED)
        assert not conn.logged_in
    (reply,) = reply_of(venue, conn, login(stamp, good))
    assert reply == {"id": "L1", "event": "login", "code": "0", "msg": "", "connId": conn.conn_id}
    assert conn.logged_in


def subscribe(channel: str, inst_id: str = BTC, req_id: str = "7") -> dict[str, Any]:
    return {"op": "subscribe", "id": req_id, "args": [{"channel": channel, "instId": inst_id}]}


def test_subscription_errors_and_acks() -> None:
    venue = OKXVenue()
    venue.add_instrument(market_and_instruments()[1][BTC])
    conn = venue.connect()
    assert reply_of(venue, conn, "ping") == [{"pong": True}]
    codes = {
        "bad json": reply_of(venue, conn, "{nope")[0]["code"],
        "bad op": reply_of(venue, conn, {"op": "fly", "args": []})[0]["code"],
        "no args": reply_of(venue, conn, {"op": "subscribe", "args": []})[0]["code"],
        "channel": reply_of(venue, conn, subscribe("books7"))[0]["code"],
        "instrument": reply_of(venue, conn, subscribe("books", "NOPE-USDT"))[0]["code"],
        "login": reply_of(venue, conn, subscribe("books-l2-tbt"))[0]["code"],
    }
    assert codes == {
        "bad json": spec.INVALID_REQUEST,
        "bad op": spec.INVALID_OP,
        "no args": spec.INVALID_REQUEST,
        "channel": spec.NO_SUCH_CHANNEL,
        "instrument": spec.NO_SUCH_CHANNEL,
        "login": spec.LOGIN_REQUIRED,
    }
    ack = reply_of(venue, conn, subscribe("books"))
    assert ack == [
        {
            "id": "7",
            "event": "subscribe",
            "arg": {"channel": "books", "instId": BTC},
            "connId": conn.conn_id,
        }
    ]
    assert conn.subs == {("books", BTC): True}  # the snapshot is owed until the first change
    conn.logged_in = True
    (conflict,) = reply_of(venue, conn, subscribe("books-l2-tbt"))
    assert conflict["code"] == spec.CHANNEL_CONFLICT
    (gone,) = reply_of(venue, conn, {**subscribe("books"), "op": "unsubscribe"})
    assert gone["event"] == "unsubscribe"
    assert conn.subs == {}


def test_relay_connection_gets_the_full_book() -> None:
    market, _ = market_and_instruments()
    venue = OKXVenue()
    early = venue.connect(relay_inst=BTC)
    assert venue.opening_frames(early) == []
    last: list[str] = []
    for frame in market.messages(n=40):
        out = venue.on_source(frame, now_ms=NOW_MS, clock=0.0) or []
        last = [d.frame for d in out if d.conn is early and isinstance(d.frame, str)] or last
    late = venue.connect(relay_inst=BTC)
    (opening,) = venue.opening_frames(late)
    assert opening == last[-1]
    body = json.loads(opening)
    truth = venue.true_book(BTC)
    assert body["symbol"] == BTC
    assert body["bids"] == [row[:2] for row in truth.bids()]
    assert body["asks"] == [row[:2] for row in truth.asks()]


def test_same_seed_same_frames_no_clock_inside() -> None:
    def run() -> list[str]:
        market, _ = market_and_instruments(seed=3)
        venue = OKXVenue(seed=5)
        conn = venue.connect()
        request = json.dumps(subscribe("books"))
        out = venue.on_message(conn, request, now_ms=NOW_MS, now_s=NOW_S).frames
        for frame in market.messages(n=100):
            for delivery in venue.on_source(frame, now_ms=NOW_MS, clock=0.0) or []:
                out.append(
                    delivery.frame if isinstance(delivery.frame, str) else delivery.frame.text
                )
        return out

    assert run() == run()


def test_bad_settings_are_refused() -> None:
    from tradecost.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="checksum"):
        OKXVenue(checksum="md5")
