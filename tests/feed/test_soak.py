"""Soak: messages through the whole feed path with faults sprinkled in (see soak.py)."""

from __future__ import annotations

import asyncio

import pytest

from tests.feed.soak import check, soak


def test_soak_100k_messages_with_faults() -> None:
    result = asyncio.run(soak(100_000, fault_every=5_000))
    check(result)
    assert sum(result.injected.values()) >= 10


@pytest.mark.slow
def test_soak_1m_messages_with_faults() -> None:
    result = asyncio.run(soak(1_000_000, fault_every=20_000))
    check(result)
    assert sum(result.injected.values()) >= 30
