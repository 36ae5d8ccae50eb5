from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tradecost.store import TickStore

T0 = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z in ns


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "ticks.db"


@pytest.fixture
def store(store_path: Path) -> Iterator[TickStore]:
    with TickStore(store_path) as opened:
        yield opened
