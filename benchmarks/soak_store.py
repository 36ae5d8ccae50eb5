"""Ingest N trades through the tick store and print rate and memory: ``python
benchmarks/soak_store.py [N] [DB]`` (default 10,000,000 into a temporary file)."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.store.soak import soak


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(folder) / "soak.db"
        result = soak(path, n)
        size_mb = path.stat().st_size / 2**20
    print(
        json.dumps(
            {
                "trades": result.trades,
                "seconds": round(result.seconds, 2),
                "trades_per_second": round(result.trades_per_second),
                "rss_mb_per_tenth": [round(x, 1) for x in result.rss_mb],
                "rss_growth_after_first_fifth_mb": round(result.growth_after_mb(2), 1),
                "file_mb": round(size_mb, 1),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
