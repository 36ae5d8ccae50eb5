"""tradecost.feeds.okx.spec: the OKX wire facts, against OKX's documentation and real captures.

Doc vectors: the v5 "WebSocket / Login" rule (``sign = Base64(HMAC-SHA256(secretKey, timestamp +
"GET" + "/users/self/verify"))``, timestamp in seconds; the docs' sample secret key
``22582BD0CFF14C41EDBF1AB98506286D`` and login timestamp ``1538054050``; the docs print no
signature computed from them, so the oracle is HMAC written out from RFC 2104 on ``hashlib``),
the "Trades channel" push example (``okx_v5_doc_examples.ndjson`` in the shared captures, and
repeated inline here) and the "Order book channel" depths.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tradecost.errors import InvalidInputError
from tradecost.feeds.okx import spec
from tradecost.feeds.okx.instruments import bundled_instrument, parse_instruments
from tradecost.models.datasets import frames_from_file, infer_tick_size
from tradecost.record import RecordingWriter, read_lines, read_recording, recording_instruments

DOC_SECRET = "22582BD0CFF14C41EDBF1AB98506286D"
DOC_TIMESTAMP = "1538054050"
DOC_TRADE_PUSH = (
    '{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT",'
    '"tradeId":"130639474","px":"42219.9","sz":"0.12060306","side":"buy",'
    '"ts":"1630048897897","count":"3","source":"0","seqId":1234}]}'
)


def _hmac_sha256_rfc2104(key: bytes, message: bytes) -> bytes:
    """HMAC from its definition: H((K ^ opad) || H((K ^ ipad) || m)), 64-byte blocks."""
    block = 64
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\x00")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key) + message).digest()
    return hashlib.sha256(bytes(b ^ 0x5C for b in key) + inner).digest()


def test_hmac_oracle_matches_rfc4231_case_2() -> None:
    # RFC 4231 §4.3, test case 2: the oracle itself is right.
    digest = _hmac_sha256_rfc2104(b"Jefe", b"what do ya want for nothing?")
    assert digest.hex() == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"


@pytest.mark.parametrize(
    ("secret", "timestamp"),
    [(DOC_SECRET, DOC_TIMESTAMP), ("secret", "1704876947"), ("k" * 100, "0")],
)
def test_login_sign_is_the_documented_hmac(secret: str, timestamp: str) -> None:
    message = (timestamp + "GET" + "/users/self/verify").encode()
    expected = base64.b64encode(_hmac_sha256_rfc2104(secret.encode(), message)).decode()
    assert spec.login_sign(secret, timestamp) == expected


def test_login_request_frame() -> None:
    frame = json.loads(spec.login_request("key", DOC_SECRET, "pass", DOC_TIMESTAMP))
    assert frame == {
        "op": "login",
        "args": [
            {
                "apiKey": "key",
                "passphrase": "pass",
                "timestamp": DOC_TIMESTAMP,
                "sign": spec.login_sign(DOC_SECRET, DOC_TIMESTAMP),
            }
        ],
    }
    assert spec.LOGIN_WINDOW_S == 30.0


def test_channel_depths_as_documented() -> None:
    assert dict(spec.BOOK_DEPTH) == {
        "books": 400,
        "books-l2-tbt": 400,
        "books50-l2-tbt": 50,
        "books5": 5,
        "bbo-tbt": 1,
    }
    assert {"books", "books-l2-tbt", "books50-l2-tbt"} == spec.INCREMENTAL_CHANNELS
    assert {"books5", "bbo-tbt"} == spec.SNAPSHOT_CHANNELS
    assert spec.INCREMENTAL_CHANNELS.isdisjoint(spec.SNAPSHOT_CHANNELS)
    assert {"books-l2-tbt", "books50-l2-tbt"} == spec.LOGIN_CHANNELS
    assert spec.BOOK_CHANNELS | {"trades"} == spec.CHANNELS
    assert spec.LOGIN_REQUIRED in spec.FATAL_CODES
    assert spec.RECONNECT_NOTICE not in spec.FATAL_CODES


def test_one_definition_used_by_client_protocol_and_simulated_exchange() -> None:
    from tradecost.feeds.okx import protocol
    from tradecost.sim import exchange

    assert protocol.BOOK_CHANNELS is spec.BOOK_CHANNELS
    assert protocol.LOGIN_CHANNELS is spec.LOGIN_CHANNELS
    assert protocol.FATAL_CODES is spec.FATAL_CODES
    assert protocol.login_request is spec.login_request
    assert exchange.BOOK_CHANNELS is spec.BOOK_DEPTH
    assert exchange.LOGIN_CHANNELS is spec.LOGIN_CHANNELS
    assert exchange.CHANNELS is spec.CHANNELS


def test_ms_to_ns() -> None:
    assert spec.ms_to_ns("1630048897897") == 1_630_048_897_897_000_000
    assert spec.ms_to_ns(0) == 0


def test_doc_trade_row_spot() -> None:
    row = json.loads(DOC_TRADE_PUSH)["data"][0]
    event = spec.parse_trade("BTC-USDT", row, local_ts=7)
    assert event.inst_id == "BTC-USDT"
    assert event.trade_id == "130639474"
    assert event.price == 42219.9
    assert event.size == event.contracts == 0.12060306
    assert event.side == "buy"
    assert event.exch_ts == 1630048897897 * 10**6
    assert event.local_ts == 7


def test_doc_trade_row_from_the_shared_doc_examples(okx_captures: Path) -> None:
    lines = (okx_captures / "okx_v5_doc_examples.ndjson").read_text().splitlines()
    pushes = [json.loads(line) for line in lines if '"channel":"trades"' in line]
    rows = [row for push in pushes if "data" in push for row in push["data"]]
    assert rows
    for row in rows:
        event = spec.parse_trade(row["instId"], row, 0)
        assert event.trade_id == row["tradeId"]
        assert event.price == float(Decimal(row["px"]))
        assert event.exch_ts == int(row["ts"]) * 10**6


def test_trade_row_contract_conversion() -> None:
    row = {"tradeId": "1", "px": "50000", "sz": "3", "side": "sell", "ts": "1"}
    linear = bundled_instrument("BTC-USDT-SWAP")
    event = spec.parse_trade("BTC-USDT-SWAP", row, 0, linear.to_base)
    assert event.contracts == 3.0
    assert event.size == pytest.approx(3 * float(linear.ct_val or 0) * float(linear.ct_mult))
    assert spec.parse_trade("X", row, 0, 0.01).size == pytest.approx(0.03)
    inverse = bundled_instrument("BTC-USD-SWAP")
    # 3 contracts of 100 USD at 50,000 USD per BTC
    assert spec.parse_trade("BTC-USD-SWAP", row, 0, inverse.to_base).size == pytest.approx(
        3 * 100 / 50_000
    )
    with pytest.raises(InvalidInputError):
        spec.parse_trade("BTC-USD-SWAP", {**row, "px": "0"}, 0, inverse.to_base)


@pytest.mark.parametrize(
    "change",
    [
        {"px": "abc"},
        {"sz": "nan"},
        {"px": "inf"},
        {"side": "long"},
        {"ts": "1.5"},
        {"px": None},
    ],
)
def test_malformed_trade_rows_raise(change: dict[str, Any]) -> None:
    row = {"tradeId": "1", "px": "1", "sz": "1", "side": "buy", "ts": "1", **change}
    with pytest.raises((ValueError, TypeError)):
        spec.parse_trade("X", row, 0)
    with pytest.raises(KeyError):
        spec.parse_trade("X", {"px": "1", "sz": "1", "side": "buy"}, 0)


def _instrument_rows(path: Path) -> dict[str, dict[str, str]]:
    """ctVal/ctType per instId from the recorded ``/api/v5/public/instruments`` replies."""
    rows: dict[str, dict[str, str]] = {}
    for line in path.read_text().splitlines():
        brace = line.find("{")
        if brace >= 0:
            for row in json.loads(line[brace:]).get("data", []):
                rows[row["instId"]] = row
    return rows


def test_every_trade_of_a_real_capture(okx_captures: Path) -> None:
    raw = okx_captures / "raw"
    if not (raw / "OKX.ws.1.0").exists() or not (raw / "OKX.0").exists():
        pytest.skip("raw OKX captures (raw/OKX.ws.1.0, raw/OKX.0) not in the shared data")
    meta = _instrument_rows(raw / "OKX.0")
    instruments = parse_instruments({"code": "0", "data": list(meta.values())})
    seen: set[str] = set()
    count = 0
    for ts, frame in read_recording(raw / "OKX.ws.1.0"):
        assert ts is not None  # cryptofeed lines carry the receive time
        push = json.loads(frame)
        if push.get("arg", {}).get("channel") != "trades" or "data" not in push:
            continue
        for row in push["data"]:
            inst_id = row["instId"]
            event = spec.parse_trade(inst_id, row, ts, instruments[inst_id].to_base)
            info = meta[inst_id]
            px, sz = Decimal(row["px"]), Decimal(row["sz"])
            if not info["ctVal"]:
                base = sz
            elif info["ctType"] == "inverse":
                base = sz * Decimal(info["ctVal"]) * Decimal(info["ctMult"] or "1") / px
            else:
                base = sz * Decimal(info["ctVal"]) * Decimal(info["ctMult"] or "1")
            assert event.size == pytest.approx(float(base), rel=1e-12)
            assert event.contracts == float(sz)
            assert event.price == float(px)
            assert event.side == row["side"]
            assert event.exch_ts == int(row["ts"]) * 1_000_000
            assert event.trade_id == row["tradeId"]
            seen.add(info["ctType"] or "spot")
            count += 1
    assert count > 50
    assert {"spot", "inverse"} <= seen


def test_tick_for_decimals() -> None:
    assert spec.tick_for_decimals(0) == Decimal(1)
    assert spec.tick_for_decimals(1) == Decimal("0.1")
    assert spec.tick_for_decimals(11) == Decimal("0.00000000001")
    assert spec.max_price_decimals([["1.25", "3"], ["10", "1"], ["0.0001", "2"]]) == 4
    assert spec.max_price_decimals([]) == 0


def test_tick_inference_agrees_on_real_captures(okx_captures: Path) -> None:
    from tradecost.feeds.okx.instruments import bundled_instruments

    bundled = bundled_instruments()
    files = sorted(okx_captures.glob("okx_2022-*.ndjson"))
    assert files
    for path in files:
        pushes = [json.loads(frame) for _, frame in read_recording(path)]
        first = pushes[0]
        assert first["action"] == "snapshot"
        inst_id = first["arg"]["instId"]
        snapshot_places = max(_places(level[0]) for level in _levels(first))
        assert Decimal(infer_tick_size(frames_from_file(path))) == Decimal(1).scaleb(
            -snapshot_places
        ), path.name
        all_places = max(_places(level[0]) for push in pushes for level in _levels(push))
        _, instruments = recording_instruments([(0, frame) for _, frame in read_recording(path)])
        expected = (
            bundled[inst_id].tick_size if inst_id in bundled else Decimal(1).scaleb(-all_places)
        )
        assert instruments[inst_id].tick_size == expected, path.name


def _levels(push: dict[str, Any]) -> list[list[str]]:
    data = push["data"][0]
    return list(data.get("bids", [])) + list(data.get("asks", []))


def _places(price: str) -> int:
    exponent = Decimal(price).as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def test_read_lines_formats(tmp_path: Path) -> None:
    push = '{"arg":{"channel":"books","instId":"A"},"data":[]}'
    lines = [
        "",
        push,
        "wss://ws.okx.com:8443/ws/v5/public <-> 1652458996.1",
        'wss://ws.okx.com:8443/ws/v5/public <- 1652458996.2: {"op":"subscribe"}',
        f"1652458996.25: {push}",
        json.dumps({"local_ts_ns": 5, "frame": push}),
        json.dumps({"local_ts_ns": 6, "frame_b64": base64.b64encode(b"\x00\x01").decode()}),
    ]
    got = list(read_lines(lines))
    assert got[0] == (None, push)
    assert got[1][1] == push and math.isclose(got[1][0] or 0, 1652458996.25e9, rel_tol=1e-15)
    assert got[2:] == [(5, push), (6, b"\x00\x01")]
    with pytest.raises(InvalidInputError, match="x:1"):
        list(read_lines(["12.5"], "x"))
    # the same reader under the file readers, gzip'd or not
    path = tmp_path / "rec.ndjson.gz"
    with RecordingWriter(path) as writer:
        writer.write(5, push)
        writer.write(6, b"\x00\x01")
    assert list(read_recording(path)) == [(5, push), (6, b"\x00\x01")]
    with gzip.open(path, "rt") as handle:
        assert list(read_lines(handle)) == [(5, push), (6, b"\x00\x01")]
    assert list(frames_from_file(path)) == [(None, push), (None, "\x00\x01")]
