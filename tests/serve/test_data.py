"""The data and pairs endpoints of `tradecost serve --demo` over real sockets, checked against
independent oracles: bars recomputed from the served trades, the pair's regression, ADF and
Engle–Granger recomputed with statsmodels from the served analytics CSV, alerts recomputed from
its z-scores, uploaded bars resampled with pandas; and every bad input a clear 4xx."""

from __future__ import annotations

import asyncio
import http.client
import io
import json
import math
import warnings
from typing import Any
from urllib.parse import urlsplit

import httpx
import numpy as np
import pytest
import websockets

from tests.serve.conftest import PAIR_WINDOW, Served, wait_for
from tradecost.serve.data import MAX_UPLOAD_BYTES

pd = pytest.importorskip("pandas")

NS_PER_MS = 1_000_000


def get(served: Served, path: str, **params: Any) -> httpx.Response:
    return httpx.get(served.url + path, params=params, timeout=10)


def upload(served: Served, csv: bytes, **params: Any) -> httpx.Response:
    files = {"file": ("bars.csv", csv, "text/csv")}
    return httpx.post(served.url + "/api/bars/upload", params=params, files=files, timeout=30)


def settled_range(served: Served, symbol: str) -> tuple[int, int]:
    """A 10 s span of exchange time that ended more than 3 s before the newest trade (its trades
    are all stored), in whole seconds: waits until 16 s of trades are recorded."""

    def span() -> tuple[int, int] | None:
        trades = get(served, "/api/trades", exchange="binance", symbol=symbol).json()["trades"]
        first, newest = trades[0]["ts_ns"] // NS_PER_MS, trades[-1]["ts_ns"] // NS_PER_MS
        if newest - first < 16_000:
            return None
        end_ms = (newest // 1000 - 3) * 1000
        return end_ms - 10_000, end_ms

    result: tuple[int, int] = wait_for(span, timeout=60)
    return result


def test_bars_equal_the_trades_bucketed(served: Served) -> None:
    start_ms, end_ms = settled_range(served, "ETHUSDT")
    trades = get(
        served, "/api/trades", exchange="binance", symbol="ETHUSDT",
        start_ms=start_ms, end_ms=end_ms, limit=100_000,
    ).json()["trades"]  # fmt: skip
    assert len(trades) > 10
    assert all(start_ms * NS_PER_MS <= t["ts_ns"] < end_ms * NS_PER_MS for t in trades)
    # the oracle: bucket the served trades into 2 s bars by hand
    expected: dict[int, dict[str, float]] = {}
    for trade in trades:  # in time order
        bucket = trade["ts_ns"] // (2_000 * NS_PER_MS) * 2_000
        bar = expected.setdefault(
            bucket,
            {"open": trade["price"], "high": -math.inf, "low": math.inf, "volume": 0.0, "n": 0},
        )
        bar["high"] = max(bar["high"], trade["price"])
        bar["low"] = min(bar["low"], trade["price"])
        bar["close"] = trade["price"]
        bar["volume"] += trade["size"]
        bar["n"] += 1
    body = get(
        served, "/api/bars", exchange="binance", symbol="ETHUSDT", interval="2s",
        start_ms=start_ms, end_ms=end_ms,
    ).json()  # fmt: skip
    assert body["interval"] == "2s"
    got = {bar["ts_ms"]: bar for bar in body["bars"]}
    assert sorted(got) == sorted(expected)
    for ts, bar in expected.items():
        assert got[ts]["open"] == bar["open"]
        assert got[ts]["close"] == bar["close"]
        assert got[ts]["high"] == bar["high"]
        assert got[ts]["low"] == bar["low"]
        assert got[ts]["trades"] == bar["n"]
        assert got[ts]["volume"] == pytest.approx(bar["volume"], rel=1e-12)
    # limit keeps the newest bars
    last = get(
        served, "/api/bars", exchange="binance", symbol="ETHUSDT", interval="2s",
        start_ms=start_ms, end_ms=end_ms, limit=2,
    ).json()["bars"]  # fmt: skip
    assert [bar["ts_ms"] for bar in last] == sorted(expected)[-2:]


def test_bars_csv_is_an_attachment_of_the_same_bars(served: Served) -> None:
    start_ms, end_ms = settled_range(served, "BTCUSDT")
    params = {
        "exchange": "binance", "symbol": "BTCUSDT", "interval": "1s",
        "start_ms": start_ms, "end_ms": end_ms,
    }  # fmt: skip
    response = get(served, "/api/bars.csv", **params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (
        'attachment; filename="binance_BTCUSDT_1s_bars.csv"'
    )
    frame = pd.read_csv(io.StringIO(response.text))
    assert list(frame.columns[:6]) == ["ts_ns", "open", "high", "low", "close", "volume"]
    bars = get(served, "/api/bars", **params).json()["bars"]
    assert (frame["ts_ns"] // NS_PER_MS).tolist() == [bar["ts_ms"] for bar in bars]
    assert frame["close"].tolist() == [bar["close"] for bar in bars]


def consistent_pairs(served: Served) -> tuple[dict[str, Any], Any, list[dict[str, Any]]]:
    """/api/pairs, the analytics CSV and /api/alerts from one computation (fetched until no
    recomputation fell between the first and the last request)."""

    def attempt() -> tuple[dict[str, Any], Any, list[dict[str, Any]]] | None:
        first = get(served, "/api/pairs").json()
        csv = get(served, "/api/pairs/analytics.csv")
        alerts = get(served, "/api/alerts").json()
        last = get(served, "/api/pairs").json()
        if csv.status_code != 200 or first["updated_ms"] != last["updated_ms"]:
            return None
        return first, pd.read_csv(io.StringIO(csv.text)), alerts

    result: tuple[dict[str, Any], Any, list[dict[str, Any]]] = wait_for(attempt, timeout=60)
    return result


def test_pairs_metrics_and_tests_match_statsmodels(served: Served) -> None:
    from statsmodels.api import OLS, add_constant
    from statsmodels.tsa.stattools import adfuller, coint

    pairs, frame, _ = wait_for(
        lambda: (p := consistent_pairs(served))[0]["bars"] >= 3 * PAIR_WINDOW and p, timeout=90
    )
    assert (pairs["exchange"], pairs["y"], pairs["x"]) == ("binance", "ETHUSDT", "BTCUSDT")
    assert pairs["window"] == PAIR_WINDOW
    assert len(frame) == pairs["bars"]
    assert frame["ts_ns"].iloc[-1] // NS_PER_MS == pairs["last_bar_ms"]
    log_y = np.log(frame["y_close"].to_numpy())
    log_x = np.log(frame["x_close"].to_numpy())
    # the rolling regression at the last bar: OLS of log y on log x over the last window
    fit = OLS(log_y[-PAIR_WINDOW:], add_constant(log_x[-PAIR_WINDOW:])).fit()
    latest = pairs["latest"]
    assert latest["hedge ratio β"] == pytest.approx(fit.params[1], rel=1e-9)
    assert latest["alpha"] == pytest.approx(fit.params[0], rel=1e-9, abs=1e-9)
    # the spread is a difference of log prices near 8 and 11: equal to ~1e-9 absolute
    assert latest["spread"] == pytest.approx(fit.resid[-1], abs=1e-9)
    assert frame["beta"].iloc[-1] == pytest.approx(fit.params[1], rel=1e-9)
    assert latest["ETHUSDT close"] == frame["y_close"].iloc[-1]
    # ADF of the spread series, Engle–Granger of the log closes
    spread = frame["spread"].dropna().to_numpy()
    with warnings.catch_warnings():  # statsmodels 0.15 announces a new return type
        warnings.simplefilter("ignore", FutureWarning)
        stat, pvalue, lags, nobs, *_ = adfuller(spread, regression="c", autolag="AIC")
    assert pairs["adf"]["statistic"] == pytest.approx(stat, rel=1e-6)
    assert pairs["adf"]["p_value"] == pytest.approx(pvalue, rel=1e-6, abs=1e-12)
    assert pairs["adf"]["lags"] == lags
    assert pairs["adf"]["nobs"] == nobs
    eg_stat, eg_pvalue, _ = coint(log_y, log_x, trend="c", autolag="aic")
    assert pairs["engle_granger"]["statistic"] == pytest.approx(eg_stat, rel=1e-6)
    assert pairs["engle_granger"]["p_value"] == pytest.approx(eg_pvalue, rel=1e-6, abs=1e-12)
    # the signal is the position the CSV ends with
    assert pairs["position"] == frame["position"].iloc[-1]
    assert pairs["signal"].startswith(
        {0: "flat", 1: "long the spread", -1: "short the spread"}[pairs["position"]]
    )


def expected_alerts(frame: Any, entry: float) -> list[tuple[int, str]]:
    z = frame["zscore"].to_numpy()
    times = (frame["ts_ns"] // NS_PER_MS).tolist()
    out = []
    for i in range(1, len(z)):
        a, b = z[i - 1], z[i]
        if not (np.isfinite(a) and np.isfinite(b)):
            continue
        if a < entry <= b:
            out.append((times[i], "z above entry"))
        if a > -entry >= b:
            out.append((times[i], "z below -entry"))
        if (a < 0 <= b) or (a > 0 >= b):
            out.append((times[i], "z through exit"))
    return sorted(out)


def test_alerts_are_the_z_score_crossings(served: Served) -> None:
    pairs, frame, alerts = wait_for(lambda: (p := consistent_pairs(served))[2] and p, timeout=90)
    got = sorted((alert["ts_ms"], alert["rule"]) for alert in alerts)
    assert got == expected_alerts(frame, pairs["entry"])
    assert all(alert["time"].endswith("Z") and alert["text"] for alert in alerts)
    newest = max(alert["ts_ms"] for alert in alerts)
    assert get(served, "/api/alerts", since_ms=newest).json() == []


def test_analytics_csv_is_an_attachment(served: Served) -> None:
    response = wait_for(
        lambda: (r := get(served, "/api/pairs/analytics.csv")).status_code == 200 and r,
        timeout=60,
    )
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (
        'attachment; filename="ETHUSDT_BTCUSDT_1s_analytics.csv"'
    )
    header = response.text.splitlines()[0].split(",")
    assert header[:3] == ["ts_ns", "y_close", "x_close"]
    assert {"beta", "spread", "zscore", "spread_mean", "position"} <= set(header)


def ohlc_csv(n: int, step_s: int = 60, seed: int = 11) -> bytes:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.002, n)))
    open_ = np.concatenate([[100.0], close[:-1]])
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.001, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.001, n))
    volume = rng.uniform(1, 10, n)
    start_s = 1_700_000_000 // step_s * step_s
    frame = pd.DataFrame(
        {
            "ts_s": start_s + step_s * np.arange(n),
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "volume": volume,
        }
    )
    return frame.to_csv(index=False).encode()


def test_upload_stores_bars_that_resample_like_pandas(served: Served) -> None:
    csv = ohlc_csv(30)
    response = upload(served, csv, symbol="TEST-UPLOAD")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "rows": 30, "exchange": "upload", "symbol": "TEST-UPLOAD", "interval": "1m",
    }  # fmt: skip
    source = pd.read_csv(io.BytesIO(csv))
    source.index = pd.to_datetime(source["ts_s"], unit="s")
    oracle = source.resample("5min").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    )
    bars = get(served, "/api/bars", exchange="upload", symbol="TEST-UPLOAD", interval="5m")
    assert bars.status_code == 200, bars.text
    got = pd.DataFrame(bars.json()["bars"])
    assert got["ts_ms"].tolist() == [t.value // NS_PER_MS for t in oracle.index]
    for column in ("open", "high", "low", "close"):
        assert got[column].tolist() == pytest.approx(oracle[column].tolist(), rel=1e-12)
    assert got["volume"].tolist() == pytest.approx(oracle["volume"].tolist(), rel=1e-12)
    # uploaded bars have no trades behind them
    trades = get(served, "/api/trades", exchange="upload", symbol="TEST-UPLOAD")
    assert trades.status_code == 400
    assert "uploaded bars" in trades.json()["error"]
    # a bar interval that is not a multiple of the stored one is refused clearly
    odd = get(served, "/api/bars", exchange="upload", symbol="TEST-UPLOAD", interval="90s")
    assert odd.status_code == 400
    assert "multiple" in odd.json()["error"]


@pytest.mark.parametrize(
    ("csv", "needle"),
    [
        (b"ts_s,open,high,low\n1700000040,1,2,0.5\n", "close"),
        (b"ts_s,open,high,low,close\n1700000040,1,2,0.5,abc\n1700000100,1,2,0.5,1\n", "close"),
        (b"ts_s,open,high,low,close\n1700000100,1,2,0.5,1\n1700000040,1,2,0.5,1\n", "increase"),
        (b"\x00\xff\xfe garbage", ""),
    ],
)
def test_a_malformed_upload_is_refused_and_stores_nothing(
    served: Served, csv: bytes, needle: str
) -> None:
    response = upload(served, csv, symbol="BAD-UPLOAD")
    assert response.status_code == 400, response.text
    assert needle in response.json()["error"]
    assert "the uploaded file" in response.json()["error"] or "CSV" in response.json()["error"]
    assert "/tmp" not in response.json()["error"]  # no server path in the message
    assert get(served, "/api/bars", exchange="upload", symbol="BAD-UPLOAD").status_code == 404


def test_upload_limits(served: Served) -> None:
    big = b"ts_s,open,high,low,close\n" + b"1700000040,1,2,0.5,1\n" * (MAX_UPLOAD_BYTES // 20)
    assert len(big) > MAX_UPLOAD_BYTES
    too_big = upload(served, big, symbol="BIG")
    assert too_big.status_code == 413
    assert "too large" in too_big.json()["error"]
    empty = upload(served, b"", symbol="EMPTY")
    assert empty.status_code == 400
    assert "empty" in empty.json()["error"]
    traversal = upload(served, ohlc_csv(3), symbol="../../etc/passwd")
    assert traversal.status_code == 400
    assert "not a name" in traversal.json()["error"]
    no_file = httpx.post(served.url + "/api/bars/upload", params={"symbol": "X"}, timeout=10)
    assert no_file.status_code == 422
    onto_trades = upload(served, ohlc_csv(3), symbol="ETHUSDT", exchange="binance")
    assert onto_trades.status_code == 400
    assert "ETHUSDT" in onto_trades.json()["error"]


def test_bad_queries_are_clear_4xx(served: Served) -> None:
    unknown = get(served, "/api/bars", exchange="binance", symbol="NOPEUSDT")
    assert unknown.status_code == 404
    assert "no data for binance:NOPEUSDT" in unknown.json()["error"]
    assert "binance:ETHUSDT" in unknown.json()["error"]  # says what is there
    bad_interval = get(served, "/api/bars", exchange="binance", symbol="ETHUSDT", interval="7x")
    assert bad_interval.status_code == 400
    assert "interval" in bad_interval.json()["error"]
    backwards = get(
        served, "/api/bars", exchange="binance", symbol="ETHUSDT", start_ms=2_000, end_ms=1_000
    )
    assert backwards.status_code == 400
    assert "start_ms" in backwards.json()["error"]
    for path in ("/api/bars", "/api/trades", "/api/bars.csv"):
        zero = get(served, path, exchange="binance", symbol="ETHUSDT", limit=0)
        assert zero.status_code == 422, path
        missing = get(served, path, exchange="binance")
        assert missing.status_code == 422, path
        assert "symbol" in missing.text
    unknown_trades = get(served, "/api/trades", exchange="okx", symbol="NOPE-USDT")
    assert unknown_trades.status_code == 404
    weird = get(served, "/api/trades", exchange="okx", symbol="x;DROP TABLE trades")
    assert weird.status_code == 400
    negative = get(served, "/api/alerts", since_ms=-1)
    assert negative.status_code == 422


@pytest.mark.parametrize(
    "path",
    [
        "/static/../../../../etc/passwd",
        "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/static/..%2f..%2f..%2fpyproject.toml",
        "/static/%2e%2e%2fapp.py",
        "/static//etc/passwd",
    ],
)
def test_static_files_never_leave_the_package(served: Served, path: str) -> None:
    url = urlsplit(served.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    connection.request("GET", path)  # sent as written: no client-side normalisation
    response = connection.getresponse()
    body = response.read()
    connection.close()
    assert response.status in (400, 404), (path, response.status)
    assert b"root:" not in body and b"[project]" not in body and b"import" not in body


def test_openapi_documents_the_data_endpoints(served: Served) -> None:
    spec = get(served, "/openapi.json").json()
    for path in (
        "/api/bars", "/api/bars.csv", "/api/trades", "/api/bars/upload",
        "/api/pairs", "/api/alerts", "/api/pairs/analytics.csv",
    ):  # fmt: skip
        assert path in spec["paths"], path
    for schema in ("BarsResponse", "TradesResponse", "PairsResponse", "AlertItem"):
        assert schema in spec["components"]["schemas"]
    assert "multipart/form-data" in json.dumps(spec["paths"]["/api/bars/upload"])
    # no page that pulls scripts from a CDN
    assert get(served, "/docs").status_code == 404


def test_health_reports_the_store_and_the_analytics(served: Served) -> None:
    health = wait_for(
        lambda: (h := get(served, "/api/health").json())["pairs"]["computations"] > 0 and h,
        timeout=60,
    )
    assert health["store"]["trades_recorded"] > 0
    assert health["pairs"]["error"] is None
    assert health["pairs"]["compute_ms"] > 0
    process = health["process"]
    assert process["rss_bytes"] > 10 * 2**20
    assert process["threads"] >= 2  # the loop and the store's writer at least
    assert process["cpu_percent"] is None or process["cpu_percent"] >= 0


def test_the_pairs_section_arrives_on_the_live_push(served: Served) -> None:
    async def first_pairs() -> dict[str, Any]:
        async with websockets.connect(served.url.replace("http", "ws") + "/ws/live") as ws:
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), 30))
                pairs = message.get("pairs")
                if pairs and "statistic" in pairs["adf"]:
                    return message

    wait_for(lambda: get(served, "/api/pairs").json()["bars"] >= PAIR_WINDOW + 2, timeout=60)
    message = asyncio.run(first_pairs())
    pairs = message["pairs"]
    keys = (
        "times_ms", "y", "x", "y_norm", "x_norm", "spread", "spread_mean", "zscore", "entry",
        "y_notional", "latest", "adf", "signal", "bars_csv", "analytics_csv", "title",
    )  # fmt: skip
    assert set(keys) <= set(pairs)
    n = len(pairs["times_ms"])
    assert n == pairs["bars"]
    for series in ("y_norm", "x_norm", "spread", "spread_mean", "zscore", "y_notional"):
        assert len(pairs[series]) == n, series
    assert pairs["times_ms"] == sorted(pairs["times_ms"])
    assert pairs["y_norm"][0] == 100.0 and pairs["x_norm"][0] == 100.0
    assert pairs["adf"]["statistic"] is not None
    assert httpx.get(served.url + pairs["bars_csv"], timeout=10).status_code == 200
    assert isinstance(message["alerts"], list)
