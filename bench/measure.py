"""Timing and memory, the same way for every case: medians of repeated runs, peak RSS."""

from __future__ import annotations

import os
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


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (the workers of a multi-process server), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of `pid` and its descendants so far, from /proc/<pid>/stat."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for member in process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / ticks
