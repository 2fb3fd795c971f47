"""Case 4: requests/s and latency of GET execution and GET datasource under a steady load for
10 s. Goal: ≥ 5k req/s and p99 ≤ 20 ms on 2 cores.

The load comes from separate processes (one keep-alive connection each, as many requests as
they can send), so the client competes with the server for this machine's cores, as wrk on
the same host would. No wrk here: the standard library's http.client is the generator."""

from __future__ import annotations

import http.client
import multiprocessing
import statistics
import time
from dataclasses import dataclass
from urllib.parse import urlparse

from bench.server import TOKEN, Server

CONNECTIONS = 4


@dataclass(frozen=True)
class LoadFigure:
    endpoint: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def meets_goal(self) -> bool:
        return self.requests_per_second >= 5000 and self.p99_ms <= 20 and not self.errors

    def row(self) -> str:
        return (
            f"| {self.endpoint} | {self.requests_per_second:,.0f} | {self.p50_ms:.1f} | "
            f"{self.p99_ms:.1f} | {self.errors} | {'met' if self.meets_goal else 'missed'} |"
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


def _load(url: str, path: str, seconds: float) -> tuple[list[float], int]:
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    workers = [
        context.Process(target=_hammer, args=(url, path, seconds, out)) for _ in range(CONNECTIONS)
    ]
    for worker in workers:
        worker.start()
    results = [out.get() for _ in workers]
    for worker in workers:
        worker.join()
    latencies = [value for lats, _ in results for value in lats]
    return latencies, sum(errors for _, errors in results)


def figures(seconds: float = 10.0) -> list[LoadFigure]:
    with Server() as server, server.client() as client:
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
        paths = {
            "GET execution": f"/api/data/v1/streams/{stream['id']}/executions/"
            f"{execution['executionId']}",
            "GET datasource": f"/api/data/v3/datasources/{stream['dataSource']['id']}",
        }
        found = []
        for name, path in paths.items():
            _load(server.url, path, 1.0)  # warm up
            latencies, errors = _load(server.url, path, seconds)
            cuts = statistics.quantiles(latencies, n=100)
            found.append(
                LoadFigure(name, len(latencies) / seconds, cuts[49] * 1000, cuts[98] * 1000, errors)
            )
        return found


def table(found: list[LoadFigure]) -> str:
    return "\n".join(
        [
            "| endpoint | req/s | p50 ms | p99 ms | errors | goal ≥ 5k req/s, p99 ≤ 20 ms |",
            "|---|---:|---:|---:|---:|---|",
            *[f.row() for f in found],
        ]
    )
