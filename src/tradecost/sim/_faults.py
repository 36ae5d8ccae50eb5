"""Frame faults on one connection, without I/O: which frames go out when a fault is pending.

Both simulated venues inject the same four kinds into the next book update(s) a connection is
sent: ``drop`` (lost), ``duplicate`` (sent twice), ``reorder`` (held back and sent after the
next one of the same stream) and a corruption (the venue says how: OKX a wrong checksum,
Binance a price that is not a number). :class:`FrameFaults` decides; the server shell sends.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

__all__ = ["FrameFault", "FrameFaults"]


@dataclass
class FrameFault:
    """``kind`` applied to the next ``remaining`` frames of ``target`` (every one when None)."""

    kind: str
    target: str | None
    remaining: int


@dataclass
class FrameFaults:
    """The pending frame faults of one connection and the frames a reorder holds back."""

    pending: list[FrameFault] = field(default_factory=list)
    held: dict[Hashable, str] = field(default_factory=dict)

    def add(self, kind: str, target: str | None, count: int) -> None:
        self.pending.append(FrameFault(kind, target, count))

    def apply(
        self,
        key: Hashable,
        target: str,
        text: str,
        corrupt: Callable[[], str],
        *,
        faultable: bool = True,
    ) -> tuple[list[str], str | None]:
        """The frames to send, in order, for one update ``text`` of stream ``key`` (about
        ``target``), and the kind of fault applied (None when none was pending for it).

        ``corrupt`` renders the corrupted frame; it is called only for a corruption kind (any
        kind other than drop, duplicate and reorder). ``faultable=False`` sends the frame as it
        is (a frame held back on its stream still follows it)."""
        candidates = self.pending if faultable else []
        fault = next((f for f in candidates if f.target in (None, target)), None)
        out = [text]
        if fault is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                self.pending.remove(fault)
            if fault.kind == "drop":
                return [], fault.kind
            if fault.kind == "reorder" and key not in self.held:
                self.held[key] = text
                return [], fault.kind
            if fault.kind == "duplicate":
                out = [text, text]
            elif fault.kind != "reorder":
                out = [corrupt()]
        held = self.held.pop(key, None)
        if held is not None:
            out.append(held)
        return out, None if fault is None else fault.kind
