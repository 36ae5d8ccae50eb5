"""Run the feed soak and print its numbers: ``python benchmarks/soak_feed.py [N]``.

SimulatedExchange and OKXFeed share one process and one event loop (one core), so the rate is
that of the exchange (parse, apply, re-encode, checksum) plus the feed, not of the feed alone.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.feed.soak import check, soak


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    result = asyncio.run(soak(n, fault_every=20_000))
    check(result)
    print(
        json.dumps(
            {
                "messages": result.messages,
                "seconds": round(result.seconds, 2),
                "messages_per_second": round(result.messages_per_second),
                "injected": dict(result.injected),
                "stats": {k: v for k, v in result.stats.items() if v},
                "rss_mb_first_last_max": [
                    round(result.rss_samples[0], 1),
                    round(result.rss_samples[-1], 1),
                    round(max(result.rss_samples), 1),
                ],
                "events_delivered": result.delivered,
                "book_equal_to_exchange": result.final_equal,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
