"""The slow-client measurement of ``tradecost serve --demo``: the feed's bytes → estimate latency
with no live client and with 50 clients that never read.

``python benchmarks/bench_serve.py [SECONDS]`` runs each case for SECONDS (default 30) in a
fresh server and prints one JSON line per case; under pytest (the benchmark smoke run) it runs
both cases for 2 s and times nothing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def run(seconds: float) -> list[dict[str, object]]:
    from tests.serve.slow_clients import measure

    return [measure(clients, seconds) for clients in (0, 50)]


def test_serve_slow_clients_smoke() -> None:
    pytest.importorskip("fastapi", reason="the web extra is not installed")
    for result in run(2.0):
        assert result["exit_status"] == 0


if __name__ == "__main__":
    for line in run(float(sys.argv[1]) if len(sys.argv) > 1 else 30.0):
        line.pop("feeds")
        print(json.dumps(line))
