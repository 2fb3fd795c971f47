"""Case 4: requests/s and latency of GET execution and GET datasource under a steady load for
10 s, at 1 and 2 server workers. Goal: ≥ 5k req/s and p99 ≤ 20 ms on 2 cores.

The load generator is wrk (`make bench` installs it from Debian's packages) with a small Lua
script that sends the token and prints one summary line; where wrk is missing, separate Python
processes (one keep-alive connection each, `http.client`) take its place, and the table says
which one ran. Either way the client shares this machine's two cores with the server, so the
figures are a floor. Beside req/s and latency, the server's CPU seconds per request (user +
system, from /proc, summed over its worker processes) say what a request costs whatever the
client takes."""

from __future__ import annotations

import http.client
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from bench.measure import cpu_seconds
from bench.server import TOKEN, Server

WRK_SCRIPT = Path(__file__).with_name("wrk_token.lua")
WRK_CONNECTIONS = 32
WRK_THREADS = 1  # one wrk thread keeps up with the server and leaves it the other core
PYTHON_CONNECTIONS = 4  # client processes of the fallback generator
WARM_UP_SECONDS = 2.0
WORKERS = (1, 2)


@dataclass(frozen=True)
class LoadFigure:
    endpoint: str
    workers: int
    generator: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    server_cpu_ms: float  # server CPU (all its processes) per request
    runs: int = 1

    @property
    def meets_goal(self) -> bool:
        return self.requests_per_second >= 5000 and self.p99_ms <= 20 and not self.errors

    def row(self) -> str:
        return (
            f"| {self.endpoint} | {self.workers} | {self.generator} | "
            f"{self.requests_per_second:,.0f} | {self.p50_ms:.1f} | {self.p99_ms:.1f} | "
            f"{self.errors} | {self.server_cpu_ms:.2f} | {self.runs} | "
            f"{'met' if self.meets_goal else 'missed'} |"
        )


def median_of(runs: list[LoadFigure]) -> LoadFigure:
    """Each figure the median over the runs (errors: the total), as every bench figure is."""
    first = runs[0]
    return LoadFigure(
        first.endpoint,
        first.workers,
        first.generator,
        statistics.median(r.requests_per_second for r in runs),
        statistics.median(r.p50_ms for r in runs),
        statistics.median(r.p99_ms for r in runs),
        sum(r.errors for r in runs),
        statistics.median(r.server_cpu_ms for r in runs),
        len(runs),
    )


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    generator: str


WRK_LINE = re.compile(r"HEADWATER-WRK (.*)$", re.MULTILINE)


def wrk_load(url: str, seconds: float) -> Load:
    """wrk for `seconds` against `url`; its Lua `done` hook prints the figures we read."""
    result = subprocess.run(
        [
            "wrk",
            f"-t{WRK_THREADS}",
            f"-c{WRK_CONNECTIONS}",
            f"-d{seconds:g}s",
            "--timeout",
            "5s",
            "-s",
            str(WRK_SCRIPT),
            url,
        ],
        env={**os.environ, "HEADWATER_BENCH_TOKEN": TOKEN},
        capture_output=True,
        text=True,
        check=True,
    )
    match = WRK_LINE.search(result.stdout)
    if match is None:
        raise RuntimeError(f"wrk printed no summary:\n{result.stdout}\n{result.stderr}")
    found = {key: float(value) for key, value in (p.split("=") for p in match.group(1).split())}
    errors = sum(int(found[k]) for k in ("connect", "read", "write", "status", "timeout"))
    return Load(
        int(found["requests"]),
        found["seconds"],
        found["p50"] / 1000,
        found["p99"] / 1000,
        errors,
        f"wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS}",
    )


def _hammer(url: str, path: str, seconds: float, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    parsed = urlparse(url)
    connection = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=10)
    headers = {"X-DOMO-Developer-Token": TOKEN}
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    while (start := time.perf_counter()) < deadline:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        latencies.append(time.perf_counter() - start)
        errors += response.status != 200
    connection.close()
    out.put((latencies, errors))


def python_load(url: str, seconds: float) -> Load:
    """The fallback generator: client processes in a closed loop, one connection each."""
    parsed = urlparse(url)
    base, path = f"{parsed.scheme}://{parsed.netloc}", parsed.path
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    workers = [
        context.Process(target=_hammer, args=(base, path, seconds, out))
        for _ in range(PYTHON_CONNECTIONS)
    ]
    for worker in workers:
        worker.start()
    results = [out.get() for _ in workers]
    for worker in workers:
        worker.join()
    latencies = [value for lats, _ in results for value in lats]
    cuts = statistics.quantiles(latencies, n=100)
    return Load(
        len(latencies),
        seconds,
        cuts[49] * 1000,
        cuts[98] * 1000,
        sum(errors for _, errors in results),
        f"python x{PYTHON_CONNECTIONS}",
    )


def load(url: str, seconds: float) -> Load:
    return wrk_load(url, seconds) if shutil.which("wrk") else python_load(url, seconds)


def hot_paths(server: Server) -> dict[str, str]:
    """A stream with one execution; the two endpoints of the goal, plus /health as the floor
    of this stack (no token, no database)."""
    with server.client() as client:
        stream = client.post(
            "/api/data/v1/streams",
            json={
                "transport": {"type": "API"},
                "dataSource": {
                    "name": "load",
                    "schema": {"columns": [{"type": "LONG", "name": "n"}]},
                },
            },
        ).json()
        execution = client.post(f"/api/data/v1/streams/{stream['id']}/executions", json={}).json()
    return {
        "GET execution": f"/api/data/v1/streams/{stream['id']}/executions/"
        f"{execution['executionId']}",
        "GET datasource": f"/api/data/v3/datasources/{stream['dataSource']['id']}",
        "GET /health (floor)": "/health",
    }


def measure(server: Server, endpoint: str, path: str, workers: int, seconds: float) -> LoadFigure:
    cpu_before = cpu_seconds(server.pid)
    found = load(server.url + path, seconds)
    cpu = cpu_seconds(server.pid) - cpu_before
    requests = max(found.requests, 1)
    return LoadFigure(
        endpoint,
        workers,
        found.generator,
        found.requests / found.seconds,
        found.p50_ms,
        found.p99_ms,
        found.errors,
        cpu / requests * 1000,
    )


def figures(
    seconds: float = 10.0,
    workers: tuple[int, ...] = WORKERS,
    python: str | None = None,
    runs: int = 3,
) -> list[LoadFigure]:
    """Per worker count and endpoint, the median of `runs` loads of `seconds` each; the
    endpoints take turns so that a noisy moment does not land on one endpoint's runs."""
    found = []
    for count in workers:
        with Server(python, HEADWATER_WORKERS=str(count)) as server:
            paths = hot_paths(server)
            for path in paths.values():  # caches, pools and the thread pool warm once
                load(server.url + path, WARM_UP_SECONDS)
            measured: dict[str, list[LoadFigure]] = {endpoint: [] for endpoint in paths}
            for _ in range(runs):
                for endpoint, path in paths.items():
                    measured[endpoint].append(measure(server, endpoint, path, count, seconds))
            found.extend(median_of(each) for each in measured.values())
    return found


def side_by_side(base_python: str, rounds: int, seconds: float, workers: int) -> str:
    """Alternate a server of another commit (its venv's python) with this one, `rounds`
    times, and give medians and ratios: this machine is shared, so only figures measured
    in the same run compare."""
    runs: dict[str, list[list[LoadFigure]]] = {"base": [], "this": []}
    for _ in range(rounds):
        runs["base"].append(figures(seconds, (workers,), base_python, runs=1))
        runs["this"].append(figures(seconds, (workers,), None, runs=1))
    lines = [
        f"{rounds} alternating rounds, {seconds:g} s each, {workers} worker(s), medians",
        "| endpoint | base req/s | this req/s | ratio | base p99 ms | this p99 ms | "
        "base CPU ms/req | this CPU ms/req | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for index, first in enumerate(runs["this"][0]):
        base = [run[index] for run in runs["base"]]
        this = [run[index] for run in runs["this"]]

        def med(figs: list[LoadFigure], field: str) -> float:
            return statistics.median(getattr(f, field) for f in figs)

        lines.append(
            f"| {first.endpoint} | {med(base, 'requests_per_second'):,.0f} | "
            f"{med(this, 'requests_per_second'):,.0f} | "
            f"{med(this, 'requests_per_second') / med(base, 'requests_per_second'):.2f}x | "
            f"{med(base, 'p99_ms'):.1f} | {med(this, 'p99_ms'):.1f} | "
            f"{med(base, 'server_cpu_ms'):.2f} | {med(this, 'server_cpu_ms'):.2f} | "
            f"{med(this, 'server_cpu_ms') / med(base, 'server_cpu_ms'):.2f}x |"
        )
    return "\n".join(lines)


def table(found: list[LoadFigure]) -> str:
    return "\n".join(
        [
            "| endpoint | workers | load generator | req/s | p50 ms | p99 ms | errors | "
            "server CPU ms/req | runs | goal ≥ 5k req/s, p99 ≤ 20 ms |",
            "|---|---:|---|---:|---:|---:|---:|---:|---:|---|",
            *[f.row() for f in found],
        ]
    )


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.cases.api_load")
    parser.add_argument("--base-python", help="another commit's venv python: side by side")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if args.base_python:
        print(side_by_side(args.base_python, args.rounds, args.seconds, args.workers))
    else:
        print(table(figures(args.seconds, (args.workers,))))
