"""The live view reads whole: rendered to an 80×24 and a 120-column console, every price, size,
cost and label is there uncut; and the real `simulate` in an 80×24 pseudo-terminal."""

from __future__ import annotations

import math
import os
import re
import sys
from typing import Any

import pytest
from rich.console import Console

import tradecost as tc
from tests.cli.test_process_stats import StandInProcess
from tests.cli.test_simulate import ANSI
from tradecost.cli import build_parser
from tradecost.feeds.okx.protocol import BookEvent
from tradecost.models._inference import QuantilePredictor
from tradecost.models.live import LiveModels
from tradecost.models.online import Predictors
from tradecost.process_stats import ProcessSampler
from tradecost.sim import SimulatedMarket
from tradecost.simulate import SimulateState, build_estimator
from tradecost.view import render

SOURCE = "simulated exchange ws://127.0.0.1:45678"


def make_state(*cli: str, models: Any = None) -> SimulateState:
    args = build_parser().parse_args(["simulate", "--demo", *cli])
    if "--volatility" in cli:
        estimator, _ = build_estimator(args, slippage_model=models)
    else:  # "auto" inputs, still warming up
        estimator = tc.CostEstimator("okx", args.symbol, args.fee_tier, slippage_model=models)
    book = tc.OrderBook("0.1", inst_id="BTC-USDT")
    for frame in SimulatedMarket(symbol="BTC-USDT", seed=7).messages(
        channels=("books",), duration=2.0
    ):
        book.apply_message(frame)
    state = SimulateState(
        args=args,
        estimator=estimator,
        source=SOURCE,
        inputs_note="measured on the simulated market",
    )
    state.last_event = BookEvent("BTC-USDT", "books", book, 0, 0, 1, "update")
    state.last = estimator.estimate(book, args.side, args.usd)
    for i in range(100):
        state.end_to_end.record(120_000 + 37 * i)
        state.estimator.latency.record(17_000 + 11 * i)
        state.timing.decode.record(13_000 + i)
        state.timing.apply.record(15_000 + i)
    state.estimates, state.trades = 12_345, 678
    process = StandInProcess()
    process.user_s, process.rss, process.threads = 0.25, 123_400_000, 7
    state.process = ProcessSampler(
        process=process, clock_ns=lambda: 10**10, wall_clock_s=lambda: 1002.0
    )
    return state


def screen(state: SimulateState, width: int, height: int = 24) -> list[str]:
    console = Console(width=width, height=height, color_system=None, record=True)
    console.begin_capture()
    console.print(render(state))
    return console.end_capture().rstrip("\n").split("\n")


def trained_models() -> LiveModels:
    models = LiveModels("0.1")
    coef = [[0.9] + [0.0] * 13, [1.4] + [0.0] * 13]  # p50 / p90 from the walk
    predictor = QuantilePredictor(coef, [0.05, 0.6], [0.5, 0.9])
    models.online.predictors = Predictors(predictor, None, 3, 3_276, 0)
    models.online.scores = {
        "p50_pinball_model": 0.1234,
        "p50_pinball_walk_book": 0.2345,
        "p90_pinball_model": 0.0456,
        "p90_pinball_walk_book": 0.3456,
    }
    return models


STATES = {
    "default demo": ("--usd", "250000", "--volatility", "0.02", "--daily-volume", "1e9"),
    "large sell, VIP fees": (
        "--side",
        "sell",
        "--usd",
        "5000000",
        "--fee-tier",
        "VIP8",
        "--volatility",
        "0.02",
        "--daily-volume",
        "1e9",
    ),
    "warming up": ("--usd", "100"),
}


def expected_texts(state: SimulateState) -> list[str]:
    """Every number the view must show whole."""
    r = state.last
    assert r is not None and state.last_event is not None
    book = state.last_event.book
    texts = []
    for price, _ in [*book.bids(5), *book.asks(5)]:
        texts.append(f"{price:,.1f}")  # the 0.1 tick's decimals
    for value in (r.slippage_usd, r.fee_usd, r.net_cost_usd):
        texts.append(f"{value:,.4f}")
    for value in (r.slippage_bps, r.fee_bps, r.net_cost_bps):
        texts.append(f"{value:,.3f}")
    if math.isfinite(r.impact_usd):
        texts += [f"{r.impact_usd:,.4f}", f"{r.impact_bps:,.3f}"]
    texts += [f"{r.arrival_mid:,.2f}", f"{r.avg_price:,.3f}"]
    texts += ["CPU 12.5%", "RSS 123.4 MB", "7 threads", "12,345", "end to end", "net cost"]
    texts += [f"{state.args.usd:,.2f}", *r.flags]
    return texts


@pytest.mark.parametrize("name", list(STATES))
@pytest.mark.parametrize("trained", [False, True])
def test_80_by_24_reads_whole(name: str, trained: bool):
    state = make_state(*STATES[name], models=trained_models() if trained else LiveModels("0.1"))
    lines = screen(state, 80)
    text = "\n".join(lines)
    assert "…" not in text, text
    assert len(lines) <= 24, text
    assert max(len(line) for line in lines) <= 80
    for expected in expected_texts(state):
        assert expected in text, (expected, text)
    for label in ("slippage", "fees", "impact", "maker/taker", "mid / avg", "decode", "gaps 0"):
        assert label in text
    if trained:
        r = state.last
        assert r is not None
        assert re.search(rf"p50 +{re.escape(f'{r.slippage_p50_bps:,.3f}')} ", text), text
        assert re.search(rf"p90 +{re.escape(f'{r.slippage_p90_bps:,.3f}')} ", text), text
        assert "pinball p50 0.123" in text


@pytest.mark.parametrize("name", list(STATES))
def test_120_columns_spell_labels_out(name: str):
    state = make_state(*STATES[name], models=trained_models())
    lines = screen(state, 120, height=60)
    text = "\n".join(lines)
    assert "…" not in text, text
    assert max(len(line) for line in lines) <= 120
    for expected in expected_texts(state):
        assert expected in text, (expected, text)
    for label in (
        "slippage (walk vs mid)",
        "learned p50 / p90",
        "mid / avg price",
        "bid size",
        "ask size",
        "maker / taker",
        f"source       {SOURCE}",
        "out of sample: pinball p50 0.1234 vs walk-the-book 0.2345",
    ):
        assert label in text, (label, text)
    r = state.last
    assert r is not None
    assert f"impact ({r.impact_model})" in text
    volume = state.estimator.daily_volume_usd
    if math.isfinite(volume):
        assert f"daily volume ${volume:,.0f}" in text


def test_terminal_view_in_an_80_by_24_pseudo_terminal():
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "tradecost.cli", "simulate", "--demo", "--usd", "250000"],
        env={**os.environ, "COLUMNS": "80", "LINES": "24", "TERM": "xterm-256color"},
        dimensions=(24, 80),
        encoding="utf-8",
        timeout=60,
    )
    try:
        child.expect("end to end", timeout=60)
        child.expect(pexpect.TIMEOUT, timeout=3)
        shown = ANSI.sub("", child.before or "")
        assert "…" not in shown, shown[-2500:]
        assert re.search(r"\d\d,\d{3}\.\d  +\d\d,\d{3}\.\d", shown)  # bid and ask, whole
        match = re.findall(r"net cost\s+([\d,]+\.\d{4})\s+([\d.]+)", shown)
        assert match, shown[-2500:]
        usd, bps = (float(x.replace(",", "")) for x in match[-1])
        assert usd == pytest.approx(250_000 * bps * 1e-4, rel=1e-3)
        assert re.search(r"CPU [\d.]+% · RSS [\d.,]+ MB · \d+ threads", shown)
        child.sendintr()
        child.expect(r"estimates in [\d.]+ s", timeout=30)
        child.expect(pexpect.EOF, timeout=30)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
