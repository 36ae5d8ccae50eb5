"""The simulated Binance venue without I/O: books, update ids, message shapes, requests.

The server shell (:mod:`tradecost.sim.binance_server`) feeds it raw OKX frames from a simulated
market and sends what it returns; tests can drive it with plain dicts. Everything here follows
Binance's public docs (spot ``web-socket-streams.md`` and ``rest-api.md``; USDⓈ-M "Diff Book Depth
Streams", "How to manage a local order book correctly", "Aggregate Trade Streams") and the shapes
of real recorded traffic (``../shared/data/binance/README.md``):

* spot diff depth ``{"e":"depthUpdate","E","s","U","u","b","a"}``: update ids per symbol, each
  event's ``U`` is the previous ``u + 1``; bids best first (descending), asks ascending;
* USDⓈ-M diff depth adds ``"T"`` and ``"pu"`` (the previous event's ``u`` of that symbol); update
  ids are shared by every symbol of the venue, so a symbol's ids are not consecutive — only
  ``pu`` chains them; bids listed in *ascending* price order, as the real stream does;
* prices and quantities are strings: spot padded to 8 decimals, futures to the tick / step
  precision; ``"0"`` (or ``"0.00000000"``) deletes a level; ``E``/``T`` are milliseconds;
* trades: spot ``@trade`` (``t``, ``m``, ``M``), ``@aggTrade`` (``a``, ``f``, ``l``; futures
  without ``M``), futures ``@trade`` with ``"X":"MARKET"``. ``m`` is true when the buyer was the
  maker, i.e. the taker sold;
* REST ``/api/v3/depth`` ``{"lastUpdateId","bids","asks"}`` and ``/fapi/v1/depth`` (adds ``E``,
  ``T``), best first on both sides; ``lastUpdateId`` is the ``u`` of the last event the book
  contains (a futures client following the documented rule re-applies that event, which is
  harmless: level quantities are absolute);
* ``exchangeInfo`` with ``PRICE_FILTER.tickSize`` and ``LOT_SIZE.stepSize``.

Each OKX ``books`` frame of the source becomes one diff event (the market pushes every 100 ms,
Binance's ``@depth@100ms`` cadence); each OKX ``trades`` frame (one taker order at one price
level) one trade and one aggregate trade.
"""

from __future__ import annotations

import json
import random
import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from tradecost.errors import InvalidInputError
from tradecost.sim.levels import LevelBook, Row

__all__ = [
    "MARKETS",
    "BinanceSymbol",
    "BinanceVenue",
    "Push",
    "StreamName",
    "format_quantity",
    "parse_stream",
    "symbol_for",
]

MARKETS = ("spot", "usdm")
#: Stream kinds served, and the 2026 USDⓈ-M path each belongs to (``/public`` or ``/market``).
STREAM_KINDS = {"depth@100ms": "public", "depth": "public", "trade": "market", "aggTrade": "market"}
_STREAM_RE = re.compile(r"^([a-z0-9]+)@([A-Za-z0-9_@]+)$")
SPOT_PLACES = 8
#: Valid ``limit`` values of ``GET /fapi/v1/depth`` (Binance USDⓈ-M docs, "Order Book").
FUTURES_DEPTH_LIMITS = (5, 10, 20, 50, 100, 500, 1000)


class RestError(Exception):
    """A REST request Binance would refuse: ``status`` (HTTP) and the ``{"code","msg"}`` body."""

    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(f"{status} {code}: {msg}")
        self.status = status
        self.body = {"code": code, "msg": msg}


def symbol_for(inst_id: str) -> str:
    """Binance symbol of an OKX-style instrument id: ``BTC-USDT`` / ``BTC-USDT-SWAP`` →
    ``BTCUSDT``."""
    parts = inst_id.split("-")
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise InvalidInputError(f"{inst_id!r} is not an instrument id like 'BTC-USDT'")
    return (parts[0] + parts[1]).upper()


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def format_quantity(value: Decimal, places: int) -> str:
    """``value`` with exactly ``places`` decimals; refuses to round (the grid must fit)."""
    text = f"{value:.{places}f}"
    if Decimal(text) != value:
        raise InvalidInputError(f"{value} does not fit {places} decimals")
    return text


@dataclass(frozen=True)
class BinanceSymbol:
    """One instrument as the simulated Binance lists it.

    ``unit`` converts the source's sizes to base units (an OKX SWAP's ``ctVal``; 1 for spot);
    ``price_places``/``quantity_places`` are the decimals on the wire.
    """

    symbol: str
    inst_id: str
    base: str
    quote: str
    tick_size: Decimal
    step_size: Decimal
    min_quantity: Decimal
    unit: Decimal
    price_places: int
    quantity_places: int

    @classmethod
    def from_instrument(cls, record: Mapping[str, str], market: str) -> BinanceSymbol:
        """From an OKX instruments record (``SimulatedMarket.instrument``)."""
        inst_id = str(record["instId"])
        base, quote = inst_id.split("-")[:2]
        try:
            tick = Decimal(record["tickSz"])
            lot = Decimal(record["lotSz"])
            minimum = Decimal(record.get("minSz") or record["lotSz"])
            unit = Decimal(record["ctVal"]) if record.get("instType") == "SWAP" else Decimal(1)
        except (InvalidOperation, KeyError) as exc:
            raise InvalidInputError(f"instrument {inst_id}: bad tick/lot fields") from exc
        step = lot * unit
        if market == "spot":
            price_places = quantity_places = SPOT_PLACES
            if _places(tick) > SPOT_PLACES or _places(step) > SPOT_PLACES:
                raise InvalidInputError(f"{inst_id}: spot prices and sizes have 8 decimals")
        else:
            price_places, quantity_places = _places(tick), _places(step)
        return cls(
            symbol=symbol_for(inst_id),
            inst_id=inst_id,
            base=base,
            quote=quote,
            tick_size=tick,
            step_size=step,
            min_quantity=minimum * unit,
            unit=unit,
            price_places=price_places,
            quantity_places=quantity_places,
        )

    def price(self, text: str) -> str:
        return format_quantity(Decimal(text), self.price_places)

    def quantity(self, text: str) -> str:
        return format_quantity(Decimal(text) * self.unit, self.quantity_places)


@dataclass(frozen=True)
class StreamName:
    """A parsed stream name: ``btcusdt@depth@100ms`` → symbol ``BTCUSDT``, kind
    ``depth@100ms``."""

    name: str
    symbol: str
    kind: str

    @property
    def path(self) -> str:
        """The USDⓈ-M path that serves it (``public`` or ``market``); ``""`` if not served."""
        return STREAM_KINDS.get(self.kind, "")


def parse_stream(name: Any) -> StreamName | None:
    """A stream name as Binance writes them (lower-case symbol), or None when malformed."""
    if not isinstance(name, str):
        return None
    match = _STREAM_RE.match(name)
    if match is None:
        return None
    return StreamName(name, match.group(1).upper(), match.group(2))


@dataclass
class Push:
    """One message for the streams of ``symbol`` of ``kind`` (``depth``, ``trade``,
    ``aggTrade``); ``payload`` is the message body as Binance sends it (without the
    combined-stream wrapper)."""

    kind: str
    symbol: str
    payload: dict[str, Any]


@dataclass
class _Book:
    spec: BinanceSymbol
    book: LevelBook = field(default_factory=LevelBook)
    last_update_id: int = 0
    started: bool = False
    gap_pending: int = 0
    trade_id: int = 0
    agg_id: int = 0
    #: recent states ``(lastUpdateId, bids, asks)``, oldest first, for stale REST snapshots
    history: deque[tuple[int, list[Row], list[Row]]] = field(default_factory=deque)
    #: the last diff event: its ``U`` and its changes in id order (bids as sent, then asks)
    last_event: tuple[int, list[Row], list[Row]] | None = None


class BinanceVenue:
    """The simulated Binance venue's state: one exact book and id chain per symbol.

    ``market`` is ``"spot"`` or ``"usdm"``. ``history`` is how many past book states are kept
    for the ``stale_snapshot`` fault. ``seed`` fixes the first update ids and, on USDⓈ-M, the
    ids other (unlisted) symbols take between two events of ours.
    """

    def __init__(
        self,
        market: str = "spot",
        *,
        seed: int = 0,
        history: int = 20,
        other_symbols_rate: int = 40,
    ) -> None:
        if market not in MARKETS:
            raise InvalidInputError(f"market must be one of {MARKETS}, not {market!r}")
        if history < 1:
            raise InvalidInputError(f"history must be >= 1, not {history}")
        self.market = market
        self.history = history
        self.other_symbols_rate = other_symbols_rate
        self._rng = random.Random(seed)
        self._books: dict[str, _Book] = {}
        self._by_inst: dict[str, _Book] = {}
        self._futures_id = self._rng.randrange(600_000_000_000, 700_000_000_000)

    # ------------------------------------------------------------------ instruments

    def add_instrument(self, record: Mapping[str, str]) -> BinanceSymbol:
        """List an instrument (an OKX instruments record); returns its Binance description."""
        spec = BinanceSymbol.from_instrument(record, self.market)
        if spec.symbol not in self._books:
            book = _Book(spec)
            book.last_update_id = (
                self._rng.randrange(1_000_000_000, 60_000_000_000)
                if self.market == "spot"
                else self._futures_id
            )
            book.trade_id = self._rng.randrange(100_000_000, 4_000_000_000)
            book.agg_id = self._rng.randrange(10_000_000, 2_000_000_000)
            self._books[spec.symbol] = book
            self._by_inst[spec.inst_id] = book
        return self._books[spec.symbol].spec

    @property
    def symbols(self) -> list[str]:
        return list(self._books)

    def spec(self, symbol: str) -> BinanceSymbol:
        return self._book(symbol).spec

    def _book(self, symbol: str) -> _Book:
        book = self._books.get(symbol)
        if book is None:
            raise InvalidInputError(f"unknown symbol {symbol!r}; listed: {self.symbols}")
        return book

    # ------------------------------------------------------------------ truth

    def true_book(self, symbol: str) -> LevelBook:
        """The exact book every synced client must hold (Binance wire strings)."""
        return self._book(symbol).book

    def last_update_id(self, symbol: str) -> int:
        """``u`` of the last diff event of ``symbol`` (what a REST snapshot reports)."""
        return self._book(symbol).last_update_id

    def started(self, symbol: str) -> bool:
        return self._book(symbol).started

    # ------------------------------------------------------------------ faults

    def oldest_state(self, symbol: str) -> tuple[int, list[Row], list[Row]] | None:
        """``(lastUpdateId, bids, asks)`` of the oldest book state kept for ``symbol`` (None
        before its first diff event)."""
        history = self._book(symbol).history
        return history[0] if history else None

    def inject_gap(self, symbol: str | None = None, skip: int = 5) -> None:
        """Make the next diff of ``symbol`` (every symbol if None) break its id chain: spot
        ``U`` jumps past ``previous u + 1``, futures ``pu`` is not the symbol's previous ``u``.
        The book content stays complete; only the chain breaks (a client must resync)."""
        if skip < 1:
            raise InvalidInputError(f"skip must be >= 1, not {skip}")
        targets = [self._book(symbol)] if symbol is not None else list(self._books.values())
        for book in targets:
            book.gap_pending = skip

    # ------------------------------------------------------------------ source frames

    def on_source(self, message: Mapping[str, Any], now_ms: int | None = None) -> list[Push]:
        """Apply one decoded OKX frame (``books``/``books-l2-tbt`` or ``trades``).

        ``now_ms`` stamps ``E``/``T``; None keeps the frame's own ``ts``. Returns the Binance
        messages it produces (a diff for a book change, a trade and an aggregate trade per print).
        Frames of other channels, of unlisted instruments, and empty updates produce nothing.
        """
        arg = message.get("arg")
        data = message.get("data")
        if not isinstance(arg, Mapping) or not isinstance(data, list) or not data:
            return []
        book = self._by_inst.get(str(arg.get("instId", "")))
        if book is None:
            return []
        channel = arg.get("channel")
        if channel == "trades":
            return [push for row in data for push in self._trade(book, row, now_ms)]
        if channel not in ("books", "books-l2-tbt"):
            return []
        body = data[0]
        spec = book.spec
        stamp = int(body.get("ts") or 0) if now_ms is None else now_ms
        bids = [[spec.price(r[0]), spec.quantity(r[1])] for r in body.get("bids") or ()]
        asks = [[spec.price(r[0]), spec.quantity(r[1])] for r in body.get("asks") or ()]
        if message.get("action", "snapshot") == "snapshot":
            before_bids, before_asks = book.book.bids(), book.book.asks()
            book.book.replace(bids, asks)
            bids, asks = (
                _diff(before_bids, book.book.bids(), reverse=True),
                _diff(before_asks, book.book.asks(), reverse=False),
            )
        else:
            book.book.apply(bids, asks)
        if not bids and not asks:
            return []
        return [self._depth_event(book, bids, asks, stamp)]

    def _depth_event(self, book: _Book, bids: list[Row], asks: list[Row], stamp: int) -> Push:
        changes = len(bids) + len(asks)
        previous = book.last_update_id
        if self.market == "spot":
            first = previous + 1 + book.gap_pending
            book.gap_pending = 0
            last = first + changes - 1
            payload: dict[str, Any] = {
                "e": "depthUpdate",
                "E": stamp,
                "s": book.spec.symbol,
                "U": first,
                "u": last,
                "b": sorted(bids, key=_price_key, reverse=True),
                "a": sorted(asks, key=_price_key),
            }
        else:
            pu = previous + book.gap_pending
            book.gap_pending = 0
            # other symbols of the venue take ids between two events of ours
            self._futures_id = max(self._futures_id, pu) + self._rng.randint(
                0, self.other_symbols_rate
            )
            first = self._futures_id + 1
            last = first + changes - 1
            self._futures_id = last
            payload = {
                "e": "depthUpdate",
                "E": stamp,
                "T": stamp,
                "s": book.spec.symbol,
                "U": first,
                "u": last,
                "pu": pu,
                "b": sorted(bids, key=_price_key),  # ascending, as USDⓈ-M sends them
                "a": sorted(asks, key=_price_key),
            }
        book.last_update_id = last
        book.started = True
        book.last_event = (first, payload["b"], payload["a"])
        book.history.append((last, book.book.bids(), book.book.asks()))
        while len(book.history) > self.history:
            book.history.popleft()
        return Push("depth", book.spec.symbol, payload)

    def _trade(self, book: _Book, row: Mapping[str, Any], now_ms: int | None) -> list[Push]:
        spec = book.spec
        try:
            price = spec.price(str(row["px"]))
            quantity = spec.quantity(str(row["sz"]))
            side = str(row["side"])
            stamp = int(row.get("ts") or 0) if now_ms is None else now_ms
        except (KeyError, ValueError, InvalidOperation, InvalidInputError):
            return []
        buyer_maker = side == "sell"  # the taker sold into a resting bid
        book.trade_id += 1
        book.agg_id += 1
        spot = self.market == "spot"
        if spot:
            trade: dict[str, Any] = {
                "e": "trade",
                "E": stamp,
                "s": spec.symbol,
                "t": book.trade_id,
                "p": price,
                "q": quantity,
                "T": stamp,
                "m": buyer_maker,
                "M": True,
            }
        else:
            trade = {
                "e": "trade",
                "E": stamp,
                "T": stamp,
                "s": spec.symbol,
                "t": book.trade_id,
                "p": price,
                "q": quantity,
                "X": "MARKET",
                "m": buyer_maker,
            }
        # one shape on both markets but for the order of s/a and spot's trailing "M"
        ids = {"s": spec.symbol, "a": book.agg_id} if spot else {"a": book.agg_id, "s": spec.symbol}
        agg: dict[str, Any] = {
            "e": "aggTrade",
            "E": stamp,
            **ids,
            "p": price,
            "q": quantity,
            "f": book.trade_id,
            "l": book.trade_id,
            "T": stamp,
            "m": buyer_maker,
        }
        if spot:
            agg["M"] = True
        return [Push("trade", spec.symbol, trade), Push("aggTrade", spec.symbol, agg)]

    # ------------------------------------------------------------------ REST

    def depth(
        self,
        query: Mapping[str, str],
        now_ms: int,
        *,
        stale: bool = False,
        inside_event: bool = False,
        state: tuple[int, list[Row], list[Row]] | None = None,
    ) -> dict[str, Any]:
        """Body of ``GET /api/v3/depth`` (spot) or ``/fapi/v1/depth`` (USDⓈ-M).

        ``stale=True`` serves the oldest kept state instead of the current one (the
        ``stale_snapshot`` fault). ``inside_event=True`` serves the book part-way through the
        last diff event: its first k of n changes applied (1 <= k < n, drawn from the venue's
        generator) and ``lastUpdateId = U + k - 1``, strictly inside the event's ``[U, u]``, as
        Binance's snapshots often are; a client that bridges by the documented rule re-applies
        the whole event. ``state`` (a :meth:`oldest_state`) serves that past book instead.
        Raises :class:`RestError` as Binance answers bad requests.
        """
        book = self._rest_symbol(query)
        limit = self._limit(query.get("limit"))
        last, bids, asks = book.last_update_id, book.book.bids(limit), book.book.asks(limit)
        if state is not None:
            last, bids, asks = state[0], state[1][:limit], state[2][:limit]
        elif stale and book.history:
            last, all_bids, all_asks = book.history[0]
            bids, asks = all_bids[:limit], all_asks[:limit]
        elif inside_event and book.last_event is not None and len(book.history) >= 2:
            first, event_bids, event_asks = book.last_event
            changes = len(event_bids) + len(event_asks)
            if changes >= 2:
                k = self._rng.randint(1, changes - 1)
                _, before_bids, before_asks = book.history[-2]
                partial = LevelBook()
                partial.replace(before_bids, before_asks)
                partial.apply(event_bids[:k], event_asks[: max(0, k - len(event_bids))])
                last, bids, asks = first + k - 1, partial.bids(limit), partial.asks(limit)
        body: dict[str, Any] = {"lastUpdateId": last}
        if self.market == "usdm":
            body["E"] = now_ms
            body["T"] = now_ms
        body["bids"] = [list(row) for row in bids]
        body["asks"] = [list(row) for row in asks]
        return body

    def _rest_symbol(self, query: Mapping[str, str]) -> _Book:
        symbol = query.get("symbol", "")
        if not symbol:
            raise RestError(
                400,
                -1102,
                "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
            )
        book = self._books.get(symbol)
        if book is None:
            raise RestError(400, -1121, "Invalid symbol.")
        return book

    def _limit(self, raw: str | None) -> int:
        if self.market == "spot":
            if raw is None:
                return 100
            if not raw.isdigit():
                raise RestError(
                    400,
                    -1100,
                    "Illegal characters found in parameter 'limit'; legal range is "
                    "'^[0-9]{1,20}$'.",
                )
            return min(max(int(raw), 1), 5000)  # spot truncates a larger limit to 5000
        if raw is None:
            return 500
        if not raw.isdigit() or int(raw) not in FUTURES_DEPTH_LIMITS:
            raise RestError(400, -1130, "Data sent for parameter 'limit' is not valid.")
        return int(raw)

    def exchange_info(self, query: Mapping[str, str], now_ms: int) -> dict[str, Any]:
        """Body of ``GET /api/v3/exchangeInfo`` (``symbol=`` or ``symbols=["A","B"]``
        filter) or ``/fapi/v1/exchangeInfo`` (all symbols)."""
        books = list(self._books.values())
        if self.market == "spot":
            wanted: list[str] | None = None
            if "symbol" in query:
                wanted = [query["symbol"]]
            elif "symbols" in query:
                try:
                    parsed = json.loads(query["symbols"])
                except ValueError:
                    parsed = None
                if not isinstance(parsed, list) or not all(isinstance(s, str) for s in parsed):
                    raise RestError(400, -1100, "Illegal characters found in parameter 'symbols'.")
                wanted = parsed
            if wanted is not None:
                for name in wanted:
                    if name not in self._books:
                        raise RestError(400, -1121, "Invalid symbol.")
                books = [self._books[name] for name in wanted]
            return {
                "timezone": "UTC",
                "serverTime": now_ms,
                "rateLimits": [],
                "exchangeFilters": [],
                "symbols": [_spot_symbol_info(book.spec) for book in books],
            }
        return {
            "timezone": "UTC",
            "serverTime": now_ms,
            "futuresType": "U_MARGINED",
            "rateLimits": [],
            "exchangeFilters": [],
            "assets": [],
            "symbols": [_futures_symbol_info(book.spec) for book in books],
        }


def _price_key(row: Sequence[str]) -> Decimal:
    return Decimal(row[0])


def _diff(before: list[Row], after: list[Row], *, reverse: bool) -> list[Row]:
    """Rows turning ``before`` into ``after`` (vanished levels with quantity ``"0"``)."""
    old = {Decimal(row[0]): row for row in before}
    new = {Decimal(row[0]): row for row in after}
    changes = [row for price, row in new.items() if old.get(price) != row]
    changes += [[row[0], "0"] for price, row in old.items() if price not in new]
    changes.sort(key=_price_key, reverse=reverse)
    return changes


def _spot_symbol_info(spec: BinanceSymbol) -> dict[str, Any]:
    def f8(value: Decimal) -> str:
        return format_quantity(value, SPOT_PLACES)

    return {
        "symbol": spec.symbol,
        "status": "TRADING",
        "baseAsset": spec.base,
        "baseAssetPrecision": 8,
        "quoteAsset": spec.quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET"],
        "isSpotTradingAllowed": True,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": f8(spec.tick_size),
                "maxPrice": "1000000.00000000",
                "tickSize": f8(spec.tick_size),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": f8(spec.min_quantity),
                "maxQty": "9000.00000000",
                "stepSize": f8(spec.step_size),
            },
        ],
        "permissions": ["SPOT"],
    }


def _futures_symbol_info(spec: BinanceSymbol) -> dict[str, Any]:
    def price(value: Decimal) -> str:
        return format_quantity(value, spec.price_places)

    def quantity(value: Decimal) -> str:
        return format_quantity(value, spec.quantity_places)

    return {
        "symbol": spec.symbol,
        "pair": spec.symbol,
        "contractType": "PERPETUAL",
        "status": "TRADING",
        "baseAsset": spec.base,
        "quoteAsset": spec.quote,
        "marginAsset": spec.quote,
        "pricePrecision": spec.price_places,
        "quantityPrecision": spec.quantity_places,
        "filters": [
            {
                "minPrice": price(spec.tick_size),
                "maxPrice": "1000000",
                "filterType": "PRICE_FILTER",
                "tickSize": price(spec.tick_size),
            },
            {
                "stepSize": quantity(spec.step_size),
                "filterType": "LOT_SIZE",
                "maxQty": "1000",
                "minQty": quantity(spec.min_quantity),
            },
        ],
    }


# ---------------------------------------------------------------------- client requests


@dataclass
class Reply:
    """What to send back for one client text message, and the subscription change."""

    message: dict[str, Any]
    subscribe: list[StreamName] = field(default_factory=list)
    unsubscribe: list[str] = field(default_factory=list)


def handle_request(text: str, subscribed: Iterable[str]) -> Reply:
    """Answer one client message (``SUBSCRIBE``, ``UNSUBSCRIBE``, ``LIST_SUBSCRIPTIONS``).

    Success: ``{"result": null, "id": <id>}`` (a list of stream names for
    ``LIST_SUBSCRIPTIONS``). Errors, as Binance words them: ``{"error": {"code": 3, "msg":
    "Invalid JSON: ..."}}``, ``{"error": {"code": 2, "msg": "Invalid request: ..."}, "id": ...}``.
    A well-formed stream name for an unknown symbol or an unserved kind is accepted and never
    sends anything (a client learns which symbols exist from ``exchangeInfo``).
    """
    try:
        request = json.loads(text)
    except ValueError as exc:
        return Reply({"error": {"code": 3, "msg": f"Invalid JSON: {exc}"}})
    if not isinstance(request, dict):
        return Reply({"error": {"code": 2, "msg": "Invalid request: expected an object"}})
    req_id = request.get("id")
    if req_id is not None and (isinstance(req_id, bool) or not isinstance(req_id, int | str)):
        return Reply(
            {"error": {"code": 2, "msg": "Invalid request: request ID must be an unsigned integer"}}
        )
    method = request.get("method")
    if method == "LIST_SUBSCRIPTIONS":
        return Reply({"result": sorted(subscribed), "id": req_id})
    if method not in ("SUBSCRIBE", "UNSUBSCRIBE"):
        return Reply(
            {
                "error": {
                    "code": 2,
                    "msg": f"Invalid request: unknown variant {method!r}, expected one of "
                    "SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS",
                },
                "id": req_id,
            }
        )
    params = request.get("params")
    if not isinstance(params, list) or not params:
        return Reply(
            {"error": {"code": 2, "msg": "Invalid request: params must be a list"}, "id": req_id}
        )
    streams = [parse_stream(name) for name in params]
    if any(stream is None for stream in streams):
        bad = [name for name, stream in zip(params, streams, strict=True) if stream is None]
        return Reply(
            {
                "error": {"code": 2, "msg": f"Invalid request: invalid stream {bad[0]!r}"},
                "id": req_id,
            }
        )
    ok = [stream for stream in streams if stream is not None]
    if method == "SUBSCRIBE":
        return Reply({"result": None, "id": req_id}, subscribe=ok)
    return Reply({"result": None, "id": req_id}, unsubscribe=[s.name for s in ok])


def parse_streams_query(value: str) -> list[StreamName] | None:
    """The ``streams=a/b/c`` of a combined-stream URL; None if any name is malformed."""
    names = [name for name in value.split("/") if name]
    streams = [parse_stream(name) for name in names]
    if any(stream is None for stream in streams):
        return None
    return [stream for stream in streams if stream is not None]
