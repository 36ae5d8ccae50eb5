"""The terminal view of ``tradecost simulate`` (rich renderables built from its state).

The view lays itself out for the width it is given (:class:`SimulateView`): below
:data:`WIDE_COLUMNS` columns it is the compact layout, which reads whole in an 80×24 terminal
(short labels, book and costs side by side, inputs and counters on a few lines each); from
:data:`WIDE_COLUMNS` on it spells every label out and uses the room. Numbers are never cut:
their columns do not wrap, and text wraps instead.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from tradecost.simulate import SimulateState

#: From this many columns on, the view uses its wide layout.
WIDE_COLUMNS = 110
_TITLE = "tradecost simulate"


def _money(value: float) -> str:
    return "—" if not math.isfinite(value) else f"{value:,.4f}"


def _bps(value: float) -> str:
    return "—" if not math.isfinite(value) else f"{value:,.3f}"


def _us(value_ns: float) -> str:
    return "—" if not math.isfinite(value_ns) else f"{value_ns / 1e3:,.1f}"


def _compact_usd(value: float) -> str:
    """$1.23B, $456.7M, $12.3k: a daily volume at a glance."""
    if not math.isfinite(value):
        return "—"
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"${value / scale:,.2f}{suffix}"
    return f"${value:,.2f}"


def _size(value: float) -> str:
    """A level's size in book units: four significant digits, whole numbers from 10,000 on."""
    return f"{value:,.0f}" if value >= 1e4 else f"{value:.4g}"


def _decimals(state: SimulateState) -> int:
    """Decimals of the instrument's tick (0.1 → 1), the precision of its prices."""
    event = state.last_event
    if event is None:
        return 2
    exponent = event.book.tick_size.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 2


def _process(state: SimulateState) -> str:
    sampler = state.process
    if sampler is None:
        return ""
    sample = sampler.latest
    cpu = "—" if not math.isfinite(sample.cpu_percent) else f"{sample.cpu_percent:.1f}%"
    return f"CPU {cpu} · RSS {sample.rss_bytes / 1e6:,.1f} MB · {sample.threads} threads"


def _feed_stats(state: SimulateState) -> dict[str, Any]:
    feed = state.feed
    return feed.stats.as_dict() if feed is not None else {}


# ---- the parts --------------------------------------------------------------------------------


def _source_in_title(state: SimulateState, width: int) -> bool:
    """Compact layout: the source goes in the panel's title when it fits there."""
    return len(_TITLE) + 3 + len(state.source) <= width - 6


def _inputs(state: SimulateState, wide: bool, width: int) -> Table:
    args = state.args
    est = state.estimator
    fees = est.fees
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column(overflow="fold")
    vol, volume = est.volatility, est.daily_volume_usd
    vol_text = "warming up" if not math.isfinite(vol) else f"{vol:.3%}/day"
    order = f"{args.side} {args.order_type} ${args.usd:,.2f} {args.symbol}"
    fee_text = (
        f"{fees.exchange} {fees.market} {fees.tier}: maker {fees.maker:.4%} taker {fees.taker:.4%}"
    )
    if wide:
        table.add_row("source", state.source)
        table.add_row("order", order)
        table.add_row("fees", fee_text)
        table.add_row("volatility", vol_text)
        table.add_row(
            "daily volume", "warming up" if not math.isfinite(volume) else f"${volume:,.0f}"
        )
        if state.inputs_note:
            table.add_row("", Text(f"volatility and daily volume {state.inputs_note}", style="dim"))
        return table
    market = Text(f"vol {vol_text} · volume ")
    market.append("warming up" if not math.isfinite(volume) else f"{_compact_usd(volume)}/day")
    if state.inputs_note:
        market.append(f" · {state.inputs_note}", style="dim")
    table.add_row("order", f"{order} · {fees.tier} maker {fees.maker:.4%} taker {fees.taker:.4%}")
    table.add_row("market", market)
    if not _source_in_title(state, width):
        table.add_row("source", state.source)
    return table


def _panel(title: str, wide: bool) -> Table:
    """A panel's table: titled and ruled under the header when wide, bare when narrow."""
    return Table(
        title=title if wide else None,
        box=box.HEAVY_HEAD if wide else None,
        show_edge=False,
        pad_edge=False,
        header_style="bold",
    )


def _book(state: SimulateState, wide: bool) -> Table:
    table = _panel("book", wide)
    names = ("bid size", "bid", "ask", "ask size") if wide else ("size", "bid", "ask", "size")
    for name in names:
        table.add_column(name, justify="right", no_wrap=True)
    event = state.last_event
    if event is None:
        return table
    decimals = _decimals(state)
    bids, asks = event.book.bids(5), event.book.asks(5)
    for i in range(max(len(bids), len(asks))):
        row = []
        row += [_size(bids[i, 1]), f"{bids[i, 0]:,.{decimals}f}"] if i < len(bids) else ["", ""]
        row += [f"{asks[i, 0]:,.{decimals}f}", _size(asks[i, 1])] if i < len(asks) else ["", ""]
        table.add_row(*row, style="green" if i == 0 else None)
    return table


def _costs(state: SimulateState, wide: bool) -> Table:
    table = _panel("cost of the order now", wide)
    table.add_column("" if wide else "cost", style="bold", overflow="fold")
    table.add_column("USD", justify="right", no_wrap=True)
    table.add_column("bps", justify="right", no_wrap=True)
    r = state.last
    if r is None:
        table.add_row("waiting for the first book", "", "")
        return table
    decimals = _decimals(state)
    slippage_label = "slippage (walk vs mid)" if wide else "slippage"
    table.add_row(slippage_label, _money(r.slippage_usd), _bps(r.slippage_bps))
    if math.isfinite(r.slippage_p50_bps):
        if wide:
            table.add_row(
                "  learned p50 / p90",
                "",
                f"{_bps(r.slippage_p50_bps)} / {_bps(r.slippage_p90_bps)}",
            )
        else:
            table.add_row("  p50", "", _bps(r.slippage_p50_bps))
            table.add_row("  p90", "", _bps(r.slippage_p90_bps))
    table.add_row("fees", _money(r.fee_usd), _bps(r.fee_bps))
    table.add_row(
        f"impact ({r.impact_model})" if wide else "impact", _money(r.impact_usd), _bps(r.impact_bps)
    )
    table.add_row("net cost", _money(r.net_cost_usd), _bps(r.net_cost_bps), style="bold")
    table.add_row(
        "maker / taker" if wide else "maker/taker",
        f"{r.maker_fraction:.1%}",
        f"{r.taker_fraction:.1%}",
    )
    table.add_row(
        "mid / avg price" if wide else "mid / avg",
        f"{r.arrival_mid:,.{decimals + 1}f}",
        f"{r.avg_price:,.{decimals + 2}f}",
    )
    return table


def _estimate_notes(state: SimulateState, wide: bool) -> Text:
    """The flags (and, compact, the impact model) on a line of their own under the costs."""
    r = state.last
    text = Text()
    if r is None:
        return text
    if not wide:
        text.append(f"impact: {r.impact_model}", style="dim")
    if r.flags:
        text.append(" · flags: " if not wide else "flags: ", style="dim")
        text.append(", ".join(r.flags), style="yellow")
    return text


def _latency(state: SimulateState, wide: bool) -> Table:
    table = _panel(f"latency (µs, {state.event_loop} loop)", wide)
    first = "stage" if wide else f"µs ({state.event_loop})"
    for name in (first, "p50", "p95", "p99", "max", "n"):
        table.add_column(name, justify="right", no_wrap=True)
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


def _health(state: SimulateState, wide: bool) -> Table:
    stats = _feed_stats(state)
    elapsed = time.monotonic() - state.started
    feed = (
        f"messages {stats.get('messages', 0):,}",
        f"gaps {stats.get('gaps', 0)}",
        f"resyncs {stats.get('resyncs', 0)}",
        f"reconnects {stats.get('reconnects', 0)}",
        f"bad frames {stats.get('bad_frames', 0)}",
    )
    run = (f"estimates {state.estimates:,}", f"trades {state.trades:,}", f"{elapsed:,.0f} s")
    process = _process(state)
    table = Table.grid(padding=(0, 0))
    if wide:
        table.add_column(overflow="fold")
        table.add_row("")
        table.add_row(" · ".join(run))
        table.add_row(" · ".join(feed))
        if process:
            table.add_row(Text(process, style="magenta"))
        return table
    table.add_column(overflow="fold")
    table.add_row(" · ".join(feed))
    line = Text(" · ".join(run))
    if process:
        line.append(" · ")
        line.append(process, style="magenta")
    table.add_row(line)
    return table


def _models(state: SimulateState, wide: bool) -> Text:
    status = getattr(state.estimator.slippage_model, "status", None)
    if not callable(status):
        text = "slippage: walk-the-book (no learned model)" if wide else "none (--no-models)"
    else:
        text = status() if wide else status(compact=True)
    return Text(f"models: {text}", style="dim")


# ---- the whole view ---------------------------------------------------------------------------


class SimulateView:
    """The live view of one :class:`~tradecost.simulate.SimulateState`, laid out for the width
    rich gives it at each refresh (a resized terminal re-lays it out)."""

    def __init__(self, state: SimulateState) -> None:
        self.state = state

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.panel(options.max_width)

    def panel(self, width: int) -> Panel:
        state = self.state
        wide = width >= WIDE_COLUMNS
        if wide:
            top = Table.grid(padding=(0, 4))
            top.add_row(_book(state, True), _costs(state, True))
            bottom = Table.grid(padding=(0, 4))
            bottom.add_row(_latency(state, True), _health(state, True))
            body = Group(
                _inputs(state, True, width),
                Text(""),
                top,
                _estimate_notes(state, True),
                Text(""),
                bottom,
                _models(state, True),
            )
        else:
            top = Table.grid(padding=(0, 2))
            top.add_row(_book(state, False), _costs(state, False))
            body = Group(
                _inputs(state, False, width),
                top,
                _estimate_notes(state, False),
                _latency(state, False),
                _health(state, False),
                _models(state, False),
            )
        title = _TITLE
        if not wide and _source_in_title(state, width):
            title = f"{_TITLE} · {state.source}"
        return Panel(body, title=title, subtitle="Ctrl-C to stop")


def render(state: SimulateState) -> SimulateView:
    """The view of ``state`` (a rich renderable that fits the console it is printed on)."""
    return SimulateView(state)
