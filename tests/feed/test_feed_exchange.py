"""OKXFeed and SimulatedExchange over loopback: channels, login, REST bootstrap, keep-alive."""

from __future__ import annotations

import asyncio
import itertools
import json
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

from tests.feed.conftest import assert_same_book, fast_feed, run, wait_until
from tests.feed.framegen import book_frames
from tradecost import cli
from tradecost.errors import InvalidInputError, SubscriptionError
from tradecost.feeds.okx import Backoff, Instrument, OKXFeed
from tradecost.feeds.okx.protocol import OKXProtocol, ProcessingTimes
from tradecost.record import read_recording, record
from tradecost.sim import SimulatedExchange

BTC, ETH = "BTC-USDT", "ETH-USDT"


async def caught_up(feed: OKXFeed, exchange: SimulatedExchange, inst_ids: list[str]) -> None:
    await exchange.wait_source_done()
    protocol = feed.protocol
    assert protocol is not None
    await wait_until(
        lambda: all(
            feed.synced(i) and protocol.last_seq_id(i) == exchange.seq_id(i) for i in inst_ids
        ),
        timeout=10,
    )


def interleaved(n: int) -> list[str]:
    btc = book_frames(BTC, n=n, seed=1)
    eth = book_frames(ETH, n=n, seed=2, mid_ticks=20_000, tick="0.01")
    return [frame for pair in zip(btc, eth, strict=True) for frame in pair]


def test_several_instruments_on_one_connection() -> None:
    async def body() -> None:
        async with SimulatedExchange(interleaved(800), rate=5_000) as exchange:
            exchange.pause()
            async with fast_feed(exchange, [BTC, ETH]) as feed:
                await wait_until(lambda: exchange.connections == 1)
                exchange.resume()
                await caught_up(feed, exchange, [BTC, ETH])
                assert exchange.connections == 1
                for inst_id in (BTC, ETH):
                    assert_same_book(feed.books[inst_id], exchange.true_book(inst_id))

    run(body())


def test_timing_keyword_times_every_decode_and_book_update() -> None:
    """``OKXFeed(timing=...)`` hands the histograms to the protocol: one decode per frame and
    one timed book update per incremental update applied (the one snapshot is not an update)."""

    async def body() -> None:
        timing = ProcessingTimes()
        async with SimulatedExchange(book_frames(BTC, n=300, seed=3), rate=5_000) as exchange:
            exchange.pause()
            async with fast_feed(exchange, [BTC], timing=timing) as feed:
                assert feed.protocol is not None and feed.protocol.timing is timing
                await wait_until(lambda: exchange.connections == 1)
                exchange.resume()
                await caught_up(feed, exchange, [BTC])
                assert feed.stats.resyncs == 0 and feed.stats.book_updates == 300
                assert timing.apply.count == feed.stats.book_updates - 1
                assert timing.decode.count >= feed.stats.book_updates
        untimed = OKXProtocol([BTC])
        assert untimed.timing is None

    run(body())


def test_unknown_instrument_raises_subscription_error_60018() -> None:
    async def body() -> None:
        async with SimulatedExchange(inst_ids=[BTC]) as exchange:
            eth = Instrument("NOPE-USDT", "SPOT", Decimal("0.1"), Decimal("0.1"), Decimal("0.1"))
            feed = fast_feed(exchange, ["NOPE-USDT"], instruments={"NOPE-USDT": eth})
            async with feed:
                with pytest.raises(SubscriptionError) as info:
                    async for _ in feed:
                        pass
                assert info.value.code == "60018"
                assert info.value.arg["instId"] == "NOPE-USDT"

    run(body())


def test_no_initial_snapshot_bootstraps_from_rest() -> None:
    async def body() -> None:
        frames = list(book_frames(BTC, n=1_200, seed=5))
        async with SimulatedExchange(frames, rate=4_000, initial_snapshot=False) as exchange:
            exchange.pause()
            exchange.start_source()
            exchange.resume()
            await wait_until(lambda: exchange.frames_published >= 200)
            async with fast_feed(exchange) as feed:
                await wait_until(lambda: feed.synced(BTC), timeout=5)
                exchange.inject("drop")  # the rebuild after a gap uses REST too
                await caught_up(feed, exchange, [BTC])
                assert_same_book(feed.books[BTC], exchange.true_book(BTC))
                assert feed.stats.rest_snapshots == 2
                assert feed.stats.gaps == 1

    run(body())


def test_rest_endpoints_books_and_instruments() -> None:
    swap = Instrument.from_okx(
        {
            "instId": "BTC-USDT-SWAP",
            "instType": "SWAP",
            "tickSz": "0.1",
            "lotSz": "0.01",
            "minSz": "0.01",
            "ctVal": "0.01",
            "ctMult": "1",
            "ctValCcy": "BTC",
            "ctType": "linear",
        }
    )

    async def body() -> None:
        frames = list(book_frames("BTC-USDT-SWAP", n=50, seed=5))
        async with SimulatedExchange(frames, instruments=[swap]) as exchange:
            exchange.start_source()
            await exchange.wait_source_done()
            url = f"{exchange.rest_url}/api/v5/market/books?instId=BTC-USDT-SWAP&sz=5"
            reply = json.loads(await asyncio.to_thread(lambda: urllib.request.urlopen(url).read()))
            data = reply["data"][0]
            assert reply["code"] == "0"
            assert data["seqId"] == exchange.seq_id("BTC-USDT-SWAP")
            assert data["bids"] == exchange.true_book("BTC-USDT-SWAP").bids(5)
            url = f"{exchange.rest_url}/api/v5/public/instruments?instType=SWAP"
            reply = json.loads(await asyncio.to_thread(lambda: urllib.request.urlopen(url).read()))
            assert [row["ctVal"] for row in reply["data"]] == ["0.01"]
            # the feed takes its instrument specs from that endpoint
            async with fast_feed(exchange, "BTC-USDT-SWAP") as feed:
                assert feed.protocol is not None
                assert feed.protocol.streams["BTC-USDT-SWAP"].instrument.lot_size == Decimal("0.01")

    run(body())


@pytest.mark.parametrize(("channel", "depth"), [("books5", 5), ("bbo-tbt", 1), ("books", None)])
def test_public_channels_end_on_the_true_book(channel: str, depth: int | None) -> None:
    async def body() -> None:
        frames = list(book_frames(BTC, n=800, seed=9))
        async with SimulatedExchange(frames, rate=5_000, checksum="zero") as exchange:
            exchange.pause()
            async with fast_feed(exchange, BTC, channel=channel) as feed:
                await wait_until(lambda: exchange.connections == 1)
                exchange.resume()
                await exchange.wait_source_done()
                await wait_until(lambda: feed.synced(BTC))
                await asyncio.sleep(0.1)
                assert_same_book(feed.books[BTC], exchange.true_book(BTC), depth)

    run(body())


def test_tbt_channels_need_login_and_work_with_it() -> None:
    credentials = {"key-1": ("s3cret", "phrase")}

    async def body() -> None:
        frames = list(book_frames(BTC, n=900, seed=4, depth=80))
        async with SimulatedExchange(frames, rate=5_000, credentials=credentials) as exchange:
            exchange.pause()
            options = {"api_key": "key-1", "secret_key": "s3cret", "passphrase": "phrase"}
            books50 = fast_feed(exchange, BTC, channel="books50-l2-tbt", **options)
            l2_tbt = fast_feed(exchange, ETH, channel="books-l2-tbt", **options)
            async with books50, l2_tbt:
                await wait_until(lambda: exchange.connections == 2)
                exchange.resume()
                await caught_up_window(books50, exchange)
                assert_same_book(books50.books[BTC], exchange.true_book(BTC), 50)
                assert l2_tbt.protocol is not None
                assert l2_tbt.protocol.logged_in
                assert books50.stats.gaps == 0
                assert books50.stats.resyncs == 0
            wrong = fast_feed(
                exchange,
                BTC,
                channel="books-l2-tbt",
                api_key="key-1",
                secret_key="x",
                passphrase="phrase",
            )
            async with wrong:
                with pytest.raises(SubscriptionError) as info:
                    async for _ in wrong:
                        pass
                assert info.value.code == "60009"

    run(body())
    with pytest.raises(InvalidInputError, match="login"):
        OKXFeed(BTC, channel="books-l2-tbt")


async def caught_up_window(feed: OKXFeed, exchange: SimulatedExchange) -> None:
    await exchange.wait_source_done()
    await wait_until(lambda: feed.synced(BTC))
    await asyncio.sleep(0.1)


def test_login_is_refused_for_tbt_without_it_on_the_wire() -> None:
    async def body() -> None:
        async with SimulatedExchange(inst_ids=[BTC]) as exchange, connect(exchange.url) as ws:
            await ws.send(
                json.dumps(
                    {"op": "subscribe", "args": [{"channel": "books-l2-tbt", "instId": BTC}]}
                )
            )
            reply = json.loads(await ws.recv())
            assert reply["event"] == "error"
            assert reply["code"] == "60011"
            await ws.send(
                json.dumps(
                    {
                        "op": "subscribe",
                        "args": [
                            {"channel": "books", "instId": BTC},
                            {"channel": "books-l2-tbt", "instId": BTC},
                        ],
                    }
                )
            )
            assert json.loads(await ws.recv())["event"] == "subscribe"
            assert json.loads(await ws.recv())["code"] == "60011"

    run(body())


def test_text_ping_pong_and_idle_close_4004() -> None:
    async def body() -> None:
        async with SimulatedExchange(inst_ids=[BTC], idle_timeout=0.3) as exchange:  # noqa: SIM117
            async with connect(exchange.url) as ws:
                await ws.send("ping")
                assert await ws.recv() == "pong"
                with pytest.raises(ConnectionClosed) as info:
                    await ws.recv()
                assert info.value.rcvd is not None
                assert info.value.rcvd.code == 4004

    run(body())


def test_heartbeats_keep_a_quiet_book_alive() -> None:
    async def body() -> None:
        frames = list(book_frames(BTC, n=20, seed=1))
        async with SimulatedExchange(frames, heartbeat_interval=0.05) as exchange:  # noqa: SIM117
            async with fast_feed(exchange, stale_after=0.5) as feed:
                await caught_up(feed, exchange, [BTC])
                await wait_until(lambda: feed.stats.heartbeats >= 5)
                assert feed.synced(BTC)
                assert (feed.stats.gaps, feed.stats.stale_books, feed.stats.resyncs) == (0, 0, 0)

    run(body())


def test_silent_book_is_detected_stale_and_rebuilt() -> None:
    async def body() -> None:
        frames = list(book_frames(BTC, n=20, seed=1))
        async with SimulatedExchange(frames, heartbeat_interval=60) as exchange:  # noqa: SIM117
            async with fast_feed(exchange, stale_after=0.15, ping_interval=5) as feed:
                await caught_up(feed, exchange, [BTC])
                await wait_until(lambda: feed.stats.stale_books >= 1)
                await wait_until(lambda: feed.synced(BTC))
                assert feed.stats.resyncs >= 1
                assert feed.stats.gaps == 0

    run(body())


def test_slow_consumer_gets_the_newest_book_and_reader_never_waits() -> None:
    async def body() -> None:
        frames = list(book_frames(BTC, n=2_000, seed=8))
        async with SimulatedExchange(frames, rate=20_000, record_history=True) as exchange:
            exchange.pause()
            async with fast_feed(exchange) as feed:
                await wait_until(lambda: exchange.connections == 1)
                exchange.resume()
                delivered = 0
                async for event in feed:
                    delivered += 1
                    assert feed.synced(event.inst_id)
                    protocol = feed.protocol
                    assert protocol is not None
                    seq = protocol.last_seq_id(BTC)
                    assert seq is not None
                    assert event.book.checksum() == exchange.history[(BTC, seq)]  # type: ignore[index]
                    await asyncio.sleep(0.01)  # a consumer 10 ms per event
                    if seq == exchange.seq_id(BTC) and exchange.source_done:
                        break
                assert feed.stats.conflated > 0
                assert delivered + feed.stats.conflated == feed.stats.book_updates
                assert_same_book(feed.books[BTC], exchange.true_book(BTC))

    run(body())


def test_backoff_is_capped_jittered_and_resets() -> None:
    import random

    backoff = Backoff(initial=0.1, maximum=1.0, factor=2.0, jitter=0.5, rng=random.Random(1))
    delays = [backoff.next_delay() for _ in range(8)]
    ceilings = [min(1.0, 0.1 * 2**n) for n in range(8)]
    assert all(c * 0.5 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert len(set(delays)) == 8
    backoff.reset()
    assert 0.05 <= backoff.next_delay() <= 0.1
    with pytest.raises(InvalidInputError):
        Backoff(initial=0.0)


def test_no_reconnect_storm_against_a_server_that_drops_every_connection() -> None:
    slept: list[float] = []

    async def fake_sleep(delay: float) -> None:
        slept.append(delay)
        await asyncio.sleep(0)

    async def reject(ws: Any) -> None:
        await ws.close()

    async def body() -> None:
        async with serve(reject, "127.0.0.1", 0) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            feed = OKXFeed(
                BTC,
                url=f"ws://127.0.0.1:{port}/ws/v5/public",
                backoff=Backoff(initial=0.1, maximum=0.8, jitter=0.0),
                sleep=fake_sleep,
                max_reconnects=6,
                instruments={},
            )
            async with feed:
                with pytest.raises(Exception, match="gave up after 6 reconnects"):
                    async for _ in feed:
                        pass
            assert feed.stats.reconnects == 6

    run(body())
    assert slept == [0.1, 0.2, 0.4, 0.8, 0.8, 0.8]


def test_relay_stream_over_a_socket() -> None:
    async def body() -> None:
        frames = list(book_frames(BTC, n=300, seed=2))
        async with SimulatedExchange(frames, rate=3_000) as exchange:
            exchange.pause()
            async with fast_feed(exchange, BTC, url=exchange.relay_url(BTC), relay=True) as feed:
                await wait_until(lambda: exchange.connections == 1)
                exchange.resume()
                await exchange.wait_source_done()
                await asyncio.sleep(0.1)
                assert feed.synced(BTC)
                assert_same_book(feed.books[BTC], exchange.true_book(BTC))
                assert feed.stats.bad_frames == 0

    run(body())


def test_record_then_replay_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "btc.ndjson.gz"

    async def body() -> int:
        frames = list(book_frames(BTC, n=400, seed=6))
        async with SimulatedExchange(frames, rate=4_000) as exchange:
            return await record(path, exchange.url, [("books", BTC)], max_frames=300)

    assert run(body()) == 300
    entries = list(read_recording(path))
    assert len(entries) == 300
    assert all(isinstance(ts, int) and ts > 0 for ts, _ in entries)
    assert json.loads(entries[0][1])["event"] == "subscribe"
    assert cli.main(["replay", "--quiet", str(path)]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["frames"] == 300
    assert summary["stats"]["book_updates"] == 299
    assert summary["stats"]["gaps"] == 0
    assert summary["stats"]["bad_frames"] == 0


def test_exchange_replays_a_recorded_capture(captures: Path) -> None:
    lines = (captures / "okx_2022-05-13_books_BTC-USDT.ndjson").read_text().splitlines()
    times = itertools.count(1_652_459_225_000_000_000, 100_000_000)
    recording = [(next(times), line) for line in lines]

    async def body() -> None:
        async with SimulatedExchange(recording, speed=50.0) as exchange:
            exchange.pause()
            async with fast_feed(exchange) as feed:
                await wait_until(lambda: exchange.connections == 1)
                exchange.resume()
                await caught_up(feed, exchange, [BTC])
                truth = exchange.true_book(BTC)
                assert_same_book(feed.books[BTC], truth)
                assert feed.books[BTC].checksum() == json.loads(lines[-1])["data"][0]["checksum"]
                assert feed.stats.checksum_errors == 0

    run(body())
