"""Reconnecting well: capped, jittered exponential backoff and the retryable-or-fatal decision.

Shared by every venue's client.
"""

from __future__ import annotations

import random

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from tradecost.errors import InvalidInputError, SubscriptionError

__all__ = ["Backoff", "is_retryable"]


class Backoff:
    """Capped exponential backoff with jitter.

    Attempt ``n`` waits ``min(maximum, initial × factor**n) × U(1 - jitter, 1)`` seconds.

    ``reset()`` after a healthy connection starts again from ``initial``. ``rng`` is injectable.
    """

    def __init__(
        self,
        initial: float = 0.5,
        maximum: float = 30.0,
        factor: float = 2.0,
        jitter: float = 0.5,
        rng: random.Random | None = None,
    ) -> None:
        if not 0 < initial <= maximum:
            raise InvalidInputError(f"need 0 < initial <= maximum, got {initial}, {maximum}")
        if factor < 1 or not 0 <= jitter <= 1:
            raise InvalidInputError(
                f"need factor >= 1 and 0 <= jitter <= 1, got {factor}, {jitter}"
            )
        self.initial, self.maximum, self.factor, self.jitter = initial, maximum, factor, jitter
        self.rng = rng or random.Random()
        self.attempt = 0

    def next_delay(self) -> float:
        """Seconds to wait before the next attempt (advances the attempt counter)."""
        ceiling = min(self.maximum, self.initial * self.factor**self.attempt)
        self.attempt += 1
        return ceiling * (1.0 - self.jitter * self.rng.random())

    def reset(self) -> None:
        self.attempt = 0


def is_retryable(exc: BaseException) -> bool:
    """Retry network-level failures; exchange refusals and bad URLs are fatal."""
    if isinstance(exc, (SubscriptionError, InvalidURI, InvalidInputError)):
        return False
    if isinstance(exc, InvalidHandshake):
        status = getattr(getattr(exc, "response", None), "status_code", None)
        return status is None or status >= 500 or status == 429
    return isinstance(exc, (OSError, TimeoutError, ConnectionClosed, EOFError))
