"""Order sides."""

from __future__ import annotations

from enum import StrEnum


class Side(StrEnum):
    """The side of an order. A plain ``"buy"``/``"sell"`` string works wherever a Side does."""

    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        """+1 for a buy, -1 for a sell: cost = sign * (price - reference)."""
        return 1 if self is Side.BUY else -1
