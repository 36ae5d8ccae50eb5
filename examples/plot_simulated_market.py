"""Plot the stylized facts of the simulated market for docs/simulated-market.md.

Needs the optional ``plot`` extra (matplotlib):

    cd <repo> && PYTHONPATH=src python examples/plot_simulated_market.py [--out docs/img]

With TRADECOST_OKX_CAPTURES pointing at the recorded OKX captures, the 2022-05-13 BTC-USDT
``books`` capture is drawn beside the simulation where it can be (spread, trade sizes).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from tradecost.sim import SimulatedMarket
from tradecost.sim.facts import (
    abs_return_autocorrelation,
    hill_tail_exponent,
    sample_market,
)


def recorded(captures: Path | None) -> tuple[np.ndarray, np.ndarray] | None:
    """Spreads (ticks) after each update and taker-order sizes of the recorded BTC-USDT capture."""
    if captures is None:
        return None
    books = captures / "okx_2022-05-13_books_BTC-USDT.ndjson"
    raw = captures / "raw" / "OKX.ws.1.0"
    if not books.exists() or not raw.exists():
        return None
    spreads = []
    bids: dict[float, float] = {}
    asks: dict[float, float] = {}
    for line in books.read_text().splitlines():
        message = json.loads(line)
        data = message["data"][0]
        if message["action"] == "snapshot":
            bids, asks = {}, {}
        for rows, side in ((data["bids"], bids), (data["asks"], asks)):
            for p, s, _, _ in rows:
                if float(s) == 0:
                    side.pop(float(p), None)
                else:
                    side[float(p)] = float(s)
        spreads.append(round((min(asks) - max(bids)) / 0.1))
    orders: dict[tuple[str, str], float] = {}
    for line in raw.read_text().splitlines():
        if '"channel":"trades","instId":"BTC-USDT"},"data"' in line:
            for trade in json.loads(line.split(": ", 1)[1])["data"]:
                key = (trade["ts"], trade["side"])
                orders[key] = orders.get(key, 0.0) + float(trade["sz"])
    return np.asarray(spreads), np.asarray(list(orders.values()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    env = os.environ.get("TRADECOST_OKX_CAPTURES")
    real = recorded(Path(env) if env else None)

    fine = sample_market(SimulatedMarket(seed=args.seed), 600.0, count_level_changes=True)
    long = sample_market(SimulatedMarket(seed=5), 7200.0, interval_s=1.0, depth_every=60)
    plt.rcParams.update({"figure.dpi": 90, "font.size": 9})

    # 1. spread distribution
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    ticks = np.arange(1, 16)
    sim_share = [np.mean(fine.spread_ticks == t) for t in ticks]
    ax.bar(ticks - 0.2, sim_share, width=0.4, label="simulated (600 s, every 100 ms)")
    if real is not None:
        real_share = [np.mean(real[0] == t) for t in ticks]
        ax.bar(ticks + 0.2, real_share, width=0.4, label="OKX BTC-USDT 2022-05-13 (10 s)")
    ax.set_xlabel("spread (ticks of 0.1 USDT)")
    ax.set_ylabel("share of observations")
    ax.set_title("Spread distribution")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.out / "sim-spread.png")

    # 2. depth profile
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.2))
    left.plot(np.arange(len(fine.depth_by_level)), fine.depth_by_level)
    left.set_xlabel("level from the touch (0 = best)")
    left.set_ylabel("mean size (BTC)")
    left.set_title("Depth by level (400 visible)")
    left.set_yscale("log")
    distance = np.arange(len(fine.depth_by_distance))
    right.plot(distance, np.cumsum(fine.depth_by_distance))
    right.set_xlabel("distance from the same-side best (ticks)")
    right.set_ylabel("cumulative size (BTC)")
    right.set_title("Cumulative depth by distance")
    fig.tight_layout()
    fig.savefig(args.out / "sim-depth.png")

    # 3. trade sizes
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    sizes = np.sort(fine.order_sizes)[::-1]
    ax.loglog(sizes, np.arange(1, len(sizes) + 1) / len(sizes), ".", ms=3, label="simulated")
    if real is not None:
        real_sizes = np.sort(real[1])[::-1]
        ax.loglog(
            real_sizes,
            np.arange(1, len(real_sizes) + 1) / len(real_sizes),
            "o",
            ms=4,
            mfc="none",
            label="OKX BTC-USDT 2022-05-13",
        )
    alpha = hill_tail_exponent(fine.order_sizes, 0.05)
    ax.set_xlabel("taker order size (BTC)")
    ax.set_ylabel("P(size > x)")
    ax.set_title(f"Taker order sizes (Hill tail exponent {alpha:.2f})")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.out / "sim-trade-sizes.png")

    # 4. volatility clustering
    returns = long.returns(1)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 4.8))
    minutes = np.arange(len(returns)) / 60.0
    top.plot(minutes, np.abs(returns) * 1e4, lw=0.4, color="k")
    names = [r.name for r in SimulatedMarket(seed=5).params.regimes]
    colors = {"calm": "#d8ecd8", "normal": "#ffffff", "stressed": "#f6d5d5"}
    start = 0
    for k in range(1, len(long.regime) + 1):
        if k == len(long.regime) or long.regime[k] != long.regime[start]:
            name = names[long.regime[start]]
            top.axvspan(start / 60.0, k / 60.0, color=colors.get(name, "#eeeeee"), lw=0)
            start = k
    top.set_ylabel("|1-s return| (bps)")
    top.set_xlabel("minutes (shading: calm green, stressed red)")
    top.set_title("Volatility clustering across regimes (2 simulated hours)")
    lags = np.array([1, 2, 5, 10, 20, 30, 60, 120, 300, 600])
    shuffled = np.random.default_rng(0).permutation(returns)
    bottom.semilogx(lags, [abs_return_autocorrelation(returns, int(lag)) for lag in lags], "o-")
    bottom.semilogx(
        lags,
        [abs_return_autocorrelation(shuffled, int(lag)) for lag in lags],
        "x--",
        label="shuffled",
    )
    bottom.axhline(0, color="grey", lw=0.5)
    bottom.set_xlabel("lag (s)")
    bottom.set_ylabel("autocorrelation of |r|")
    bottom.legend()
    fig.tight_layout()
    fig.savefig(args.out / "sim-volatility.png")

    print(f"one-tick spread share        {fine.one_tick_spread_fraction():.3f}")
    print(f"spread quantiles 50/90/99    {np.quantile(fine.spread_ticks, [0.5, 0.9, 0.99])}")
    print(f"visible level changes / s    {fine.level_changes:.0f}")
    print(f"taker orders / s             {len(fine.order_sizes) / 600.0:.2f}")
    print(f"median taker order (BTC)     {np.median(fine.order_sizes):.5f}")
    print(f"Hill tail exponent (5 %)     {alpha:.2f}")
    print(f"1-s mid volatility (ticks)   {np.std(fine.returns(10)) * fine.mid.mean() / 0.1:.1f}")
    acf = [round(abs_return_autocorrelation(returns, g), 3) for g in (1, 30, 120)]
    print(f"ACF |r| lag 1/30/120 s       {acf}")
    for r in sorted(set(long.regime.tolist())):
        mask = long.regime[1:] == r
        vol = np.std(returns[mask]) * 1e4
        print(f"regime {names[r]:<9} share {mask.mean():.2f}  1-s vol {vol:.2f} bps")
    if real is not None:
        print(f"recorded one-tick share      {np.mean(real[0] == 1):.3f}")


if __name__ == "__main__":
    main()
