"""The simulated exchange's own order book: exact level rows as OKX sends them.

The exchange must re-send levels byte for byte (snapshots for late subscribers, the REST book,
CRC32 checksums over the raw strings), so it keeps every level as the row it received
(``[price, size, "0", orders]``, all strings) keyed by the price's float value for ordering.
This is the server's ground truth, deliberately independent of the compiled client book.
"""

from __future__ import annotations

import zlib
from bisect import bisect_left, insort
from collections.abc import Iterable, Sequence

Row = list[str]


def okx_checksum(bids: Sequence[Sequence[str]], asks: Sequence[Sequence[str]]) -> int:
    """OKX CRC32 of the top 25 levels: ``bid1px:bid1sz:ask1px:ask1sz:...``, signed int32.

    Source: OKX v5 docs, "Order book channel / Checksum" (pre-2026 text); a side with fewer than
    25 levels simply contributes fewer fields. Both sides are given best first.
    """
    parts: list[str] = []
    for i in range(25):
        if i < len(bids):
            parts.append(bids[i][0])
            parts.append(bids[i][1])
        if i < len(asks):
            parts.append(asks[i][0])
            parts.append(asks[i][1])
    crc = zlib.crc32(":".join(parts).encode())
    return crc - (1 << 32) if crc >= 1 << 31 else crc


class _Side:
    """One side: sorted keys (ascending; bids use negated prices) and the rows by key."""

    __slots__ = ("keys", "rows", "sign")

    def __init__(self, sign: float) -> None:
        self.sign = sign
        self.keys: list[float] = []
        self.rows: dict[float, Row] = {}

    def set(self, row: Sequence[str]) -> None:
        key = self.sign * float(row[0])
        if float(row[1]) == 0.0:
            if key in self.rows:
                del self.rows[key]
                del self.keys[bisect_left(self.keys, key)]
            return
        if key not in self.rows:
            insort(self.keys, key)
        self.rows[key] = [str(field) for field in row]

    def top(self, n: int | None) -> list[Row]:
        keys = self.keys if n is None else self.keys[:n]
        return [self.rows[key] for key in keys]

    def clear(self) -> None:
        self.keys.clear()
        self.rows.clear()


class LevelBook:
    """An L2 book of raw OKX rows. Sizes of ``"0"`` delete; deleting an unknown price is a no-op."""

    __slots__ = ("_asks", "_bids")

    def __init__(self) -> None:
        self._bids = _Side(-1.0)
        self._asks = _Side(1.0)

    def __len__(self) -> int:
        return len(self._bids.keys) + len(self._asks.keys)

    def replace(self, bids: Iterable[Sequence[str]], asks: Iterable[Sequence[str]]) -> None:
        """Replace everything (a snapshot)."""
        self._bids.clear()
        self._asks.clear()
        self.apply(bids, asks)

    def apply(self, bids: Iterable[Sequence[str]], asks: Iterable[Sequence[str]]) -> None:
        """Upsert/delete levels (an incremental update)."""
        for row in bids:
            self._bids.set(row)
        for row in asks:
            self._asks.set(row)

    def bids(self, n: int | None = None) -> list[Row]:
        """Bid rows, best (highest) first."""
        return self._bids.top(n)

    def asks(self, n: int | None = None) -> list[Row]:
        """Ask rows, best (lowest) first."""
        return self._asks.top(n)

    def checksum(self) -> int:
        """OKX CRC32 of the top 25 levels (see :func:`okx_checksum`)."""
        return okx_checksum(self._bids.top(25), self._asks.top(25))

    def levels(self) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
        """``(bids, asks)`` as ``(price, size)`` floats, best first, for comparisons."""
        return (
            [(float(r[0]), float(r[1])) for r in self.bids()],
            [(float(r[0]), float(r[1])) for r in self.asks()],
        )

    def diff(
        self, other_bids: list[Row], other_asks: list[Row], depth: int | None
    ) -> tuple[list[Row], list[Row]]:
        """Rows that turn the book ``(other_bids, other_asks)`` into this book's top ``depth``.

        Levels that vanished are sent with size ``"0"`` (how OKX evicts a level from its window).
        """
        return (
            _side_diff(other_bids, self.bids(depth), reverse=True),
            _side_diff(other_asks, self.asks(depth), reverse=False),
        )


def _side_diff(before: list[Row], after: list[Row], *, reverse: bool) -> list[Row]:
    old = {row[0]: row for row in before}
    new = {row[0]: row for row in after}
    changes = [row for price, row in new.items() if old.get(price) != row]
    changes += [[price, "0", "0", "0"] for price in old if price not in new]
    changes.sort(key=lambda row: float(row[0]), reverse=reverse)
    return changes
