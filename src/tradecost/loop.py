"""Which asyncio event loop runs a feed.

The loop's wake-up when bytes arrive is most of the feed's latency on an idle machine. On the
loopback benchmark (``python benchmarks/bench_feed.py``, docs/performance.md) uvloop's libuv loop
reaches a socket callback about 40 µs sooner than the standard library's selector loop, so the
command-line tools use it where it is installed (it is a dependency on Linux and macOS). Library
users run :class:`~tradecost.feeds.okx.OKXFeed` on whatever loop they run, e.g.
``asyncio.Runner(loop_factory=event_loop_factory())``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from tradecost.errors import InvalidInputError

__all__ = ["LOOPS", "event_loop_factory", "run"]

LOOPS = ("auto", "uvloop", "asyncio")

T = TypeVar("T")


def event_loop_factory(name: str = "auto") -> Callable[[], asyncio.AbstractEventLoop]:
    """A loop factory for :class:`asyncio.Runner`: ``"uvloop"``, ``"asyncio"`` (the standard
    library's), or ``"auto"`` (uvloop when it imports, else asyncio)."""
    if name not in LOOPS:
        raise InvalidInputError(f"event loop must be one of {', '.join(LOOPS)}, not {name!r}")
    if name != "asyncio":
        try:
            import uvloop
        except ImportError:
            if name == "uvloop":
                raise InvalidInputError(
                    "uvloop is not installed (pip install uvloop; not available on Windows)"
                ) from None
        else:
            factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
            return factory
    return asyncio.new_event_loop


def loop_name(loop: asyncio.AbstractEventLoop) -> str:
    """``"uvloop"`` or ``"asyncio"``: what runs ``loop``."""
    return "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"


def run(coro: Coroutine[Any, Any, T], loop: str = "auto") -> T:
    """``asyncio.run`` on the loop ``loop`` names (see :func:`event_loop_factory`)."""
    with asyncio.Runner(loop_factory=event_loop_factory(loop)) as runner:
        return runner.run(coro)
