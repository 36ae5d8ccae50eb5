"""Shared helpers for the simulated-market tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def captures_dir() -> Path | None:
    """Recorded OKX traffic (TRADECOST_OKX_CAPTURES, else ../shared/data/okx beside the repo)."""
    env = os.environ.get("TRADECOST_OKX_CAPTURES")
    path = Path(env) if env else Path(__file__).resolve().parents[2].parent / "shared" / "data" / "okx"
    return path if path.is_dir() else None


@pytest.fixture
def okx_captures() -> Path:
    path = captures_dir()
    if path is None:
        pytest.skip("recorded OKX captures not available (set TRADECOST_OKX_CAPTURES)")
    return path
