"""The pairs chart: prices, spread with its rolling mean, z-score with the thresholds, volume.

matplotlib (the ``plot`` extra) is imported when a chart is drawn, with the file-only Agg backend.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tradecost.errors import TradecostError
from tradecost.pairs._input import FloatArray
from tradecost.pairs.analysis import PairAnalysis, rolling_mean

#: volume bars are summed into at most this many buckets, so they stay readable
MAX_VOLUME_BARS = 240


def _resample(times: Any, volume: FloatArray, buckets: int) -> tuple[Any, FloatArray]:
    """Sum ``volume`` into ``buckets`` equal runs of bars; returns (bucket start, sums)."""
    if volume.size <= buckets:
        return times, volume
    edges = np.linspace(0, volume.size, buckets + 1).astype(int)
    sums = np.add.reduceat(volume, edges[:-1])
    return times[edges[:-1]], sums


def plot_pair(
    path: str | Path,
    analysis: PairAnalysis,
    price_y: FloatArray,
    price_x: FloatArray,
    *,
    times: Any = None,
    volume_y: FloatArray | None = None,
    volume_x: FloatArray | None = None,
    y_name: str = "y",
    x_name: str = "x",
    entry: float = 2.0,
    exit: float = 0.0,
    stop: float | None = None,
    position: Any = None,
    title: str | None = None,
) -> Path:
    """Draw the four-panel chart to ``path`` (PNG, SVG or PDF by its suffix); returns the path.

    ``times``: x-axis values (datetime64 or numbers; default the bar position). ``position``:
    the spread position per bar (e.g. ``BacktestResult.position``), shaded on the z-score panel
    (long green, short red)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise TradecostError("plotting needs matplotlib: pip install 'tradecost[plot]'") from exc
    n = len(analysis)
    axis = np.arange(n) if times is None else np.asarray(times)
    figure, (ax_price, ax_spread, ax_z, ax_volume) = plt.subplots(
        4, 1, figsize=(12, 10), sharex=True, gridspec_kw={"height_ratios": [3, 2, 2, 1.3]}
    )
    ax_price.plot(axis, price_y, color="#1f77b4", linewidth=1.0, label=y_name)
    ax_price.set_ylabel(y_name, color="#1f77b4")
    twin = ax_price.twinx()
    twin.plot(axis, price_x, color="#ff7f0e", linewidth=1.0, label=x_name)
    twin.set_ylabel(x_name, color="#ff7f0e")
    beta = analysis.beta[np.isfinite(analysis.beta)]
    latest_beta = f", β now {beta[-1]:.3f}" if beta.size else ""
    ax_price.set_title(
        title or f"{y_name} vs {x_name}: window {analysis.window}, {analysis.method}{latest_beta}"
    )

    spread_mean = rolling_mean(analysis.spread, analysis.window)
    ax_spread.plot(axis, analysis.spread, color="#444444", linewidth=0.8, label="spread")
    ax_spread.plot(axis, spread_mean, color="#d62728", linewidth=1.2, label="rolling mean")
    ax_spread.axhline(0.0, color="#999999", linewidth=0.6)
    ax_spread.set_ylabel("spread (log)")
    ax_spread.legend(loc="upper left", fontsize=8)

    ax_z.plot(axis, analysis.zscore, color="#2ca02c", linewidth=0.8, label="z-score")
    for level, style in ((entry, "--"), (-entry, "--"), (exit, ":"), (-exit, ":")):
        ax_z.axhline(level, color="#d62728", linestyle=style, linewidth=0.8)
    if stop is not None:
        for level in (stop, -stop):
            ax_z.axhline(level, color="#000000", linestyle="-.", linewidth=0.8)
    if position is not None:
        held = np.asarray(position)
        band = ax_z.get_xaxis_transform()
        for side, color, name in ((1, "#2ca02c", "long spread"), (-1, "#d62728", "short spread")):
            ax_z.fill_between(
                axis,
                0,
                1,
                where=held == side,
                color=color,
                alpha=0.12,
                step="post",
                transform=band,
                label=name,
            )
    ax_z.set_ylabel(f"z ({analysis.zscore_window})")
    levels = f"entry ±{entry:g}, exit ±{exit:g}" + (f", stop ±{stop:g}" if stop else "")
    ax_z.plot([], [], color="#d62728", linestyle="--", linewidth=0.8, label=levels)
    ax_z.legend(loc="lower left", fontsize=8, ncol=4, framealpha=0.9)

    numeric = np.arange(n, dtype=float)
    width_source = axis if np.issubdtype(axis.dtype, np.number) else numeric
    for volume, name, color, sign in (
        (volume_y, y_name, "#1f77b4", 1.0),
        (volume_x, x_name, "#ff7f0e", -1.0),
    ):
        if volume is None:
            continue
        starts, sums = _resample(axis, np.asarray(volume, dtype=float), MAX_VOLUME_BARS)
        scale = float(np.nanmax(sums)) or 1.0
        span = (width_source[-1] - width_source[0]) if n > 1 else 1.0
        width: Any = span / max(len(sums), 1)
        if not np.issubdtype(axis.dtype, np.number):
            width = (axis[-1] - axis[0]) / max(len(sums), 1)
        ax_volume.bar(
            starts, sign * sums / scale, width=width, align="edge", color=color, label=name
        )
    ax_volume.axhline(0.0, color="#999999", linewidth=0.6)
    ax_volume.set_ylabel("volume\n(scaled)")
    ax_volume.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    out = Path(path)
    figure.savefig(out, dpi=90)
    plt.close(figure)
    return out
