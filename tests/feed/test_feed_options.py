"""The options every feed takes (``FeedOptions``) are one set with one default each: both venue
clients accept exactly them, pass them through unchanged and default them alike. Nothing here
connects: constructing a feed opens no socket."""

from __future__ import annotations

import asyncio
import inspect
import ssl
import time
from typing import Any

import pytest

import tradecost as tc
from tradecost.feeds._client import FeedClient, FeedOptions
from tradecost.feeds.reconnect import Backoff

FEEDS: list[tuple[type[Any], Any]] = [(tc.OKXFeed, ["BTC-USDT"]), (tc.BinanceFeed, ["BTCUSDT"])]


def test_the_typed_options_are_the_keywords_the_shell_takes():
    keywords = {
        name
        for name, parameter in inspect.signature(FeedClient._init_client).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    }
    assert set(FeedOptions.__annotations__) == keywords


@pytest.mark.parametrize(("feed_class", "symbols"), FEEDS)
def test_defaults_are_the_same_on_every_venue(feed_class: type[Any], symbols: Any):
    feed = feed_class(symbols)
    assert feed.open_timeout == 10.0 and feed.rest_timeout == 10.0
    assert isinstance(feed.backoff, Backoff) and feed.backoff.initial == Backoff().initial
    assert feed.max_reconnects is None
    assert feed._trades.maxlen == 100_000
    assert feed.clock is time.time_ns and feed.sleep is asyncio.sleep
    assert feed.book_factory is None and feed.on_event is None and feed.ssl is None


@pytest.mark.parametrize(("feed_class", "symbols"), FEEDS)
def test_every_option_is_passed_through(feed_class: type[Any], symbols: Any):
    backoff = Backoff(initial=0.01)
    context = ssl.create_default_context()
    events: list[object] = []

    def clock() -> int:
        return 42

    async def sleep(seconds: float) -> None:
        return None

    def book_factory(instrument: object) -> object:
        return instrument

    feed = feed_class(
        symbols,
        open_timeout=1.5,
        rest_timeout=2.5,
        backoff=backoff,
        max_reconnects=3,
        trade_queue=7,
        clock=clock,
        sleep=sleep,
        book_factory=book_factory,
        on_event=events.append,
        ssl=context,
    )
    assert (feed.open_timeout, feed.rest_timeout, feed.max_reconnects) == (1.5, 2.5, 3)
    assert feed.backoff is backoff and feed._trades.maxlen == 7
    assert feed.clock is clock and feed.sleep is sleep and feed.book_factory is book_factory
    assert feed.on_event == events.append and feed.ssl is context


@pytest.mark.parametrize(("feed_class", "symbols"), FEEDS)
def test_an_unknown_option_is_refused(feed_class: type[Any], symbols: Any):
    with pytest.raises(TypeError, match="open_timeout_s"):
        feed_class(symbols, open_timeout_s=1.0)
