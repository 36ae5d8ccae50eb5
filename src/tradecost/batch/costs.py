"""``tradecost batch costs``: the cost of a list of order sizes over recorded feeds.

One task per recording. Each replays the file's frames through the OKX protocol core (the same
sequence checks, checksums and resyncs as the live feed) and prices every order size on every
in-sync book update with :class:`~tradecost.CostEstimator`. The task returns one row per
(instrument, UTC day, side, order size) with the mean, median and 90th percentile of slippage,
fees, impact and net cost in bps, and one book-health row for the recording.
"""

from __future__ import annotations

import datetime as dt
import math
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from tradecost.batch.runner import TaskResult
from tradecost.errors import InvalidInputError, TradecostError

#: the cost components summarised per (instrument, day, side, size), bps of the order's notional
COMPONENTS = ("slippage_bps", "fee_bps", "impact_bps", "net_cost_bps")
#: book-health counters reported per recording (from the protocol's FeedStats)
HEALTH_COUNTERS = (
    "messages",
    "book_updates",
    "trades",
    "gaps",
    "resets",
    "duplicates",
    "checksum_errors",
    "resyncs",
    "bad_frames",
)


@dataclass(frozen=True)
class CostTask:
    """Everything one recording's task needs (picklable: it travels to the workers)."""

    path: str
    notionals_usd: tuple[float, ...]
    sides: tuple[str, ...] = ("buy", "sell")
    fee_tier: str | None = None
    volatility: float | Literal["auto"] = "auto"
    daily_volume_usd: float | Literal["auto"] = "auto"
    sample_ms: int = 0  #: at most one estimate per instrument per this much exchange time
    label: str = field(default="")

    def __post_init__(self) -> None:
        if not self.notionals_usd:
            raise InvalidInputError("give at least one order size (notional, quote units)")
        for notional in self.notionals_usd:
            if not (isinstance(notional, int | float) and math.isfinite(notional) and notional > 0):
                raise InvalidInputError(f"order size {notional!r} must be a positive notional")
        for side in self.sides:
            if side not in ("buy", "sell"):
                raise InvalidInputError(f"side {side!r} must be 'buy' or 'sell'")
        if self.sample_ms < 0:
            raise InvalidInputError(f"sample_ms={self.sample_ms} must be >= 0")

    @property
    def name(self) -> str:
        return self.label or self.path


def _day(ts_ns: int) -> str:
    return dt.datetime.fromtimestamp(ts_ns / 1e9, tz=dt.UTC).date().isoformat()


def _summary(values: array[float]) -> tuple[float, float, float, int]:
    """(mean, p50, p90, n) over the finite values; NaNs when none is."""
    array = np.asarray(values, dtype=np.float64)
    array = array[np.isfinite(array)]
    if array.size == 0:
        return math.nan, math.nan, math.nan, 0
    p50, p90 = np.percentile(array, [50.0, 90.0])
    return float(array.mean()), float(p50), float(p90), int(array.size)


def _contract_value(instrument: Any) -> float | None:
    """Base units per book size unit; None for inverse contracts (sizes in quote currency)."""
    if instrument.ct_val is None:
        return 1.0
    if instrument.ct_type == "inverse" or (
        instrument.ct_val_ccy and instrument.ct_val_ccy == instrument.quote_ccy
    ):
        return None
    return float(instrument.ct_val * (instrument.ct_mult or 1))


def cost_task(task: CostTask) -> TaskResult:
    """Replay one recording and summarise the cost of each order size (never raises for a bad
    file: the error is the task's result)."""
    from tradecost.estimator import CostEstimator
    from tradecost.feeds.okx.protocol import OKXProtocol
    from tradecost.record import recording_instruments

    # two streaming passes (instruments, then the replay): memory stays at one frame plus the
    # books, whatever the recording's length
    frames = _Frames(task.path)
    try:
        channel, instruments = recording_instruments(frames)
        if frames.count == 0:
            raise InvalidInputError(f"{task.path}: the recording holds no frames")
        if not instruments:
            raise InvalidInputError(f"{task.path}: no OKX order-book frames found")
    except (OSError, EOFError, ValueError, TradecostError) as exc:
        return TaskResult(task.name, error=f"{type(exc).__name__}: {exc}")

    estimators: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for inst_id, instrument in sorted(instruments.items()):
        contract_value = _contract_value(instrument)
        if instrument.inst_type == "OPTION":
            skipped[inst_id] = "option (premium quoted in the base currency): not priced"
            continue
        if contract_value is None:
            skipped[inst_id] = "inverse contract (sizes in quote currency): not priced"
            continue
        try:
            estimators[inst_id] = CostEstimator(
                "okx",
                inst_id,
                task.fee_tier,
                task.volatility,
                daily_volume_usd=task.daily_volume_usd,
                contract_value=contract_value,
            )
        except TradecostError as exc:
            skipped[inst_id] = f"{type(exc).__name__}: {exc}"

    protocol = OKXProtocol(list(instruments), channel, trades=True, instruments=instruments)
    samples = new_samples()
    try:
        _replay(task, frames, protocol, estimators, samples)
    except TradecostError as exc:
        return TaskResult(task.name, error=f"{type(exc).__name__}: {exc}")

    rows = summarise(task.name, samples)

    stats = protocol.stats.as_dict()
    entry: dict[str, Any] = {
        "source": task.name,
        "channel": channel,
        "instruments": ",".join(sorted(instruments)),
    }
    entry.update({counter: int(stats[counter]) for counter in HEALTH_COUNTERS})
    entry["note"] = "; ".join(f"{inst_id}: {why}" for inst_id, why in sorted(skipped.items()))
    health = [entry]
    return TaskResult(task.name, rows=rows, health=health)


Samples = dict[tuple[str, str, str, float], dict[str, "array[float]"]]


def new_samples() -> Samples:
    """Per (instrument, day, side, size): packed doubles of each component (8 bytes a sample;
    a list of floats would hold 32)."""
    return defaultdict(lambda: {name: array("d") for name in (*COMPONENTS, "complete")})


def price_book(
    task: CostTask, estimator: Any, book: Any, inst_id: str, ts_ns: int, samples: Samples
) -> None:
    """Price every side and size of ``task`` on ``book`` and add them to the samples."""
    day = _day(ts_ns)
    for side in task.sides:
        for notional in task.notionals_usd:
            estimate = estimator.estimate(book, side, quantity_usd=float(notional))
            bucket = samples[(inst_id, day, side, float(notional))]
            bucket["slippage_bps"].append(estimate.slippage_bps)
            bucket["fee_bps"].append(estimate.fee_bps)
            bucket["impact_bps"].append(estimate.impact_bps)
            bucket["net_cost_bps"].append(estimate.net_cost_bps)
            bucket["complete"].append(1.0 if estimate.complete else 0.0)


def summarise(source: str, samples: Samples) -> list[dict[str, Any]]:
    """One row per (instrument, day, side, size), in that sorted order."""
    rows: list[dict[str, Any]] = []
    for (inst_id, day, side, notional), bucket in sorted(samples.items()):
        row: dict[str, Any] = {
            "source": source,
            "inst_id": inst_id,
            "day": day,
            "side": side,
            "notional_usd": notional,
            "estimates": len(bucket["complete"]),
            "complete_fraction": float(np.mean(bucket["complete"])),
        }
        for component in COMPONENTS:
            mean, p50, p90, count = _summary(bucket[component])
            stem = component.removesuffix("_bps")
            row[f"{stem}_mean_bps"] = mean
            row[f"{stem}_p50_bps"] = p50
            row[f"{stem}_p90_bps"] = p90
            if component == "impact_bps":
                row["impact_estimates"] = count
        rows.append(row)
    return rows


class _Frames:
    """A recording's ``(local_ts_ns, frame)`` pairs, read from disk on each iteration (frames
    without a time take the previous one's)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.count = 0

    def __iter__(self) -> Iterator[tuple[int, str | bytes]]:
        from tradecost.record import read_recording

        last = 0
        count = 0
        for ts, frame in read_recording(self.path):
            last = ts if ts is not None else last
            count += 1
            yield last, frame
        self.count = count


def _replay(
    task: CostTask,
    frames: Iterable[tuple[int, str | bytes]],
    protocol: Any,
    estimators: dict[str, Any],
    samples: Samples,
) -> None:
    from tradecost.feeds.okx.protocol import BookEvent, TradeEvent

    last_ns: dict[str, int] = {}
    sample_ns = task.sample_ms * 1_000_000
    for local_ts, frame in frames:
        for event in protocol.receive(frame, local_ts):
            estimator = estimators.get(event.inst_id)
            if estimator is None:
                continue
            if isinstance(event, TradeEvent):
                estimator.observe_trade(event.exch_ts, event.price, event.size)
                continue
            if not isinstance(event, BookEvent):
                continue
            book = event.book
            estimator.observe_book(event.exch_ts, book)
            if getattr(event, "stale", False) or book.crossed or book.mid != book.mid:
                continue
            previous = last_ns.get(event.inst_id)
            if previous is not None and event.exch_ts - previous < sample_ns:
                continue
            last_ns[event.inst_id] = event.exch_ts
            price_book(task, estimator, book, event.inst_id, event.exch_ts, samples)


def cost_tasks(
    paths: Sequence[str | Path],
    notionals_usd: Sequence[float],
    **options: Any,
) -> list[CostTask]:
    """One :class:`CostTask` per recording, in a stable (sorted, de-duplicated) order."""
    unique = sorted({str(Path(path)) for path in paths})
    if not unique:
        raise InvalidInputError("no recordings given")
    return [CostTask(path, tuple(float(n) for n in notionals_usd), **options) for path in unique]
