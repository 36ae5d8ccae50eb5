"""Fuzz the OKX decoder behind ``OrderBook.apply_message``, or the Binance depth decoder, for
as long as you like.

The same fuzzers as ``tests/fuzz/test_decoder_fuzz.py`` (OKX, 1,000,000 frames from one fixed
seed) and ``tests/fuzz/test_binance_decoder_fuzz.py`` (Binance, ``--venue binance``), from any
seed and for any number of frames. On the first broken rule it prints the seed, the frame's index
and the frame itself, and exits 1.

Usage (from a checkout, after the in-place build)::

    python scripts/fuzz_decoder.py --seed 7 --frames 20000000
    python scripts/fuzz_decoder.py --venue binance --seed 7 --frames 1000000
    TRADECOST_DEBUG=1 python setup.py build_ext --inplace --force   # bounds checks on, then again
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fuzz import binance_frames, frames


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venue", choices=("okx", "binance"), default="okx")
    parser.add_argument("--seed", type=int, default=int(time.time()), help="default: the time")
    parser.add_argument("--frames", type=int, default=10_000_000)
    parser.add_argument(
        "--compare-every",
        type=int,
        default=1,
        help="compare the whole book with the reference after every N-th accepted frame",
    )
    args = parser.parse_args()
    started = time.perf_counter()

    def progress(stats: frames.FuzzStats | binance_frames.FuzzStats) -> None:
        elapsed = time.perf_counter() - started
        print(f"[{elapsed:7.1f} s] {stats.summary()}", flush=True)

    fuzzer = binance_frames if args.venue == "binance" else frames
    print(f"{args.venue}: seed {args.seed}, {args.frames} frames", flush=True)
    try:
        stats = fuzzer.run(  # type: ignore[attr-defined]
            args.seed, args.frames, compare_every=args.compare_every, progress=progress
        )
    except frames.FuzzFailure as failure:
        print(f"FAILED: {failure}", flush=True)
        return 1
    print(f"passed in {time.perf_counter() - started:.1f} s: {stats.summary()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
