"""Recorded Binance traffic through the whole client: a server on 127.0.0.1 sends the recorded
hftbacktest BTCUSDT stream (depth@100ms, bookTicker, trades) as fast as the socket takes it and
answers the REST depth request with the recorded snapshot once the stream has reached the point
where that snapshot arrived. The feed's book must end equal to the plain reference replay."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import numpy as np
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

import tradecost as tc
from tests.binance.captures import load_capture, require_captures
from tests.binance.reference import ReferenceReplay, payload
from tests.binance.test_client import EXCHANGE_INFO, FakeBinance, run


def test_recorded_stream_through_the_client():
    capture = load_capture(require_captures(), "hftbacktest_btcusdt")
    records = capture.records
    rest_at = next(i for i, r in enumerate(records) if r[0] == "rest")
    reference = ReferenceReplay(futures=False)
    recorded_trades = []
    for record in records:
        if record[0] == "rest":
            reference.snapshot(payload(record[3])[1])
            continue
        _, data = payload(record[2])
        if data.get("e") == "depthUpdate":
            reference.event(data)
        elif data.get("e") == "trade":
            recorded_trades.append(data)
    frames = [r[2] for r in records if r[0] == "ws"]
    assert reference.breaks == 0 and reference.last is not None

    async def main() -> None:
        sent = 0
        all_sent = asyncio.Event()

        async def process_request(
            connection: ServerConnection, request: Request
        ) -> Response | None:
            if request.path.startswith("/api/v3/exchangeInfo"):
                return FakeBinance._json(connection, EXCHANGE_INFO)
            if request.path.startswith("/api/v3/depth"):
                while sent < rest_at:  # the recorded snapshot came back after `rest_at` records
                    await asyncio.sleep(0.001)
                return FakeBinance._json(connection, json.loads(records[rest_at][3]))
            return None

        async def handler(ws: ServerConnection) -> None:
            nonlocal sent
            request = json.loads(await ws.recv())
            await ws.send(json.dumps({"result": None, "id": request["id"]}))
            for index, frame in enumerate(frames):
                await ws.send(frame)
                sent = index + 1  # records before the REST one: exactly `rest_at` frames
                if index % 50 == 0:
                    await asyncio.sleep(0)
            all_sent.set()
            await ws.wait_closed()

        events: list[Any] = []
        crossed = 0

        def on_event(event: Any) -> None:
            nonlocal crossed
            events.append(event)
            if isinstance(event, tc.BookEvent) and not event.stale:
                book = event.book
                crossed += book.n_bids > 0 and book.n_asks > 0 and book.best_bid >= book.best_ask

        async with serve(handler, "127.0.0.1", 0, process_request=process_request) as server:
            url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/stream"
            feed = tc.BinanceFeed(["BTCUSDT"], url=url, on_event=on_event, silence_timeout=None)
            async with feed:
                await all_sent.wait()
                async with asyncio.timeout(30):
                    while feed.stats.messages < len(frames) + 1:
                        await asyncio.sleep(0.01)
                stats = feed.stats
                assert (stats.gaps, stats.resyncs, stats.bad_frames, stats.refetches) == (
                    0,
                    0,
                    0,
                    0,
                )
                assert stats.rest_snapshots == 1 and crossed == 0
                assert feed.synced("BTCUSDT")
                book = feed.books["BTCUSDT"]
                bids, asks = reference.book.levels()
                np.testing.assert_array_equal(book.bids(), np.array(bids).reshape(-1, 2))
                np.testing.assert_array_equal(book.asks(), np.array(asks).reshape(-1, 2))
                trades = [e for e in events if isinstance(e, tc.TradeEvent)]
                assert len(trades) == len(recorded_trades) > 1000
                for event, data in zip(trades, recorded_trades, strict=True):
                    assert event.trade_id == str(data["t"])
                    assert event.side == ("sell" if data["m"] else "buy")
                    assert event.exch_ts == data["T"] * 1_000_000

    run(main(), timeout=120)
