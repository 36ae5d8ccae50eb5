"""What tradecost knows about OKX's v5 public market-data wire, in one place.

Used by the OKX protocol (``protocol.py``) and client, the simulated OKX exchange
(``tradecost.sim.exchange``), the recorder (``tradecost.record``) and the models
(``tradecost.models.datasets``, ``tradecost.sim.fit``). Sources: OKX v5 API docs, "WebSocket /
Login", "Order book channel", "Trades channel", "Error codes / Public"; OKX changelog.

Facts kept here:

* Book channels and the depth each carries: ``books`` (400 levels, 100 ms), ``books-l2-tbt``
  (400, tick by tick), ``books50-l2-tbt`` (50, tick by tick) are incremental; ``books5`` (5) and
  ``bbo-tbt`` (1) pushes are complete snapshots. The two tick-by-tick channels need a login.
* Login: ``sign = Base64(HMAC-SHA256(secretKey, timestamp + "GET" + "/users/self/verify"))``,
  ``timestamp`` in Unix seconds; OKX rejects a login more than 30 s away from its clock.
* Times (``ts``) are milliseconds since the epoch, sent as strings.
* A ``trades`` row is ``{"instId", "tradeId", "px", "sz", "side", "ts"}``: ``side`` is the
  taker's; ``sz`` is in book units (contracts on swaps and futures, base units on spot).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from tradecost.feeds.events import TradeEvent

__all__ = [
    "BOOK_CHANNELS",
    "BOOK_DEPTH",
    "CHANNELS",
    "FATAL_CODES",
    "INCREMENTAL_CHANNELS",
    "INCREMENTAL_DEPTH",
    "LOGIN_CHANNELS",
    "LOGIN_PATH",
    "LOGIN_WINDOW_S",
    "REST_BOOKS_PATH",
    "SNAPSHOT_CHANNELS",
    "SNAPSHOT_DEPTH",
    "TRADES_CHANNEL",
    "WS_PUBLIC_PATH",
    "login_request",
    "login_sign",
    "max_price_decimals",
    "ms_to_ns",
    "parse_trade",
    "tick_for_decimals",
]

#: Incremental book channels → the depth (levels per side) each one keeps.
INCREMENTAL_DEPTH: Mapping[str, int] = {"books": 400, "books-l2-tbt": 400, "books50-l2-tbt": 50}
#: Snapshot book channels (every push a complete book) → their depth.
SNAPSHOT_DEPTH: Mapping[str, int] = {"books5": 5, "bbo-tbt": 1}
#: Every book channel → its depth.
BOOK_DEPTH: Mapping[str, int] = {**INCREMENTAL_DEPTH, **SNAPSHOT_DEPTH}
INCREMENTAL_CHANNELS = frozenset(INCREMENTAL_DEPTH)
SNAPSHOT_CHANNELS = frozenset(SNAPSHOT_DEPTH)
BOOK_CHANNELS = INCREMENTAL_CHANNELS | SNAPSHOT_CHANNELS
#: Channels that answer ``60011`` ("Please log in") without a login first.
LOGIN_CHANNELS = frozenset({"books-l2-tbt", "books50-l2-tbt"})
TRADES_CHANNEL = "trades"
#: Every public channel tradecost subscribes to.
CHANNELS = BOOK_CHANNELS | {TRADES_CHANNEL}

WS_PUBLIC_PATH = "/ws/v5/public"
REST_BOOKS_PATH = "/api/v5/market/books"

# Error codes (OKX "Error codes / Public"), as the strings OKX sends.
LOGIN_FAILED = "60009"
LOGIN_REQUIRED = "60011"
INVALID_REQUEST = "60012"
NO_SUCH_CHANNEL = "60018"
INVALID_OP = "60019"
CHANNEL_CONFLICT = "64004"
#: The ``notice`` OKX sends before a service upgrade closes the connection: reconnect.
RECONNECT_NOTICE = "64008"
#: Error codes after which retrying the same request cannot succeed.
FATAL_CODES = frozenset(
    {"60008", "60009", "60011", "60012", "60013", "60018", "60019", "64003", "64004"}
)

#: The ``method + requestPath`` a WebSocket login signs after the timestamp.
LOGIN_PATH = "GET/users/self/verify"
#: How far (s) a login's timestamp may be from the server's clock.
LOGIN_WINDOW_S = 30.0
NS_PER_MS = 1_000_000


def ms_to_ns(ms: int | str) -> int:
    """OKX's millisecond timestamps (``ts``, sent as strings) as int64 nanoseconds."""
    return int(ms) * NS_PER_MS


def login_sign(secret_key: str, timestamp: str) -> str:
    """``Base64(HMAC-SHA256(secret_key, timestamp + "GET/users/self/verify"))``."""
    digest = hmac.new(
        secret_key.encode(), (timestamp + LOGIN_PATH).encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


def login_request(api_key: str, secret_key: str, passphrase: str, timestamp: str) -> str:
    """The ``login`` op frame; ``timestamp`` is Unix time in seconds (OKX v5 docs,
    "WebSocket / Login")."""
    arg = {
        "apiKey": api_key,
        "passphrase": passphrase,
        "timestamp": timestamp,
        "sign": login_sign(secret_key, timestamp),
    }
    return json.dumps({"op": "login", "args": [arg]}, separators=(",", ":"))


def parse_trade(
    inst_id: str,
    row: Mapping[str, Any],
    local_ts: int,
    to_base: Callable[[float, float], float] | float = 1.0,
) -> TradeEvent:
    """One row of a ``trades`` push as a :class:`TradeEvent`.

    ``contracts`` is ``sz`` as sent (book units); ``size`` is it in base units: ``to_base`` is
    either the base units per book unit (``ctVal × ctMult``; 1 on spot) or a function
    ``(contracts, price) → base units`` such as :meth:`Instrument.to_base
    <tradecost.instruments.Instrument.to_base>` (inverse contracts need the price).
    ``exch_ts`` is ``ts`` in ns; ``trade_id`` is ``tradeId`` as a string (``""`` if absent).
    Raises ``KeyError``/``ValueError``/``TypeError`` on a malformed row (and whatever
    ``to_base`` raises).
    """
    price, contracts = float(row["px"]), float(row["sz"])
    if not (math.isfinite(price) and math.isfinite(contracts)):
        raise ValueError(f"bad trade price/size {row['px']!r}/{row['sz']!r}")
    side = row["side"]
    if side not in ("buy", "sell"):
        raise ValueError(f"trade side must be 'buy' or 'sell', got {side!r}")
    size = to_base(contracts, price) if callable(to_base) else contracts * to_base
    return TradeEvent(
        inst_id,
        str(row.get("tradeId", "")),
        price,
        size,
        side,
        ms_to_ns(row["ts"]),
        local_ts,
        contracts,
    )


def max_price_decimals(levels: Iterable[Sequence[Any]]) -> int:
    """The most decimals of any price (first field, a decimal string) of book ``levels``."""
    return max((len(str(level[0]).partition(".")[2]) for level in levels), default=0)


def tick_for_decimals(decimals: int) -> Decimal:
    """10^-``decimals``: a tick size implied by prices written with that many decimals (a
    multiple of the true tick, so every price seen is on its grid)."""
    return Decimal(1).scaleb(-decimals)
