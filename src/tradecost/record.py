"""Recordings of raw feed frames: gzip'd NDJSON, one ``{"local_ts_ns": int, "frame": str}`` a line.

``local_ts_ns`` is the Unix time in ns at which the frame was read from the socket; ``frame`` is
the text exactly as received (binary frames are stored base64 under ``"frame_b64"``). The reader
also accepts the formats of the shared captures: plain NDJSON with one raw frame per line (no
time), and cryptofeed's ``<unix seconds>: <raw frame>`` lines (connect/send lines are skipped).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gzip
import json
import time
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from tradecost._closing import Closing
from tradecost.errors import InvalidInputError
from tradecost.feeds.okx import spec
from tradecost.feeds.okx.instruments import bundled_instruments
from tradecost.instruments import Instrument


class RecordingWriter(Closing):
    """Append frames to a gzip'd NDJSON recording (``with RecordingWriter(path) as rec``)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        # closed by close() / __exit__: the writer is itself the context manager
        self._file: IO[str] = gzip.open(self.path, "wt", encoding="utf-8", compresslevel=6)  # noqa: SIM115
        self.frames = 0

    def write(self, local_ts_ns: int, frame: str | bytes) -> None:
        if isinstance(frame, str):
            line = json.dumps({"local_ts_ns": local_ts_ns, "frame": frame}, separators=(",", ":"))
        else:
            encoded = base64.b64encode(frame).decode()
            line = json.dumps(
                {"local_ts_ns": local_ts_ns, "frame_b64": encoded}, separators=(",", ":")
            )
        self._file.write(line + "\n")
        self.frames += 1

    def close(self) -> None:
        self._file.close()


def _open_text(path: Path) -> IO[str]:
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open("r", encoding="utf-8")


def read_recording(path: str | Path) -> Iterator[tuple[int | None, str | bytes]]:
    """Yield ``(local_ts_ns or None, frame)`` from a recording or a shared capture file."""
    path = Path(path)
    if not path.exists():
        raise InvalidInputError(f"no recording at {path}")
    with _open_text(path) as lines:
        yield from read_lines(lines, str(path))


def read_lines(
    lines: Iterable[str], where: str = "recording"
) -> Iterator[tuple[int | None, str | bytes]]:
    """The capture reader: ``(local_ts_ns or None, frame)`` from the lines of a recording
    (module docstring: the three formats). Blank lines and cryptofeed's connect/send lines are
    skipped; ``where`` names the source in errors."""
    for number, line in enumerate(lines, 1):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        if line.startswith('{"local_ts_ns"'):
            entry = json.loads(line)
            if "frame_b64" in entry:
                yield int(entry["local_ts_ns"]), base64.b64decode(entry["frame_b64"])
            else:
                yield int(entry["local_ts_ns"]), str(entry["frame"])
        elif line.startswith(("{", "[")):
            yield None, line
        else:
            head, sep, rest = line.partition(": ")
            try:
                seconds = float(head)
            except ValueError:
                continue  # cryptofeed's "<url> <-> ts" connect and "<url> <- ts: sent" lines
            if not sep:
                raise InvalidInputError(f"{where}:{number}: unrecognised recording line")
            yield int(seconds * 1e9), rest


def timed_frames(path: str | Path) -> list[tuple[int, str | bytes]]:
    """All frames with a time (frames without one get the previous time, or 0)."""
    out: list[tuple[int, str | bytes]] = []
    last = 0
    for ts, frame in read_recording(path):
        last = ts if ts is not None else last
        out.append((last, frame))
    return out


def recording_instruments(
    frames: Iterable[tuple[int, str | bytes]],
) -> tuple[str, dict[str, Instrument]]:
    """The OKX book channel and instruments a recording needs (bundled specs, else a spot
    instrument whose tick size is implied by the most decimals seen in its prices)."""
    known = bundled_instruments()
    channel = ""
    decimals: dict[str, int] = {}
    for _, frame in frames:
        try:
            push = json.loads(frame)
        except ValueError:
            continue
        arg = push.get("arg") if isinstance(push, dict) else None
        if not isinstance(arg, dict) or arg.get("channel") not in spec.BOOK_CHANNELS:
            continue
        if "data" not in push:
            continue
        channel = channel or str(arg["channel"])
        inst_id = str(arg["instId"])
        for side in ("bids", "asks"):
            places = spec.max_price_decimals(push["data"][0].get(side, []))
            decimals[inst_id] = max(decimals.get(inst_id, 0), places)
    instruments: dict[str, Instrument] = {}
    for inst_id, places in decimals.items():
        if inst_id in known:
            instruments[inst_id] = known[inst_id]
        else:
            tick = spec.tick_for_decimals(places)
            instruments[inst_id] = Instrument(inst_id, "SPOT", tick, Decimal("1e-8"), Decimal(0))
    return channel, instruments


async def record(
    path: str | Path,
    url: str,
    subscriptions: Sequence[tuple[str, str]],
    *,
    duration: float | None = None,
    max_frames: int | None = None,
    ping_interval: float = 20.0,
    open_timeout: float = 10.0,
) -> int:
    """Subscribe to ``(channel, inst_id)`` pairs on ``url`` and write every received frame.

    Stops after ``duration`` seconds or ``max_frames`` frames (whichever first) or when the server
    closes. Sends text ``ping`` after ``ping_interval`` s of silence (OKX keep-alive). Returns the
    number of frames written.
    """
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    writer = RecordingWriter(path)
    loop = asyncio.get_running_loop()
    deadline = None if duration is None else loop.time() + duration
    try:
        async with connect(
            url, open_timeout=open_timeout, ping_interval=None, max_size=2**24, compression=None
        ) as ws:
            for number, (channel, inst_id) in enumerate(subscriptions, 1):
                request = {
                    "id": str(number),
                    "op": "subscribe",
                    "args": [{"channel": channel, "instId": inst_id}],
                }
                await ws.send(json.dumps(request, separators=(",", ":")))
            while max_frames is None or writer.frames < max_frames:
                timeout = ping_interval
                if deadline is not None:
                    timeout = min(timeout, deadline - loop.time())
                    if timeout <= 0:
                        break
                try:
                    frame: Any = await asyncio.wait_for(ws.recv(), timeout)
                except TimeoutError:
                    if deadline is None or loop.time() < deadline:
                        await ws.send("ping")
                    continue
                writer.write(time.time_ns(), frame)
    except ConnectionClosed:
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()
    return writer.frames
