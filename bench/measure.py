"""Timing and memory, the same way for every case: medians of repeated runs, peak RSS."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    case: str
    variant: str
    seconds: float  # median
    megabytes: float  # input size
    runs: int
    peak_rss_mb: float | None = None
    note: str = ""

    @property
    def rate(self) -> float:
        return self.megabytes / self.seconds if self.seconds else 0.0


def median_seconds(
    work: Callable[[], object], runs: int, setup: Callable[[], object] | None = None
) -> float:
    """Median wall-clock time of `work` over `runs` runs; `setup` runs untimed before each."""
    times = []
    for _ in range(runs):
        if setup is not None:
            setup()
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_rss_mb(pid: int) -> float:
    """The process's high-water resident set (VmHWM), in MB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")
