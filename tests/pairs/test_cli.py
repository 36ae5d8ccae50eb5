"""`tradecost pairs`: the report from bar tables, and end to end through the tick store."""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from tests.pairs.reference import cointegrated_pair
from tradecost import pairs
from tradecost.cli import build_parser, main
from tradecost.errors import InvalidInputError
from tradecost.pairs.cli import _clean, _text, interval_ns, report

pd = pytest.importorskip("pandas")

MINUTE_NS = 60 * 10**9
START_NS = 1_780_000_020 * 10**9 // MINUTE_NS * MINUTE_NS


def bar_tables(n: int, seed: int):
    y, x, _, _ = cointegrated_pair(n, beta=1.1, half_life=8, seed=seed)
    rng = np.random.default_rng(seed)
    index = pd.Index(START_NS + np.arange(n, dtype=np.int64) * MINUTE_NS)

    def table(close, scale):
        volume = rng.uniform(1, 3, n) * scale
        return pd.DataFrame(
            {
                "open": close,
                "high": close,
                "low": close,
                "close": close,
                "volume": volume,
                "notional": volume * close,
                "vwap": close,
                "trades": np.ones(n, dtype=np.int64),
            },
            index=index,
        )

    return table(y, 50.0), table(x, 2.0)


def options(**overrides) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(["pairs", "--db", "ticks.db", "--y", "ETHUSDT", "--x", "BTCUSDT"])
    for key, value in overrides.items():
        setattr(args, key, value)
    return args


def test_report_from_bar_tables(tmp_path: Path):
    bars_y, bars_x = bar_tables(900, seed=3)
    bars_x = bars_x.iloc[5:]  # the x symbol starts later: only common bars count
    out = report(
        bars_y,
        bars_x,
        options(window=200, backtest=True, alert=["zscore>2", "correlation<0.2"], stop=4.0),
    )
    assert out["bars"] == 895
    assert out["first_bar_ns"] == START_NS + 5 * MINUTE_NS
    expected = pairs.analyze(bars_y["close"].iloc[5:].to_numpy(), bars_x["close"].to_numpy(), 200)
    assert out["latest"]["beta"] == pytest.approx(expected.beta[-1])
    assert out["latest"]["zscore"] == pytest.approx(expected.zscore[-1])
    assert out["engle_granger"]["pvalue"] < 0.05
    assert out["signal"]["position"] in (-1, 0, 1)
    assert out["alerts_total"] >= len(out["alerts"]) > 0
    assert out["backtest"]["slippage_by"] == ["square_root"]
    assert out["backtest"]["net_pnl"] == pytest.approx(
        out["backtest"]["gross_pnl"] - out["backtest"]["costs"]
    )
    text = _text(out)
    assert f"beta          {expected.beta[-1]:.6f}" in text
    assert "Engle–Granger over all bars" in text
    assert "backtest:" in text and "(square_root)" in text
    json.dumps(_clean(out), allow_nan=False)  # the --json output is strict JSON


def test_report_needs_enough_common_bars():
    bars_y, bars_x = bar_tables(150, seed=1)
    with pytest.raises(InvalidInputError, match="fewer than"):
        report(bars_y, bars_x, options(window=300))


def test_plot_is_written(tmp_path: Path):
    pytest.importorskip("matplotlib")
    bars_y, bars_x = bar_tables(1_200, seed=2)
    target = tmp_path / "pair.png"
    out = report(bars_y, bars_x, options(window=300, plot=str(target)))
    assert out["plot"] == str(target)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert target.stat().st_size > 20_000


def test_interval_parsing():
    assert interval_ns("1m") == MINUTE_NS
    assert interval_ns("4h") == 4 * 3_600 * 10**9
    with pytest.raises(ValueError, match="interval"):
        interval_ns("1w")


@pytest.mark.skipif(
    importlib.util.find_spec("tradecost.store") is None,
    reason="tradecost.store (the tick store, built in parallel) is not importable yet",
)
def test_end_to_end_through_the_tick_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    from tradecost.store import TickStore

    bars_y, bars_x = bar_tables(400, seed=4)
    db = tmp_path / "ticks.db"
    with TickStore(str(db)) as store:
        for symbol, bars in (("ETHUSDT", bars_y), ("BTCUSDT", bars_x)):
            rows = [
                (int(ts) + 30 * 10**9, float(row.close), float(row.volume), "buy", f"{symbol}-{i}")
                for i, (ts, row) in enumerate(bars.iterrows())
            ]
            store.append_trades("binance", symbol, rows)
        store.flush()
    code = main(
        [
            "pairs",
            "--db",
            str(db),
            "--y",
            "ETHUSDT",
            "--x",
            "BTCUSDT",
            "--interval",
            "1m",
            "--window",
            "100",
            "--json",
            "--backtest",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["bars"] == 400
    expected = pairs.analyze(bars_y["close"].to_numpy(), bars_x["close"].to_numpy(), 100)
    assert out["latest"]["beta"] == pytest.approx(expected.beta[-1], rel=1e-9)
    assert out["backtest"]["fills"] > 0
