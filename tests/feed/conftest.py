"""Shared helpers for the feed tests: capture folder, frame streams, fast timers."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tradecost.feeds.okx import Backoff, OKXFeed
from tradecost.sim import SimulatedExchange

REPO = Path(__file__).resolve().parents[2]


def captures_dir() -> Path | None:
    """``$TRADECOST_OKX_CAPTURES``, else ``../shared/data/okx`` next to the checkout."""
    configured = os.environ.get("TRADECOST_OKX_CAPTURES")
    folder = Path(configured) if configured else REPO.parent / "shared" / "data" / "okx"
    return folder if folder.is_dir() else None


@pytest.fixture
def captures() -> Path:
    folder = captures_dir()
    if folder is None:
        pytest.skip("recorded OKX captures not available (set TRADECOST_OKX_CAPTURES)")
    return folder


def run(coro: Awaitable[Any], timeout: float = 20.0) -> Any:
    """Run one test coroutine with a hard time limit."""

    async def limited() -> Any:
        async with asyncio.timeout(timeout):
            return await coro

    return asyncio.run(limited())


def fast_feed(
    exchange: SimulatedExchange, inst_ids: list[str] | str = "BTC-USDT", **kw: Any
) -> OKXFeed:
    """An OKXFeed with millisecond timers pointed at ``exchange``."""
    options: dict[str, Any] = {
        "url": exchange.url,
        "ping_interval": 0.2,
        "pong_timeout": 0.2,
        "resync_timeout": 2.0,
        "stale_after": None,
        "backoff": Backoff(initial=0.01, maximum=0.05),
    }
    options.update(kw)
    return OKXFeed(inst_ids, **options)


def book_arrays(
    levels: tuple[list[tuple[float, float]], list[tuple[float, float]]],
) -> tuple[np.ndarray, np.ndarray]:
    bids, asks = levels
    return np.array(bids, dtype=float).reshape(-1, 2), np.array(asks, dtype=float).reshape(-1, 2)


def assert_same_book(book: Any, truth: Any, depth: int | None = None) -> None:
    """The feed's book holds exactly the exchange's levels (top ``depth`` when given)."""
    bids, asks = book_arrays(truth.levels())
    if depth is not None:
        bids, asks = bids[:depth], asks[:depth]
    np.testing.assert_array_equal(book.bids(), bids)
    np.testing.assert_array_equal(book.asks(), asks)


async def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.002)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The 1M-message soak runs only when asked: ``-m slow`` or ``TRADECOST_RUN_SLOW=1``."""
    if "slow" in (config.getoption("-m") or "") or os.environ.get("TRADECOST_RUN_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow soak: run with -m slow or TRADECOST_RUN_SLOW=1")
    here = Path(__file__).parent
    for item in items:
        if "slow" in item.keywords and here in Path(str(item.fspath)).parents:
            item.add_marker(skip)
