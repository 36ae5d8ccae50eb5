"""The hand-written .pyi stubs match the compiled modules, and the public API type-checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import tradecost
from tradecost import _core

SRC = Path(tradecost.__file__).resolve().parent.parent
COMPILED = sorted(
    ".".join(p.relative_to(SRC).with_suffix("").parts) for p in (SRC / "tradecost").rglob("*.pyi")
)


def run_mypy(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "MYPYPATH": str(SRC)}
    return subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, env=env, check=False
    )


@pytest.mark.parametrize("module", COMPILED)
def test_stub_matches_runtime(module: str):
    result = run_mypy("mypy.stubtest", module, "--ignore-missing-stub")
    assert result.returncode == 0, result.stdout + result.stderr


def test_public_api_type_checks(tmp_path: Path):
    usage = tmp_path / "usage.py"
    usage.write_text(
        "import tradecost as tc\n"
        "book = tc.OrderBook(tick_size='0.1')\n"
        "book.apply_snapshot([['1.0', '2']], [['1.1', '3']])\n"
        "mid: float = book.mid\n"
        "fill = tc.walk_book(book, 'buy', notional=100.0)\n"
        "bps: float = fill.slippage_bps\n"
        "msg = tc.BookMessage().decode(b'{}')\n"
        "seq: int | None = msg.seq_id\n"
        "curve = tc.walk_book_curve(book, tc.Side.SELL, quantities=[1.0, 2.0])\n"
        "ok: bool = bool(curve.complete.all())\n"
    )
    bad = tmp_path / "bad.py"
    bad.write_text("import tradecost as tc\nx: str = tc.OrderBook('0.1').best_bid\n")
    assert run_mypy("mypy", "--strict", str(usage)).returncode == 0
    assert run_mypy("mypy", "--strict", str(bad)).returncode != 0


def test_stale_core_is_detected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from tradecost import _book

    assert _core.source_hash(Path(_book.__file__).with_name("_book.pyx")) == _book.SOURCE_HASH or (
        not Path(_book.__file__).with_name("_book.pyx").exists()
    )
    monkeypatch.setattr(_book, "SOURCE_HASH", "0000000000000000")
    if Path(_book.__file__).with_name("_book.pyx").exists():
        with pytest.raises(tradecost.CompiledCoreError, match="stale"):
            _core.check_fresh(_book)
