"""The pictures of an order's cost, as PNG files: run it, then look.

    pip install -e ".[plot]" && python examples/plot_costs.py docs/img

1. depth chart of the book with a market buy's walk overlaid (``cost-depth-walk.png``);
2. slippage, fees, impact and net cost vs order size (``cost-curve.png``);
3. Almgren–Chriss optimal trajectories and the efficient frontier (``cost-almgren-chriss.png``);
4. latency histogram of decode, book update and estimate over a simulated stream
   (``cost-latency.png``).

The book is the built-in simulated BTC-USDT market after one simulated minute (seed 7).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import tradecost as tc
from tradecost.sim import SimulatedMarket


def simulated_book(seconds: float = 60.0) -> tuple[tc.OrderBook, list[str]]:
    market = SimulatedMarket(symbol="BTC-USDT", seed=7)
    book = tc.OrderBook("0.1", inst_id="BTC-USDT")
    frames = list(market.messages(channels=("books",), duration=seconds))
    for frame in frames:
        book.apply_message(frame)
    return book, frames


def depth_with_walk(book: tc.OrderBook, usd: float, path: Path) -> None:
    bids, asks = book.bids(200), book.asks(200)
    fill = tc.walk_book(book, "buy", notional=usd)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.step(bids[:, 0], np.cumsum(bids[:, 1]), where="post", color="tab:green", label="bids")
    ax.step(asks[:, 0], np.cumsum(asks[:, 1]), where="post", color="tab:red", label="asks")
    walked = asks[: fill.levels]
    ax.fill_between(
        walked[:, 0],
        0,
        np.cumsum(walked[:, 1]),
        step="post",
        alpha=0.3,
        color="tab:red",
        label=f"levels a ${usd:,.0f} buy walks ({fill.levels})",
    )
    ax.axvline(book.mid, color="grey", lw=0.8, ls="--", label=f"mid {book.mid:,.2f}")
    ax.axvline(fill.avg_price, color="black", lw=1, label=f"avg fill {fill.avg_price:,.2f}")
    ax.set(
        xlabel="price (USDT)",
        ylabel="cumulative size (BTC)",
        title=f"Depth and the walk: slippage {fill.slippage_bps:.2f} bps vs mid",
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def cost_curve(book: tc.OrderBook, path: Path) -> None:
    est = tc.CostEstimator("okx", "BTC-USDT", "Lv1", volatility=0.02, daily_volume_usd=1e9)
    sizes = np.geomspace(100, 5e6, 60)
    curve = est.estimate_curve(book, "buy", sizes)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(sizes, curve.slippage_bps, label="slippage (walk vs mid)")
    ax.plot(sizes, curve.fee_bps, label="fee (OKX spot Lv1 taker)")
    ax.plot(sizes, curve.impact_bps, label="impact (square-root law, σ 2 %/day, V $1B/day)")
    ax.plot(sizes, curve.net_cost_bps, color="black", lw=2, label="net cost")
    thin = ~curve.complete
    if thin.any():
        ax.axvspan(sizes[thin][0], sizes[-1], color="grey", alpha=0.15, label="book too thin")
    ax.set(
        xscale="log",
        xlabel="market buy size (USD)",
        ylabel="bps of notional",
        title="Cost of a market buy vs its size, on the same book",
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def almgren_chriss(path: Path) -> None:
    # The paper's example: S0 = 50, X = 1e6, T = 5 days, N = 5 (Almgren & Chriss 2000, §3.4)
    ac = tc.AlmgrenChriss(sigma=0.95, eta=2.5e-6, gamma=2.5e-7, epsilon=0.0625)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    for lam, name in (
        (2e-6, "λ = 2e-6"),
        (1e-6, "λ = 1e-6"),
        (0.0, "λ = 0 (TWAP)"),
        (-2e-7, "λ = -2e-7"),
    ):
        s = ac.with_risk_aversion(lam).schedule(quantity=1e6, horizon=5.0, steps=5)
        left.plot(np.arange(6), s.holdings, marker="o", label=name)
    left.set(xlabel="day", ylabel="shares held", title="Optimal trajectories")
    left.legend(fontsize=8)
    lambdas = np.concatenate([np.linspace(-2e-7, 0, 20), np.geomspace(1e-9, 1e-5, 80)])
    frontier = ac.frontier(quantity=1e6, horizon=5.0, steps=5, risk_aversions=lambdas)
    right.plot(np.sqrt(frontier.variance) / 1e6, frontier.expected_cost / 1e6)
    right.set(xlabel="√V ($M)", ylabel="E ($M)", title="Efficient frontier")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def latency(frames: list[str], path: Path) -> None:
    book = tc.OrderBook("0.1")
    msg = tc.BookMessage()
    est = tc.CostEstimator("okx", "BTC-USDT", "Lv1", volatility=0.02, daily_volume_usd=1e9)
    decode, apply, estimate = [], [], []
    clock = time.perf_counter_ns
    for frame in frames:
        t0 = clock()
        msg.decode(frame)
        t1 = clock()
        book.apply_message(msg)
        t2 = clock()
        if book.n_bids and book.n_asks:
            est.estimate(book, "buy", 100_000.0)
        t3 = clock()
        decode.append(t1 - t0)
        apply.append(t2 - t1)
        estimate.append(t3 - t2)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    bins = np.geomspace(100, 1e5, 60)
    for data, name in ((decode, "decode"), (apply, "book update"), (estimate, "estimate")):
        values = np.array(data[1:])  # the snapshot is not a tick
        ax.hist(
            values,
            bins=bins,
            alpha=0.6,
            label=f"{name}: p50 {np.median(values) / 1e3:.2f} µs, "
            f"p99 {np.percentile(values, 99) / 1e3:.2f} µs",
        )
    ax.set(
        xscale="log",
        xlabel="ns per books push (100 ms of changes)",
        ylabel="pushes",
        title="Where the time goes, per tick",
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    book, frames = simulated_book()
    depth_with_walk(book, 1_000_000.0, out / "cost-depth-walk.png")
    cost_curve(book, out / "cost-curve.png")
    almgren_chriss(out / "cost-almgren-chriss.png")
    latency(frames, out / "cost-latency.png")
    print(f"wrote 4 PNGs to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "plots"))
