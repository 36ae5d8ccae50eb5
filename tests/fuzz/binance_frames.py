"""A fuzzer for the compiled Binance depth decoder (``tradecost.feeds.binance._depth``).

The same design as the OKX fuzzer in ``tests/fuzz/frames.py``, whose generic mutations it reuses
(truncations, bit flips, byte edits, odd numbers, whitespace, escapes, wrong types, deep
nesting, splices), plus edits of Binance's own keys. Frames, all from one seeded
``random.Random``:

- valid messages: spot and USDⓈ-M diff-depth events (raw or in a combined-stream envelope),
  REST depth snapshots (spot and USDⓈ-M), and messages of other kinds (trades, aggTrades,
  bookTicker, subscription replies, ``serverShutdown``), varied in key order, whitespace and
  number spellings;
- mutations of those;
- random bytes and JSON-looking token soup.

Each frame goes through ``DepthMessage.decode`` and, for a depth event or a snapshot,
``DepthMessage.apply`` onto one 0.01-tick BTCUSDT ``OrderBook``. Per frame:

- a rejected frame raises a ``TradecostError`` subclass (anything else fails the run) and leaves
  the book exactly as it was (both sides, byte for byte, against a copy);
- a valid message must be accepted, with its kind;
- an accepted frame leaves the book well-formed (strictly sorted sides, finite sizes > 0);
- when the frame is strict, duplicate-free JSON, an independent decoder (``json`` + Decimal, the
  rules written from Binance's docs) must classify it the same way, read the same levels, and
  — applied to the ``ReferenceBook`` of ``tests/binance/reference.py`` — hold the same book.

Frames the reference cannot judge (non-strict JSON the scanner tolerates in values it skips,
duplicate or escaped keys, an escaped event type, payload keys both in and outside the
envelope) are counted and checked for well-formedness only; the reference stops following the
book until the next accepted snapshot.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

import tradecost as tc
from tests.binance.reference import ReferenceBook
from tests.fuzz import frames as okx
from tests.fuzz.frames import (  # the JSON reading rules both reference decoders share
    ESCAPED_KEY,
    Bare,
    Pairs,
    Rejected,
    Unjudged,
    _constant,
    _decimal,
    _pairs,
    dump,
)
from tradecost.feeds.binance._depth import DepthMessage

TICK = Decimal("0.01")
SYMBOL = "BTCUSDT"
CENTER_TICKS = 9_500_000  # 95,000.00
INT64_MAX = 2**63 - 1


class FrameGenerator:
    """Valid Binance messages for a 0.01-tick BTCUSDT book, varied in form."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.update_id = 1_000_000

    def price_text(self, ticks: int) -> Any:
        rng = self.rng
        text = format(TICK * ticks, "f")
        roll = rng.random()
        if roll < 0.5:
            text = format(TICK * ticks, ".8f")  # spot pads to 8 decimals
        elif roll < 0.55:
            text = format(Decimal(text).normalize(), "f")  # "95000" / "95000.1"
        elif roll < 0.58:
            text = format(Decimal(text).normalize(), "E")
        if rng.random() < 0.04:
            return Bare(text)
        return text

    def quantity_text(self, allow_zero: bool) -> Any:
        rng = self.rng
        if allow_zero and rng.random() < 0.25:
            text = rng.choice(["0", "0.00000000", "0.000", "0e0"])
        else:
            mantissa = rng.choice(
                [rng.randint(1, 999), rng.randint(1, 10**9), rng.randint(1, 10**15)]
            )
            text = format(Decimal(mantissa).scaleb(-rng.randint(0, 8)), "f")
            if rng.random() < 0.05:
                text = format(Decimal(text), "e")
        if rng.random() < 0.04:
            return Bare(text)
        return text

    def levels(self, side: str, count: int, allow_zero: bool) -> list[list[Any]]:
        rng = self.rng
        rows = []
        for _ in range(count):
            offset = rng.randint(0, 300)
            if rng.random() < 0.03:
                offset = -rng.randint(1, 5)  # a crossing price: the data says so
            ticks = CENTER_TICKS - offset if side == "bid" else CENTER_TICKS + 1 + offset
            row: list[Any] = [self.price_text(ticks), self.quantity_text(allow_zero)]
            if rng.random() < 0.03:
                row.append("ignored")  # extra fields in a level are skipped
            rows.append(row)
        if not allow_zero:  # a snapshot lists each price once
            seen: set[Decimal] = set()
            unique = []
            for row in rows:
                price = Decimal(str(row[0]))
                if price not in seen:
                    seen.add(price)
                    unique.append(row)
            rows = unique
        return rows

    def _integer(self, value: int) -> Any:
        return Bare(str(value)) if self.rng.random() < 0.97 else str(value)

    def depth_event(self) -> bytes:
        rng = self.rng
        futures = rng.random() < 0.5
        first = self.update_id + 1
        self.update_id += rng.randint(1, 40)
        symbol = SYMBOL if rng.random() < 0.95 else "BTC\\u0055SDT"  # an escaped 'U'
        payload: list[tuple[Any, Any]] = [
            ("e", "depthUpdate"),
            ("E", self._integer(1_700_000_000_000 + self.update_id)),
            ("s", Bare(f'"{symbol}"')),
            ("U", self._integer(first)),
            ("u", self._integer(self.update_id)),
            ("b", self.levels("bid", rng.randint(0, 8), True)),
            ("a", self.levels("ask", rng.randint(0, 8), True)),
        ]
        if futures:
            payload.insert(2, ("T", self._integer(1_700_000_000_000 + self.update_id - 3)))
            payload.insert(6, ("pu", self._integer(first - rng.randint(1, 30))))
        if rng.random() < 0.15:
            rng.shuffle(payload)
        if rng.random() < 0.1:
            payload.append(("x", rng.choice([None, True, Pairs([("k", [1, "a"])]), "y\\z"])))
        return self._wrap(Pairs(payload), "btcusdt@depth@100ms")

    def snapshot(self) -> bytes:
        rng = self.rng
        body: list[tuple[Any, Any]] = [("lastUpdateId", self._integer(self.update_id))]
        if rng.random() < 0.5:  # USDⓈ-M adds E and T
            body += [("E", self._integer(1_700_000_000_000)), ("T", self._integer(1_699_999_999))]
        body += [
            ("bids", self.levels("bid", rng.randint(0, 25), False)),
            ("asks", self.levels("ask", rng.randint(0, 25), False)),
        ]
        if rng.random() < 0.1:
            rng.shuffle(body)
        return dump(Pairs(body), rng, rng.choice([0.0, 0.0, 0.1])).encode()

    def other(self) -> bytes:
        rng = self.rng
        kind = rng.randrange(6)
        if kind == 0:
            data = Pairs(
                [("e", "trade"), ("E", Bare("1700000000001")), ("s", SYMBOL), ("t", Bare("12")),
                 ("p", "95000.01"), ("q", "0.5"), ("T", Bare("1700000000000")), ("m", True),
                 ("M", True)]
            )  # fmt: skip
            return self._wrap(data, "btcusdt@trade")
        if kind == 1:
            data = Pairs(
                [("e", "aggTrade"), ("E", Bare("1700000000001")), ("a", Bare("5")),
                 ("s", SYMBOL), ("p", "95000.01"), ("q", "0.5"), ("f", Bare("100")),
                 ("l", Bare("105")), ("T", Bare("1700000000000")), ("m", False)]
            )  # fmt: skip
            return self._wrap(data, "btcusdt@aggTrade")
        if kind == 2:  # bookTicker: "b" and "a" are prices, not level lists
            data = Pairs(
                [("u", Bare("400900217")), ("s", SYMBOL), ("b", "95000.01"), ("B", "31.2"),
                 ("a", "95000.02"), ("A", "40.7")]
            )  # fmt: skip
            return self._wrap(data, "btcusdt@bookTicker")
        if kind == 3:
            return dump(Pairs([("result", None), ("id", Bare("1"))]), rng, 0.0).encode()
        if kind == 4:
            shutdown = [("e", "serverShutdown"), ("E", Bare("1700000000000"))]
            return dump(Pairs(shutdown), rng, 0.0).encode()
        reply = [("result", ["btcusdt@depth@100ms"]), ("id", Bare("3"))]
        return dump(Pairs(reply), rng, 0.0).encode()

    def _wrap(self, payload: Pairs, stream: str) -> bytes:
        rng = self.rng
        spacing = rng.choice([0.0, 0.0, 0.0, 0.1, 0.6])
        if rng.random() < 0.5:
            return dump(payload, rng, spacing).encode()
        envelope = [("stream", stream), ("data", payload)]
        if rng.random() < 0.1:
            envelope.reverse()
        return dump(Pairs(envelope), rng, spacing).encode()

    def frame(self) -> tuple[bytes, str]:
        """One valid message and its kind (``depth``, ``snapshot`` or ``other``)."""
        roll = self.rng.random()
        if roll < 0.7:
            return self.depth_event(), "depth"
        if roll < 0.85:
            return self.snapshot(), "snapshot"
        return self.other(), "other"


# --------------------------------------------------------------------------------------------
# Mutations: the OKX fuzzer's generic ones, and Binance's keys
# --------------------------------------------------------------------------------------------

# fmt: off
STRUCTURE_EDITS: list[tuple[bytes, bytes]] = [
    (b'"e"', b'"E2"'), (b'"depthUpdate"', b'"depthupdate"'), (b'"depthUpdate"', b'"trade"'),
    (b'"s"', b'"S"'), (b'"U"', b'"V"'), (b'"u"', b'"v"'), (b'"pu"', b'"pU"'), (b'"b"', b'"B"'),
    (b'"a"', b'"A"'), (b'"b"', b'"a"'), (b'"a"', b'"b"'), (b'"b"', b'"bids"'),
    (b'"asks"', b'"a"'), (b'"bids"', b'"Bids"'), (b'"lastUpdateId"', b'"lastupdateid"'),
    (b'"lastUpdateId"', b'"u"'), (b'"data"', b'"Data"'), (b'"stream"', b'"e"'),
    (b'"data":{', b'"data":{"data":{},'), (b'"data":{', b'"data":[{'), (b'{"e"', b'{"e":1,"e"'),
    (b'"BTCUSDT"', b'"ETHUSDT"'), (b'"BTCUSDT"', b'""'), (b'"BTCUSDT"', b"null"),
    (b"]]", b"],]]"), (b"]]", b"]],[]]"), (b"[[", b"[ [ ["), (b"}}", b"},}"), (b"}}", b"}}}"),
    (b"}", b'},"x":1}'), (b'{"', b'{"lastUpdateId":1,"'), (b'{"', b'{"e":"depthUpdate","'),
    (b'{"', b'{"b":[],"'), (b'{"', b'{"bids":[],"asks":[],"'),
]
# fmt: on


def _structure(frame: bytes, other: bytes, rng: random.Random) -> bytes:
    """Perturb a valid frame's meaning: keys renamed, duplicated, swapped; odd values."""
    return okx.edit(frame, STRUCTURE_EDITS, rng)


def _drop_key(frame: bytes, other: bytes, rng: random.Random) -> bytes:
    """Remove one field: a message that lacks something it needs."""
    key = rng.choice([b"e", b"s", b"U", b"u", b"pu", b"b", b"a", b"bids", b"asks", b"lastUpdateId"])
    pattern = rb'"' + key + rb'"\s*:\s*(?:"(?:[^"\\]|\\.)*"|-?[0-9]+|\[\[.*?\]\]|\[\])\s*,?'
    return re.sub(pattern, b"", frame, count=1)


# fmt: off
MUTATIONS: list[okx.Mutation] = [
    okx._truncate, okx._truncate, okx._bit_flip, okx._bit_flip, okx._byte_edit, okx._byte_edit,
    okx._odd_number, okx._odd_number, okx._odd_number, okx._odd_whitespace, okx._escape,
    okx._escape, okx._wrong_type, okx._wrong_type, okx._deep_nesting, _structure, _structure,
    _structure, _drop_key, okx._splice,
]
SOUP = [
    b"{", b"}", b"[", b"]", b",", b":", b'"e"', b'"depthUpdate"', b'"s"', b'"BTCUSDT"', b'"U"',
    b'"u"', b'"pu"', b'"b"', b'"a"', b'"bids"', b'"asks"', b'"lastUpdateId"', b'"data"',
    b'"stream"', b'"95000.01"', b'"1"', b'"0"', b"1", b"-1", b"null", b"true", b" ",
]
# fmt: on


def mutate(frame: bytes, other: bytes, rng: random.Random) -> bytes:
    return okx.mutate_with(MUTATIONS, frame, other, rng)


def random_frame(rng: random.Random) -> bytes:
    return okx.soup_frame(SOUP, rng)


# --------------------------------------------------------------------------------------------
# The independent decoder
# --------------------------------------------------------------------------------------------


ESCAPED_EVENT = re.compile(rb'"e"\s*:\s*"(?:[^"\\]|\\.)*\\')
PAYLOAD_KEYS = {"e", "E", "T", "s", "U", "u", "pu", "b", "a", "bids", "asks", "lastUpdateId"}
INTEGER_KEYS = ("U", "u", "pu", "E", "T", "lastUpdateId")
LEVEL_KEYS = ("b", "a", "bids", "asks")


def _integer(value: Any, what: str) -> int:
    plain = isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value)
    whole = isinstance(value, Decimal) and value.is_finite() and value.as_tuple().exponent == 0
    if plain or whole:
        number = int(value)
    else:
        raise Rejected(f"{what} {value!r} is not an integer")
    if abs(number) > INT64_MAX:
        raise Rejected(f"{what} {value!r} is out of range")
    return number


@dataclass
class Meaning:
    kind: str  # "depth", "snapshot" or "other"
    symbol: str = ""
    bids: list[list[str]] = field(default_factory=list)
    asks: list[list[str]] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)


def reference_decode(frame: bytes) -> Meaning:
    """What a Binance message says, from Binance's docs: a ``depthUpdate`` event (``s``, ``U``,
    ``u``, ``b``, ``a``; ``pu``/``T`` on futures), a REST snapshot (``lastUpdateId``, ``bids``,
    ``asks``, no event type), either possibly inside ``{"stream", "data"}``; anything else is
    another kind. Levels are ``[price, quantity, ...]`` with a positive price and a
    non-negative quantity, as decimal strings or numbers. Raises Rejected or Unjudged."""
    if ESCAPED_KEY.search(frame) or ESCAPED_EVENT.search(frame):
        raise Unjudged("an escaped key or event type (the scanner compares them as raw bytes)")
    try:
        message = json.loads(
            frame,
            object_pairs_hook=_pairs,
            parse_float=Decimal,
            parse_int=Decimal,
            parse_constant=_constant,
        )
    except (ValueError, RecursionError, ArithmeticError) as error:
        if isinstance(error, Unjudged):
            raise
        raise Unjudged(f"not strict JSON: {error!r}") from None
    if not isinstance(message, dict):
        raise Rejected("not an object")
    payload = message
    if "data" in message:
        if PAYLOAD_KEYS & message.keys():
            raise Unjudged("payload keys inside and outside the envelope")
        if not isinstance(message["data"], dict):
            return Meaning("other")
        payload = message["data"]
    meaning = Meaning("other")
    for key in INTEGER_KEYS:
        if key in payload:
            meaning.ids[key] = _integer(payload[key], key)
    if "e" in payload and not isinstance(payload["e"], str):
        raise Rejected("the event type is not a string")
    lists: dict[str, list[list[str]]] = {}
    not_levels = False
    for key in LEVEL_KEYS:
        if key not in payload:
            continue
        rows = payload[key]
        if not isinstance(rows, list):
            not_levels = True  # bookTicker's "b": "95000.01"
            continue
        out = []
        for row in rows:
            if not isinstance(row, list) or len(row) < 2:
                raise Rejected(f"a level {row!r}")
            price, quantity = _decimal(row[0], "price"), _decimal(row[1], "quantity")
            if price <= 0:
                raise Rejected(f"price {row[0]!r}")
            if quantity < 0:
                raise Rejected(f"quantity {row[1]!r}")
            out.append([format(price, "f"), format(quantity, "f")])
        lists[key] = out
    symbol = payload.get("s")
    if payload.get("e") == "depthUpdate":
        if not isinstance(symbol, str) or "U" not in payload or "u" not in payload:
            raise Rejected("a depthUpdate needs s, U and u")
        if not_levels or "b" not in lists or "a" not in lists:
            raise Rejected("a depthUpdate needs level lists b and a")
        if {"bids", "asks", "lastUpdateId"} & payload.keys():
            raise Rejected("a depthUpdate with snapshot fields")
        return Meaning("depth", symbol.upper(), lists["b"], lists["a"], meaning.ids)
    if not_levels:
        return meaning
    if {"bids", "asks", "lastUpdateId"} & payload.keys() and "e" not in payload:
        if "bids" not in lists or "asks" not in lists or "lastUpdateId" not in payload:
            raise Rejected("a snapshot needs lastUpdateId, bids and asks")
        if {"b", "a", "U", "u"} & payload.keys():
            raise Rejected("a snapshot with depthUpdate fields")
        return Meaning("snapshot", "", lists["bids"], lists["asks"], meaning.ids)
    return meaning


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


@dataclass
class FuzzStats:
    frames: int = 0
    accepted: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    compared: int = 0
    unjudged: int = 0
    by_source: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        accepted = ", ".join(f"{k} {v}" for k, v in sorted(self.accepted.items()))
        rejected = ", ".join(f"{k} {v}" for k, v in sorted(self.rejected.items()))
        sources = ", ".join(f"{k} {v}" for k, v in sorted(self.by_source.items()))
        return (
            f"{self.frames} frames ({sources}): accepted {accepted}; {self.compared} books "
            f"compared with the reference, {self.unjudged} frames not judgeable; "
            f"rejected: {rejected}"
        )


FuzzFailure = okx.FuzzFailure


def _rows(levels: list[list[str]]) -> list[tuple[float, float]]:
    return [(float(p), float(q)) for p, q in levels]


def _same_as_reference(book: tc.OrderBook, ref: ReferenceBook) -> str | None:
    """Prices compared as ticks (what the book keeps), sizes as the doubles of the decimals."""
    bids = sorted(ref.bids.items(), reverse=True)
    asks = sorted(ref.asks.items())
    if book.bid_ticks().tolist() != [int(p / TICK) for p, _ in bids]:
        return "bid prices differ from the reference"
    if book.ask_ticks().tolist() != [int(p / TICK) for p, _ in asks]:
        return "ask prices differ from the reference"
    if book.bids()[:, 1].tolist() != [float(q) for _, q in bids]:
        return "bid sizes differ from the reference"
    if book.asks()[:, 1].tolist() != [float(q) for _, q in asks]:
        return "ask sizes differ from the reference"
    crossed = bool(bids and asks and bids[0][0] >= asks[0][0])
    if book.crossed != crossed:
        return "crossed flag differs from the reference"
    return None


def _state(book: tc.OrderBook) -> tuple[bytes, bytes]:
    return book.bids().tobytes(), book.asks().tobytes()


def run(
    seed: int,
    count: int,
    *,
    compare_every: int = 1,
    progress: Callable[[FuzzStats], None] | None = None,
    book: tc.OrderBook | None = None,
    decoder: Any = None,
) -> FuzzStats:
    """Run ``count`` frames from ``seed``; raise FuzzFailure on the first broken rule.

    The whole book is compared with the reference after every ``compare_every``-th accepted
    depth event and after every snapshot. ``book`` (an empty 0.01-tick BTCUSDT book by default)
    and ``decoder`` (a ``DepthMessage``) let a test hand in deliberately broken ones."""
    rng = random.Random(seed)
    generator = FrameGenerator(rng)
    pool = [generator.frame() for _ in range(256)]
    if book is None:
        book = tc.OrderBook(str(TICK), inst_id=SYMBOL)
    msg = decoder if decoder is not None else DepthMessage()
    ref: ReferenceBook | None = ReferenceBook()
    stats = FuzzStats()
    before = _state(book)
    since_compare = 0

    def fail(frame: Any, index: int, reason: str) -> FuzzFailure:
        return FuzzFailure(f"seed {seed}, frame {index}: {reason}\nframe: {frame!r}")

    for index in range(count):
        if progress is not None and index and index % 1_000_000 == 0:
            progress(stats)
        roll = rng.random()
        expected_kind = None
        if roll < 0.015:
            frame, expected_kind = generator.frame()
            pool[rng.randrange(len(pool))] = (frame, expected_kind)
            source = "valid"
        elif roll < 0.14:
            frame, expected_kind = rng.choice(pool)
            source = "valid"
        elif roll < 0.96:
            frame = mutate(rng.choice(pool)[0], rng.choice(pool)[0], rng)
            source = "mutated"
        else:
            frame = random_frame(rng)
            source = "random"
        stats.by_source[source] = stats.by_source.get(source, 0) + 1
        stats.frames += 1
        raw: Any = frame
        form = rng.random()
        if form < 0.05:
            raw = frame.decode("utf-8", "surrogateescape")
        elif form < 0.07:
            raw = bytearray(frame)
        elif form < 0.08:
            raw = memoryview(frame)
        try:
            msg.decode(raw)
            kind = msg.kind
            if kind in ("depth", "snapshot"):
                msg.apply(book)
        except tc.TradecostError as error:
            name = type(error).__name__
            stats.rejected[name] = stats.rejected.get(name, 0) + 1
            if expected_kind is not None:
                raise fail(frame, index, f"a valid message was rejected: {error!r}") from None
            if _state(book) != before:
                raise fail(frame, index, f"rejected ({error!r}) but the book changed") from None
            continue
        except Exception as error:  # the rule under test: nothing outside the tree
            raise fail(frame, index, f"raised {error!r}, not a TradecostError") from error
        stats.accepted[kind] = stats.accepted.get(kind, 0) + 1
        if expected_kind is not None and kind != expected_kind:
            raise fail(frame, index, f"a valid {expected_kind} message decoded as {kind!r}")
        try:
            meaning = reference_decode(frame)
        except Rejected as error:
            reason = f"accepted as {kind!r}; the reference rejects it: {error}"
            raise fail(frame, index, reason) from None
        except Unjudged:
            stats.unjudged += 1
            if kind != "other":
                ref = None  # the reference stops following the book until the next snapshot
            meaning = None
        if meaning is not None:
            problem = _check_meaning(msg, kind, meaning)
            if problem:
                raise fail(frame, index, f"accepted, but {problem}")
            if kind == "snapshot":
                ref = ReferenceBook()
                ref.snapshot(meaning.bids, meaning.asks)
                since_compare = compare_every
            elif kind == "depth" and ref is not None:
                ref.update(meaning.bids, meaning.asks)
                since_compare += 1
        compared = False
        if kind != "other" and ref is not None and since_compare >= compare_every:
            since_compare = 0
            stats.compared += 1
            compared = True
            problem = _same_as_reference(book, ref)
            if problem:
                raise fail(frame, index, f"accepted, but {problem}")
        if not compared:
            problem = okx._well_formed(book)
            if problem:
                raise fail(frame, index, f"accepted, then {problem}")
        if kind == "other" and _state(book) != before:
            raise fail(frame, index, "a message of another kind changed the book")
        before = _state(book)
    return stats


def _check_meaning(msg: Any, kind: str, meaning: Meaning) -> str | None:
    """The decoder's reading of an accepted frame against the reference's."""
    if kind != meaning.kind:
        return f"decoded as {kind!r}, the reference reads {meaning.kind!r}"
    if kind == "other":
        return None
    for name, decoded, levels in (
        ("bid", msg.bids(), meaning.bids),
        ("ask", msg.asks(), meaning.asks),
    ):
        # quantities exactly; prices to within a rounding step (the book keeps them as ticks,
        # compared there)
        expected = np.array(_rows(levels), dtype=np.float64).reshape(-1, 2)
        if decoded.shape != expected.shape:
            return f"{name} levels differ in number from the reference's reading"
        if decoded[:, 1].tolist() != expected[:, 1].tolist():
            return f"{name} quantities differ from the reference's reading"
        if not np.allclose(decoded[:, 0], expected[:, 0], rtol=1e-15, atol=0):
            return f"{name} prices differ from the reference's reading"
    ids = meaning.ids
    if kind == "snapshot":
        if msg.final_update_id != ids["lastUpdateId"]:
            return "lastUpdateId differs"
        return None
    if msg.symbol != meaning.symbol:
        return f"symbol {msg.symbol!r} differs from {meaning.symbol!r}"
    if (msg.first_update_id, msg.final_update_id) != (ids["U"], ids["u"]):
        return "U/u differ"
    if msg.prev_final_update_id != ids.get("pu"):
        return "pu differs"
    if msg.event_time_ms != ids.get("E", 0):
        return "E differs"
    return None
