"""CPU %, resident memory and threads: the sampler's arithmetic on a stand-in process, its
readings against /proc, and the ``"process"`` block of every ``simulate --json`` line."""

from __future__ import annotations

import itertools
import json
import math
import threading
from collections import namedtuple
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_simulate import tradecost
from tradecost.errors import InvalidInputError
from tradecost.process_stats import ProcessSampler

CpuTimes = namedtuple("CpuTimes", "user system")
MemoryInfo = namedtuple("MemoryInfo", "rss vms")


class StandInProcess:
    """psutil.Process's interface with readings the test sets."""

    def __init__(self) -> None:
        self.user_s = 0.0
        self.system_s = 0.0
        self.rss = 50_000_000
        self.threads = 3
        self.reads = 0

    @contextmanager
    def oneshot(self) -> Any:
        yield

    def create_time(self) -> float:
        return 1_000.0  # the wall clock below says 2 s later

    def cpu_times(self) -> CpuTimes:
        self.reads += 1
        return CpuTimes(self.user_s, self.system_s)

    def memory_info(self) -> MemoryInfo:
        return MemoryInfo(self.rss, 2 * self.rss)

    def num_threads(self) -> int:
        return self.threads


def test_cpu_percent_is_cpu_time_over_the_span():
    process = StandInProcess()
    process.user_s, process.system_s = 0.5, 0.1  # 0.6 s of CPU in the 2 s since the start
    now = [10_000_000_000]
    sampler = ProcessSampler(process=process, clock_ns=lambda: now[0], wall_clock_s=lambda: 1002.0)
    first = sampler.latest
    assert first.cpu_percent == pytest.approx(30.0)
    assert (first.rss_bytes, first.threads, first.sampled_ns) == (50_000_000, 3, now[0])
    # 0.5 s later: 0.25 s user + 0.125 s system more = 75 % of one core
    now[0] += 500_000_000
    process.user_s += 0.25
    process.system_s += 0.125
    process.rss, process.threads = 80_000_000, 5
    second = sampler.sample()
    assert second is sampler.latest
    assert second.cpu_percent == pytest.approx(75.0)
    assert second.as_dict() == {
        "cpu_percent": 75.0,
        "rss_bytes": 80_000_000,
        "threads": 5,
        "sampled_ns": now[0],
    }
    # two busy threads on two cores: 200 %
    now[0] += 1_000_000_000
    process.user_s += 2.0
    assert sampler.sample().cpu_percent == pytest.approx(200.0)
    assert sampler.samples == 3 == process.reads


@pytest.mark.parametrize("interval_s", [0.0, 0.1, -1.0, math.nan, math.inf])
def test_sampling_faster_than_five_times_a_second_is_refused(interval_s: float):
    with pytest.raises(InvalidInputError, match="interval"):
        ProcessSampler(interval_s, process=StandInProcess())


def proc_status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(field)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_real_readings_agree_with_proc():
    sampler = ProcessSampler()
    sample = sampler.sample()
    rss_bytes = proc_status("VmRSS") * 1024
    assert sample.rss_bytes == pytest.approx(rss_bytes, rel=0.1)
    assert sample.threads == proc_status("Threads")
    release = threading.Event()
    worker = threading.Thread(target=release.wait)
    worker.start()
    try:
        assert sampler.sample().threads == sample.threads + 1
    finally:
        release.set()
        worker.join()
    assert sampler.sample().cpu_percent >= 0.0


def test_every_json_line_carries_the_process_block():
    result = tradecost("simulate", "--demo", "--json", "--duration", "3", "--no-models")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) >= 10
    for r in lines:
        process = r["process"]
        assert set(process) == {"cpu_percent", "rss_bytes", "threads", "sampled_ns"}
        assert isinstance(process["cpu_percent"], float) and process["cpu_percent"] >= 0.0
        # a Python process with numpy loaded, far from a runaway
        assert 10_000_000 < process["rss_bytes"] < 4_000_000_000
        assert isinstance(process["threads"], int) and process["threads"] >= 1
    sampled = sorted({r["process"]["sampled_ns"] for r in lines})
    assert len(sampled) >= 2  # re-sampled while running, not read once
    # sampled on the loop every 0.5 s, not per tick (ticks come every 100 ms)
    assert len(sampled) < len(lines)
    assert min(b - a for a, b in itertools.pairwise(sampled)) >= 200_000_000
