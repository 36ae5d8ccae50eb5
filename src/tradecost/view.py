"""The terminal view of ``tradecost simulate`` (rich renderables built from its state)."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from tradecost.simulate import SimulateState


def _money(value: float) -> str:
    return "—" if not math.isfinite(value) else f"{value:,.4f}"


def _bps(value: float) -> str:
    return "—" if not math.isfinite(value) else f"{value:,.3f}"


def _us(value_ns: float) -> str:
    return "—" if not math.isfinite(value_ns) else f"{value_ns / 1e3:,.1f}"


def _inputs(state: SimulateState) -> Table:
    args = state.args
    est = state.estimator
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold cyan")
    table.add_column()
    table.add_row("source", state.source)
    table.add_row("order", f"{args.side} {args.order_type} ${args.usd:,.2f} {args.symbol}")
    table.add_row(
        "fees",
        f"{est.fees.exchange} {est.fees.market} {est.fees.tier}: "
        f"maker {est.fees.maker:.4%} taker {est.fees.taker:.4%}",
    )
    vol, volume = est.volatility, est.daily_volume_usd
    table.add_row("volatility", "warming up" if not math.isfinite(vol) else f"{vol:.3%}/day")
    table.add_row("daily volume", "warming up" if not math.isfinite(volume) else f"${volume:,.0f}")
    if state.inputs_note:
        table.add_row("", Text(state.inputs_note, style="dim"))
    return table


def _book(state: SimulateState) -> Table:
    table = Table(title="book", expand=False, show_edge=False)
    for name in ("bid size", "bid", "ask", "ask size"):
        table.add_column(name, justify="right")
    event = state.last_event
    if event is None:
        return table
    bids, asks = event.book.bids(5), event.book.asks(5)
    for i in range(max(len(bids), len(asks))):
        row = []
        row += [f"{bids[i, 1]:.6g}", f"{bids[i, 0]:,.2f}"] if i < len(bids) else ["", ""]
        row += [f"{asks[i, 0]:,.2f}", f"{asks[i, 1]:.6g}"] if i < len(asks) else ["", ""]
        table.add_row(*row, style="green" if i == 0 else None)
    return table


def _costs(state: SimulateState) -> Table:
    table = Table(title="cost of the order now", show_edge=False)
    table.add_column("", style="bold")
    table.add_column("USD", justify="right")
    table.add_column("bps", justify="right")
    r = state.last
    if r is None:
        table.add_row("waiting for the first book", "", "")
        return table
    table.add_row("slippage (walk vs mid)", _money(r.slippage_usd), _bps(r.slippage_bps))
    if math.isfinite(r.slippage_p50_bps):
        table.add_row(
            "  learned p50 / p90", "", f"{_bps(r.slippage_p50_bps)} / {_bps(r.slippage_p90_bps)}"
        )
    table.add_row("fees", _money(r.fee_usd), _bps(r.fee_bps))
    table.add_row(f"impact ({r.impact_model})", _money(r.impact_usd), _bps(r.impact_bps))
    table.add_row("net cost", _money(r.net_cost_usd), _bps(r.net_cost_bps), style="bold")
    table.add_row("maker / taker", f"{r.maker_fraction:.1%} / {r.taker_fraction:.1%}", "")
    table.add_row("mid / avg price", f"{r.arrival_mid:,.2f}", f"{r.avg_price:,.2f}")
    if r.flags:
        table.add_row("flags", Text(", ".join(r.flags), style="yellow"), "")
    return table


def _latency(state: SimulateState) -> Table:
    table = Table(title=f"latency (µs, {state.event_loop} loop)", show_edge=False)
    for name in ("stage", "p50", "p95", "p99", "max", "n"):
        table.add_column(name, justify="right")
    for hist in (
        state.timing.decode,
        state.timing.apply,
        state.estimator.latency,
        state.end_to_end,
    ):
        s = hist.summary()
        table.add_row(
            hist.name, _us(s.p50_ns), _us(s.p95_ns), _us(s.p99_ns), _us(s.max_ns), f"{s.count:,}"
        )
    return table


def _health(state: SimulateState) -> Table:
    table = Table.grid(padding=(0, 2))
    feed = state.feed
    stats: dict[str, Any] = feed.stats.as_dict() if feed is not None else {}
    elapsed = time.monotonic() - state.started
    table.add_row(
        f"estimates {state.estimates:,}",
        f"trades {state.trades:,}",
        f"messages {stats.get('messages', 0):,}",
        f"gaps {stats.get('gaps', 0)}",
        f"resyncs {stats.get('resyncs', 0)}",
        f"reconnects {stats.get('reconnects', 0)}",
        f"bad frames {stats.get('bad_frames', 0)}",
        f"{elapsed:,.0f} s",
    )
    return table


def _models(state: SimulateState) -> Text:
    status = getattr(state.estimator.slippage_model, "status", None)
    text = status() if callable(status) else "slippage: walk-the-book (no learned model)"
    return Text(f"models: {text}", style="dim")


def render(state: SimulateState) -> Panel:
    top = Table.grid(padding=(0, 4))
    top.add_row(_book(state), _costs(state))
    return Panel(
        Group(
            _inputs(state), Text(""), top, Text(""), _latency(state), _health(state), _models(state)
        ),
        title="tradecost simulate",
        subtitle="Ctrl-C to stop",
    )
