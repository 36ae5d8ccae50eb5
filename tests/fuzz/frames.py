"""A fuzzer for the hand-written OKX decoder behind ``OrderBook.apply_message``.

Frames come from three sources, all from one seeded ``random.Random``:

- valid ``books`` pushes (snapshots and updates, several channels, key orders, whitespace,
  number spellings, escaped strings), which must be accepted;
- mutations of valid pushes: truncations, bit flips, byte edits, numbers swapped for huge,
  negative, exponent and non-numbers, odd whitespace, escapes, deep nesting, values of the wrong
  type, dropped, duplicated and reordered keys, spliced frames;
- random bytes and JSON-looking token soup.

Every frame goes through one ``OrderBook``. The checks, per frame:

- a rejected frame raises a ``TradecostError`` subclass (anything else fails the run) and leaves
  the book exactly as it was (levels, sizes and the checksum strings, against a copy);
- an accepted frame leaves the book well-formed (strictly sorted sides, finite sizes > 0);
- when the frame is strict, duplicate-free JSON, an independent decoder (``json`` + the Decimal
  ``ReferenceBook``) must accept it too, and the two books must hold the same levels, the same
  checksum and the same crossed flag; a valid push must be accepted.

Frames the reference cannot judge (non-strict JSON the scanner tolerates, duplicate keys, escaped
keys, nesting deeper than ``json`` recurses) are counted, and checked for well-formedness only.
The scanner validates what it reads and skips the rest quickly, so it accepts some frames that
strict JSON would not: bad escapes, control characters or invalid UTF-8 inside strings it does
not decode, number-like tokens such as ``1e+`` in values it skips, and the decimal spellings
``.5``, ``1.`` and ``007`` as bare numbers. None of these changes what a level means.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np

import tradecost as tc
from tests.reference import ReferenceBook

TICK = Decimal("0.1")
INST_ID = "BTC-USDT"
CENTER_TICKS = 950_000  # 95,000.0
BOOK_CHANNELS = ["books"] * 6 + ["books-l2-tbt", "books50-l2-tbt", "books5", "bbo-tbt"]


class Bare(str):
    """Text written into a frame as is (a bare JSON number, or anything else raw)."""


class Pairs(list):  # type: ignore[type-arg]
    """A JSON object as (key, value) pairs: keeps order and allows duplicate keys."""


# --------------------------------------------------------------------------------------------
# Writing frames
# --------------------------------------------------------------------------------------------

WHITESPACE = [" ", "\n", "\t", "\r", "  ", "\r\n"]


def dump(value: Any, rng: random.Random, spacing: float) -> str:
    """JSON text of ``value``; with probability ``spacing`` whitespace around each token."""

    def ws() -> str:
        return rng.choice(WHITESPACE) if spacing and rng.random() < spacing else ""

    if isinstance(value, Bare):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Pairs):
        items = [
            f"{ws()}{json.dumps(k) if not isinstance(k, Bare) else k}{ws()}:{ws()}"
            f"{dump(v, rng, spacing)}{ws()}"
            for k, v in value
        ]
        return "{" + ",".join(items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(f"{ws()}{dump(v, rng, spacing)}{ws()}" for v in value) + "]"
    raise TypeError(type(value))


class FrameGenerator:
    """Valid OKX v5 ``books``-family pushes for a 0.1-tick BTC-USDT book, varied in form."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seq = 1

    def price_text(self, ticks: int) -> Any:
        rng = self.rng
        text = format(TICK * ticks, "f")
        roll = rng.random()
        if roll < 0.1:
            text += "0" * rng.randint(1, 3)  # "95000.10": the same price
        elif roll < 0.13 and text.endswith(".0"):
            text = text[:-2]  # "95000"
        elif roll < 0.16:
            text = format(Decimal(text).normalize(), "E")  # "9.50001E+4"
        if rng.random() < 0.04:
            return Bare(text)  # a bare JSON number instead of a string
        return text

    def size_text(self, allow_zero: bool) -> Any:
        rng = self.rng
        if allow_zero and rng.random() < 0.25:
            text = rng.choice(["0", "0.0", "0.000", "0e0"])
        else:
            mantissa = rng.choice(
                [rng.randint(1, 999), rng.randint(1, 10**9), rng.randint(1, 10**17)]
            )
            text = format(Decimal(mantissa).scaleb(-rng.randint(0, 12)), "f")
            roll = rng.random()
            if roll < 0.05:
                text = format(Decimal(text), "e")  # "1.5e-3"
            elif roll < 0.08 and "." in text:
                # Trailing zeros dropped or added (within the 18 digits the scanner reads).
                digits = len(text) - 1
                text = text.rstrip("0").rstrip(".") if digits > 16 else text + "00"
        if rng.random() < 0.04:
            return Bare(text)
        return text

    def levels(self, side: str, count: int, allow_zero: bool) -> list[list[Any]]:
        rng = self.rng
        rows = []
        for _ in range(count):
            offset = rng.randint(0, 200)
            if rng.random() < 0.03:
                offset = -rng.randint(1, 5)  # a crossing price: the data says so
            ticks = CENTER_TICKS - offset if side == "bid" else CENTER_TICKS + 1 + offset
            row = [self.price_text(ticks), self.size_text(allow_zero)]
            row += rng.choice([["0", str(rng.randint(1, 40))], [], ["0"], ["0", "3", "extra"]])
            rows.append(row)
        if not allow_zero and rng.random() < 0.7:
            rows.sort(
                key=lambda r: Decimal(str(r[0])), reverse=side == "bid"
            )  # best first, as OKX sends
        return rows

    def frame(self) -> tuple[bytes, bool]:
        """One valid push and whether it is a snapshot."""
        rng = self.rng
        channel = rng.choice(BOOK_CHANNELS)
        snapshot = channel in ("books5", "bbo-tbt") or rng.random() < 0.08
        depth = {"books5": 5, "bbo-tbt": 1}.get(channel, 25 if snapshot else 6)
        bids = self.levels("bid", rng.randint(0, depth), not snapshot)
        asks = self.levels("ask", rng.randint(0, depth), not snapshot)
        self.seq += 1
        data: list[tuple[str, Any]] = [("asks", asks), ("bids", bids)]
        data.append(("ts", rng.choice([str(1_700_000_000_000 + self.seq), Bare("1700000000000")])))
        data.append(("checksum", rng.choice([0, -1234567, Bare("0")])))
        if rng.random() < 0.9:
            data.append(("prevSeqId", -1 if snapshot else self.seq - 1))
            data.append(("seqId", self.seq))
        if rng.random() < 0.2:
            data.append(
                ("note", rng.choice([None, True, Pairs([("a", [1, Bare("2.5e3")])]), "x\\y"]))
            )
        rng.shuffle(data)
        inst = INST_ID
        if rng.random() < 0.05:
            inst = "BTC\\u002dUSDT"  # an escaped '-': the same instrument
        arg: list[tuple[Any, Any]] = [("channel", channel), ("instId", Bare(f'"{inst}"'))]
        rng.shuffle(arg)
        top: list[tuple[Any, Any]] = [("arg", Pairs(arg)), ("data", [Pairs(data)])]
        if channel not in ("books5", "bbo-tbt") or rng.random() < 0.5:
            top.insert(1, ("action", "snapshot" if snapshot else "update"))
        if rng.random() < 0.1:
            rng.shuffle(top)  # "data" before "arg" is still the same push
        spacing = rng.choice([0.0, 0.0, 0.0, 0.1, 0.6])
        return dump(Pairs(top), rng, spacing).encode(), snapshot


# --------------------------------------------------------------------------------------------
# Mutations
# --------------------------------------------------------------------------------------------

PUNCTUATION = re.compile(rb'[,:\[\]{}"]')
NUMBER = re.compile(rb'-?[0-9][0-9.eE+\-]*|"-?[0-9][0-9.eE+\-]*"')
STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
SCALAR = re.compile(STRING.pattern + b"|" + NUMBER.pattern + b"|true|false|null")
OPENER = re.compile(rb"[\[{]")
BRACKET = re.compile(rb"[\[\]{}]")
OPENING_BYTES = b"[{"
# fmt: off
ODD_NUMBERS = [
    b"9" * 19, b"9" * 30, b"9223372036854775807", b"9223372036854775808", b"-9223372036854775808",
    b"1e400", b"1e-400", b"1e18", b"1e19", b"1e-40", b"1e-41", b"1E+2", b"1e", b"1e+", b"e5",
    b"-1", b"-0", b"-0.0", b"-95000.1", b"0", b"0.0", b"00012", b"1.", b".5", b".", b"-", b"+1",
    b"1.2.3", b"--1", b"NaN", b"Infinity", b"-Infinity", b"0x10", b"1_000", b"", b" 1", b"1 ",
    b"0." + b"0" * 40 + b"1", b"1" + b"0" * 18, b"95000.1000000000000000000", b"95000.05",
    b"95000.1e0", b"950001e-1", b"9.50001E4", b"1" * 64, b"0.000000000000000000001",
    b"123456789012345678", b"1234567890123456789", b"9007199254740993", b"4.9e-324", b"1.7e308",
]
ODD_WHITESPACE = [b" ", b"\t", b"\n", b"\r", b"\x0b", b"\x0c", b"\xc2\xa0", b"\xe2\x80\x8b", b"\x00"]
ESCAPES = [
    b"\\u0030", b"\\u0041", b"\\\"", b"\\\\", b"\\/", b"\\b", b"\\n", b"\\u0000", b"\\x41",
    b"\\u12", b"\\ud800", b"\\udc00\\ud800", b"\\", b"\\U0041", b"\\u00e9",
]
WRONG_TYPES = [
    b"null", b"true", b"false", b"1", b"-1", b'"s"', b'""', b"[]", b"{}", b"[[]]", b'[""]',
    b'["1"]', b'[["1"]]', b'{"a":1}', b"[null,null]", b'["95000.1",null]', b'[true,"1"]',
    b'[{"p":"1"},"1"]', b"nul", b"tru", b"[", b"{", b'"',
]
INTERESTING_BYTES = [*b'",[]{}:\\-e.0 ', 0, 0x7F, 0x80, 0xFF, 0xC3]
# fmt: on


Mutation = Callable[[bytes, bytes, random.Random], bytes]


def mutate(frame: bytes, other: bytes, rng: random.Random) -> bytes:
    """One or more random mutations of ``frame`` (``other`` is another frame to splice in)."""
    return mutate_with(MUTATIONS, frame, other, rng)


def mutate_with(mutations: list[Mutation], frame: bytes, other: bytes, rng: random.Random) -> bytes:
    """One mutation from ``mutations`` (70 %), else two to four in a row: every venue's
    generator mutates its frames this way, each with its own list."""
    out = frame
    for _ in range(1 if rng.random() < 0.7 else rng.randint(2, 4)):
        out = rng.choice(mutations)(out, other, rng)
    return out


def _truncate(frame: bytes, other: bytes, rng: random.Random) -> bytes:
    return frame[: rng.randrange(len(frame) + 1)]


def _bit_flip(frame: bytes, other: bytes, rng: random.Random) -> bytes:
    if not frame:
        return frame
    data = bytearray(frame)
    for _ in range(rng.choice([1, 1, 1, 2, 3, 8])):
        i = rng.randrange(len(data))
        data[i] ^= 1 << rng.randrange(8)
    return bytes(data)


def _byte_edit(frame: bytes, other: bytes, rng: random.Random) -> bytes:
    i = rng.randrange(len(frame) + 1)
    byte = bytes([rng.choice(INTERESTING_BYTES)])
    roll = rng.random()
    if roll < 0.4:
        return frame[:i] + byte + frame[i:]
    if roll < 0.7:
        return frame[:i] + frame[i + 1 :]
    return frame[:i] + byte + frame[i + 1 :]


def _pick(pattern: re.Pattern[bytes], frame: bytes, rng: random.Random) -> tuple[int, int] | None:
    """The span of a match of ``pattern`` at or after a random place in ``frame``."""
    match = pattern.search(frame, rng.randrange(len(frame) + 1)) or pattern.search(frame)
    return match.span() if match else None


def _odd_number(frame: bytes, other: bytes, rng: random.Random) -> bytes:
    span = _pick(NUMBER, frame, rng)
    if span is None:
        return frame
    number = rng.choice(ODD_NUMBERS)
    if rng.random() < 0.3:
        number = b"-" + number
    if frame[span[0]] == ord('"') and rng.random() < 0.8:
        number = b'"' + number + b'"'
    return frame[: span[0]] + number + frame[span[1] :]


def _odd_whitespace(frame: bytes, other: bytes, rng: random.Random) -> bytes:
    span = _pick(PUNCTUATION, frame, rng) if rng.random() < 0.8 else None
    i = span[1] if span else rng.randrange(len(frame) + 1)
    return frame[:i] + rng.choice(ODD_WHITESPACE) * rng.randint(1, 3) + frame[i:]


def _escape(frame: bytes, other: bytes, rng: random.Random) -> bytes:
    span = _pick(STRING, frame, rng)
    if span is None:
        return frame
    body = frame[span[0] + 1 : span[1] - 1]
    roll = rng.random()
    if roll < 0.4 and body:
        # Spell one character as a \\u escape: the same string to a JSON decoder.
        i = rng.randrange(len(body))
        escaped = b"\\u%04x" % body[i] if body[i] < 0x80 else body[i : i + 1]
        body = body[:i] + escaped + body[i + 1 :]
    else:
        i = rng.randrange(len(body) + 1)
        body = body[:i] + rng.choice(ESCAPES) + body[i:]
    return frame[: span[0] + 1] + body + frame[span[1] - 1 :]


def _value_span(frame: bytes, rng: random.Random) -> tuple[int, int] | None:
    """The span of a string, number, array or object at or after a random place in ``frame``."""
    if rng.random() < 0.5:
        return _pick(SCALAR, frame, rng)
    span = _pick(OPENER, frame, rng)
    if span is None:
        return None
    depth = 0
    for seen, match in enumerate(BRACKET.finditer(frame, span[0])):
        depth += 1 if frame[match.start()] in OPENING_BYTES else -1
        if depth == 0:
            return span[0], match.end()
        if seen > 64:  # a large container: take a scalar instead
            break
    return _pick(SCALAR, frame, rng)


def _wrong_type(frame: bytes, other: bytes, rng: random.Random) -> bytes:
    span = _value_span(frame, rng)
    if span is None:
        return frame
    return frame[: span[0]] + rng.choice(WRONG_TYPES) + frame[span[1] :]


def _deep_nesting(frame: bytes, other: bytes, rng: random.Random) -> bytes:
    depth = rng.choice([1, 2, 10, 62, 63, 64, 65, 66, 100, 1000, 100_000])
    opener, closer = (b"[", b"]") if rng.random() < 0.7 else (b'{"k":', b"}")
    if rng.random() < 0.5:
        # An unknown key holding a deep value: skipped, within the scanner's depth limit.
        inner = opener * depth + b"1" + closer * depth
        i = frame.find(b"{") + 1
        return frame[:i] + b'"deep":' + inner + b"," + frame[i:]
    span = _value_span(frame, rng)
    if span is None:
        return frame
    value = frame[span[0] : span[1]]
    return frame[: span[0]] + opener * depth + value + closer * depth + frame[span[1] :]


# fmt: off
STRUCTURE_EDITS: list[tuple[bytes, bytes]] = [
    (b'"asks"', b'"asks2"'), (b'"bids"', b'"Bids"'), (b'"arg"', b'"args"'),
    (b'"data"', b'"dat"'), (b'"action"', b'"event"'), (b'"channel"', b'"chan"'),
    (b'"instId"', b'"instid"'), (b'"books"', b'"trades"'), (b'"books"', b'"book"'),
    (b'"books"', b'"books5"'), (b'"books"', b'"bbo-tbt"'), (b'"BTC-USDT"', b'"ETH-USDT"'),
    (b'"BTC-USDT"', b'""'), (b'"update"', b'"snapshot"'), (b'"snapshot"', b'"update"'),
    (b'"update"', b'"Update"'), (b'"update"', b'""'), (b'"data":[', b'"data":[{},'),
    (b'"data":[', b'"data":[[],'), (b"}]}", b'},{"asks":[],"bids":[]}]}'),
    (b"}]}", b"}],}"), (b"}]}", b"}]},"), (b"}]}", b"}]}}"), (b"}]}", b"}]} x"),
    (b"]]", b"],]]"), (b"]]", b"]],[]]"), (b'"arg":{', b'"arg":{"channel":"books",'),
    (b'"arg":{', b'"event":"error","arg":{'), (b"[[", b"[ [ ["), (b'"ts"', b'"seqId"'),
    (b'"seqId"', b'"ts"'), (b'"checksum"', b'"prevSeqId"'), (b'{"arg"', b'{"arg":{},"arg"'),
    (b'"bids"', b'"asks"'), (b'"asks"', b'"bids"'),
]
# fmt: on


def _structure(frame: bytes, other: bytes, rng: random.Random) -> bytes:
    """Perturb a valid frame's meaning: keys dropped, duplicated, renamed; odd values."""
    return edit(frame, STRUCTURE_EDITS, rng, first_chance=0.5)


def edit(
    frame: bytes, edits: list[tuple[bytes, bytes]], rng: random.Random, first_chance: float = 0.0
) -> bytes:
    """Replace one occurrence of an ``(old, new)`` pair from ``edits`` whose ``old`` is in
    ``frame`` (eight tries): the first occurrence with probability ``first_chance``, else a
    random one. ``frame`` unchanged when no pair was found."""
    for _ in range(8):
        old, new = rng.choice(edits)
        if old in frame:
            break
    else:
        return frame
    if first_chance and rng.random() < first_chance:
        return frame.replace(old, new, 1)
    i = rng.choice([m.start() for m in re.finditer(re.escape(old), frame)])
    return frame[:i] + new + frame[i + len(old) :]


def _drop_arg_channel(frame: bytes, other: bytes, rng: random.Random) -> bytes:
    """Remove ``channel`` or ``instId`` from ``arg``: a push that names no channel."""
    key = rng.choice([b"channel", b"instId"])
    return re.sub(rb'"' + key + rb'"\s*:\s*"(?:[^"\\]|\\.)*"\s*,?', b"", frame, count=1)


def _splice(frame: bytes, other: bytes, rng: random.Random) -> bytes:
    return frame[: rng.randrange(len(frame) + 1)] + other[rng.randrange(len(other) + 1) :]


# fmt: off
MUTATIONS: list[Mutation] = [
    _truncate, _truncate, _bit_flip, _bit_flip, _byte_edit, _byte_edit, _odd_number, _odd_number,
    _odd_number, _odd_whitespace, _escape, _escape, _wrong_type, _wrong_type, _deep_nesting,
    _structure, _structure, _structure, _drop_arg_channel, _splice,
]
# fmt: on

# fmt: off
SOUP = [
    b"{", b"}", b"[", b"]", b",", b":", b'"arg"', b'"data"', b'"asks"', b'"bids"', b'"action"',
    b'"books"', b'"snapshot"', b'"update"', b'"95000.1"', b'"1"', b'"0"', b"1", b"-1", b"null",
    b"true", b" ", b'"channel"', b'"instId"', b'"BTC-USDT"', b'"event"',
]
# fmt: on


def random_frame(rng: random.Random) -> bytes:
    return soup_frame(SOUP, rng)


def soup_frame(soup: list[bytes], rng: random.Random) -> bytes:
    """Random bytes, or a random string of the venue's JSON tokens (``soup``)."""
    if rng.random() < 0.5:
        return rng.randbytes(rng.randrange(64))
    return b"".join(rng.choice(soup) for _ in range(rng.randrange(40)))


# --------------------------------------------------------------------------------------------
# The independent decoder
# --------------------------------------------------------------------------------------------


class Unjudged(Exception):
    """The reference cannot say what the frame means (not strict JSON, or ambiguous)."""


class Rejected(Exception):
    """The reference decoder rejects the frame."""


ESCAPED_KEY = re.compile(rb'"(?:[^"\\]|\\.)*\\(?:[^"\\]|\\.)*"\s*:')


def _pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in items]
    if len(set(keys)) != len(keys):
        raise Unjudged("duplicate keys")
    return dict(items)


def _constant(name: str) -> Any:
    raise Unjudged(f"{name} is not JSON")


def _decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, Decimal)):
        raise Rejected(f"{what} {value!r} is not a number")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise Rejected(f"{what} {value!r} is not a number") from None
    if not number.is_finite():
        raise Rejected(f"{what} {value!r} is not finite")
    return number


def _integer(value: Any, what: str) -> None:
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value):
        return
    if isinstance(value, Decimal) and value.as_tuple().exponent == 0:
        return
    raise Rejected(f"{what} {value!r} is not an integer")


def reference_decode(frame: bytes) -> tuple[bool, list[list[str]], list[list[str]]]:
    """(is_snapshot, bids, asks) of a books push as the OKX docs define it, with each price and
    size as its plain decimal text; raises Rejected or Unjudged."""
    if ESCAPED_KEY.search(frame):
        raise Unjudged("an escaped key (the scanner compares keys as raw bytes)")
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
        raise Unjudged(f"not strict JSON, or a number beyond Decimal: {error!r}") from None
    if not isinstance(message, dict):
        raise Rejected("not an object")
    if "event" in message:
        raise Rejected("an event, not a push")
    arg, data = message.get("arg"), message.get("data")
    if not isinstance(arg, dict) or not isinstance(data, list) or not data:
        raise Rejected("needs 'arg' (object) and 'data' (non-empty array)")
    channel, inst_id = arg.get("channel", ""), arg.get("instId", "")
    if not isinstance(channel, str) or not isinstance(inst_id, str):
        raise Rejected("channel and instId are strings")
    if not (channel.startswith("books") or channel == "bbo-tbt"):
        raise Rejected(f"channel {channel!r} is not an order-book channel")
    if inst_id and inst_id != INST_ID:
        raise Rejected(f"a push for {inst_id!r}")
    action = message.get("action")
    if action is None and "action" not in message:
        if channel not in ("books5", "bbo-tbt"):
            raise Rejected("an incremental push needs an action")
        action = "snapshot"
    if action not in ("snapshot", "update"):
        raise Rejected(f"action {action!r}")
    if len(data) != 1 or not isinstance(data[0], dict):
        raise Rejected("a books push has one data object")
    body = data[0]
    for key in ("ts", "checksum", "seqId", "prevSeqId"):
        if key in body:
            _integer(body[key], key)
    sides = []
    for key in ("bids", "asks"):
        rows = body.get(key)
        if not isinstance(rows, list):
            raise Rejected(f"{key} must be an array")
        out = []
        for row in rows:
            if not isinstance(row, list) or len(row) < 2:
                raise Rejected(f"a level {row!r}")
            price, size = _decimal(row[0], "price"), _decimal(row[1], "size")
            try:
                on_grid = price > 0 and (price / TICK) % 1 == 0
            except ArithmeticError:  # more digits than Decimal's context: no int64 tick either
                on_grid = False
            if not on_grid:
                raise Rejected(f"price {row[0]!r}")
            if size < 0 or (size == 0 and size.is_signed()):
                raise Rejected(f"size {row[1]!r}")
            out.append([format(price, "f"), format(size, "f")])
        sides.append(out)
    return action == "snapshot", sides[0], sides[1]


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


@dataclass
class FuzzStats:
    frames: int = 0
    accepted: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    compared: int = 0
    unjudged: int = 0
    by_source: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        rejected = ", ".join(f"{k} {v}" for k, v in sorted(self.rejected.items()))
        sources = ", ".join(f"{k} {v}" for k, v in sorted(self.by_source.items()))
        return (
            f"{self.frames} frames ({sources}): {self.accepted} accepted, of which "
            f"{self.compared} compared with the reference and {self.unjudged} not judgeable; "
            f"rejected: {rejected}"
        )


class FuzzFailure(AssertionError):
    """A frame broke a rule; the message names the frame so it can be replayed."""


def _well_formed(book: tc.OrderBook) -> str | None:
    bids, asks = book.bid_ticks(), book.ask_ticks()
    if not (bids[1:] < bids[:-1]).all():
        return "bids not strictly descending"
    if not (asks[1:] > asks[:-1]).all():
        return "asks not strictly ascending"
    for rows in (book.bids(), book.asks()):
        sizes = rows[:, 1]
        # min > 0 is False for a NaN too
        if sizes.size and not (sizes.min() > 0 and np.isfinite(sizes.max())):
            return "a size that is not finite and > 0"
    return None


def _same_as_reference(book: tc.OrderBook, ref: ReferenceBook) -> str | None:
    bids, asks = ref.sorted_bids(), ref.sorted_asks()
    if book.bid_ticks().tolist() != [int(p / TICK) for p, _ in bids]:
        return "bid prices differ from the reference"
    if book.ask_ticks().tolist() != [int(p / TICK) for p, _ in asks]:
        return "ask prices differ from the reference"
    if book.bids()[:, 1].tolist() != [float(s) for _, s in bids]:
        return "bid sizes differ from the reference"
    if book.asks()[:, 1].tolist() != [float(s) for _, s in asks]:
        return "ask sizes differ from the reference"
    if book.checksum() != ref.checksum():
        return "checksum differs from the reference"
    crossed = bool(bids and asks and bids[0][0] >= asks[0][0])
    if book.crossed != crossed:
        return "crossed flag differs from the reference"
    return None


def run(
    seed: int,
    count: int,
    *,
    compare_every: int = 1,
    progress: Callable[[FuzzStats], None] | None = None,
    book: tc.OrderBook | None = None,
) -> FuzzStats:
    """Run ``count`` frames from ``seed``; raise FuzzFailure on the first broken rule.

    Every accepted frame is decoded by the reference and applied to its book; the full
    comparison of the two books runs on every ``compare_every``-th of them and after every
    snapshot. ``book`` (an empty 0.1-tick BTC-USDT book by default) lets a test hand in a
    deliberately broken one."""
    rng = random.Random(seed)
    generator = FrameGenerator(rng)
    pool = [generator.frame()[0] for _ in range(256)]
    decoded: dict[bytes, tuple[bool, list[list[str]], list[list[str]]]] = {}
    if book is None:
        book = tc.OrderBook(str(TICK), inst_id=INST_ID)
    ref: ReferenceBook | None = ReferenceBook()
    stats = FuzzStats()
    shadow = book.copy()
    shadow_checksum = book.checksum()
    since_compare = 0

    def fail(frame: Any, index: int, reason: str) -> FuzzFailure:
        return FuzzFailure(f"seed {seed}, frame {index}: {reason}\nframe: {frame!r}")

    for index in range(count):
        if progress is not None and index and index % 1_000_000 == 0:
            progress(stats)
        roll = rng.random()
        valid = False
        if roll < 0.015:
            frame = generator.frame()[0]
            slot = rng.randrange(len(pool))
            decoded.pop(pool[slot], None)
            pool[slot] = frame
            source, valid = "valid", True
        elif roll < 0.14:
            frame = rng.choice(pool)  # valid in any state of the book
            source, valid = "valid", True
        elif roll < 0.96:
            frame = mutate(rng.choice(pool), rng.choice(pool), rng)
            source = "mutated"
        else:
            frame = random_frame(rng)
            source = "random"
        stats.by_source[source] = stats.by_source.get(source, 0) + 1
        stats.frames += 1
        raw: Any = frame
        form = rng.random()
        if form < 0.05:
            raw = frame.decode("utf-8", "surrogateescape")  # str, lone surrogates and all
        elif form < 0.07:
            raw = bytearray(frame)
        try:
            book.apply_message(raw)
        except tc.TradecostError as error:
            name = type(error).__name__
            stats.rejected[name] = stats.rejected.get(name, 0) + 1
            if valid:
                raise fail(frame, index, f"a valid push was rejected: {error!r}") from None
            if book != shadow or book.checksum() != shadow_checksum:
                raise fail(frame, index, f"rejected ({error!r}) but the book changed") from None
            continue
        except Exception as error:  # the rule under test: nothing outside the tree
            raise fail(frame, index, f"raised {error!r}, not a TradecostError") from error
        stats.accepted += 1
        compared = False
        meaning = decoded.get(frame) if valid else None
        if meaning is None:
            try:
                meaning = reference_decode(frame)
            except Rejected as error:
                raise fail(frame, index, f"accepted; the reference rejects it: {error}") from None
            except Unjudged:
                stats.unjudged += 1
                ref = None  # the reference stops following the book until the next snapshot
            else:
                if valid:
                    decoded[frame] = meaning
        if meaning is not None:
            snapshot, bids, asks = meaning
            if snapshot:
                ref = ReferenceBook()
                since_compare = compare_every
            if ref is not None:
                ref.apply_update(bids, asks)
                since_compare += 1
                if since_compare >= compare_every:
                    since_compare = 0
                    stats.compared += 1
                    compared = True
                    problem = _same_as_reference(book, ref)
                    if problem:
                        raise fail(frame, index, f"accepted, but {problem}")
        if not compared:  # (the comparison implies it)
            problem = _well_formed(book)
            if problem:
                raise fail(frame, index, f"accepted, then {problem}")
        shadow = book.copy()
        shadow_checksum = book.checksum()
    return stats
