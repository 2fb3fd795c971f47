"""Case 5: continuous connectors into a pipeline table. Goal: ≥ 100k records/s, commit
latency ≤ 1 s.

- datagen → table: a pipeline whose datagen connector makes N rows (4 columns) as fast as it
  can; timed from `POST /start` to all N rows committed.
- NATS → table: N JSON messages (~60 bytes) waiting in a JetStream stream; timed from
  `POST /start` to all N committed. Same-run baseline: a bare consumer on nats-py's own
  `fetch` API that fetches and acks the same messages (no parsing, no commit).

Commit latency is what the server reports per commit (`metrics.commit_latency_ms`: from the
oldest record of a micro-batch arriving to its commit landing), sampled while the run goes.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from dataclasses import dataclass

import httpx
import nats
from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig

from bench.measure import peak_rss_mb
from bench.server import TOKEN, Server

NATS_URL = "nats://127.0.0.1:4222"


@dataclass(frozen=True)
class FlowFigure:
    variant: str
    records: int
    seconds: float  # median
    latency_ms_p50: float | None
    latency_ms_max: float | None
    runs: int
    peak_rss_mb: float | None = None

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0

    def row(self) -> str:
        p50 = f"{self.latency_ms_p50:.0f}" if self.latency_ms_p50 is not None else "-"
        top = f"{self.latency_ms_max:.0f}" if self.latency_ms_max is not None else "-"
        rss = f"{self.peak_rss_mb:.0f}" if self.peak_rss_mb is not None else "-"
        return (
            f"| {self.variant} | {self.records:,} | {self.seconds:.2f} | {self.rate:,.0f} | "
            f"{p50} | {top} | {rss} | {self.runs} |"
        )


def table(figures: list[FlowFigure]) -> str:
    lines = [
        "| variant | records | median s | records/s | commit latency p50 ms | max ms | "
        "peak RSS MB | runs |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    return "\n".join([*lines, *(f.row() for f in figures)])


def _http(server: Server) -> httpx.Client:
    return httpx.Client(
        base_url=f"{server.url}/v0", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120
    )


def _drive(http: httpx.Client, name: str, program: str, records: int) -> tuple[float, list[float]]:
    """Create and start a pipeline; seconds until `records` are committed, latency samples."""
    http.post("/pipelines", json={"name": name, "program_code": program}).raise_for_status()
    latencies: list[float] = []
    started = time.perf_counter()
    http.post(f"/pipelines/{name}/start").raise_for_status()
    while True:
        stats = http.get(f"/pipelines/{name}/stats")
        if stats.status_code == 200:
            (endpoint,) = stats.json()["inputs"]
            metrics = endpoint["metrics"]
            if metrics.get("commit_latency_ms") is not None:
                latencies.append(float(metrics["commit_latency_ms"]))
            committed = metrics["total_records"] - metrics["buffered_records"]
            if committed >= records:
                break
            if endpoint["fatal_error"]:
                raise RuntimeError(endpoint["fatal_error"])
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    rows = http.get(f"/pipelines/{name}/query", params={"sql": "SELECT count(*) AS n FROM t"})
    if json.loads(rows.text.splitlines()[0])["n"] != records:
        raise RuntimeError(f"{name}: the table does not hold {records} rows: {rows.text}")
    http.post(f"/pipelines/{name}/stop?force=true").raise_for_status()
    return seconds, latencies


def _figure(
    variant: str, records: int, runs: list[tuple[float, list[float]]], rss: float | None
) -> FlowFigure:
    samples = [s for _, lat in runs for s in lat]
    return FlowFigure(
        variant,
        records,
        statistics.median(s for s, _ in runs),
        statistics.median(samples) if samples else None,
        max(samples) if samples else None,
        len(runs),
        rss,
    )


def datagen_figure(records: int, runs: int) -> FlowFigure:
    connectors = [
        {"name": "gen", "transport": {"name": "datagen", "config": {"plan": [{"limit": records}]}}}
    ]
    program = (
        "CREATE TABLE t (id BIGINT, name VARCHAR, price DOUBLE, flag BOOLEAN) "
        f"WITH ('connectors' = '{json.dumps(connectors)}');"
    )
    with Server() as server, _http(server) as http:
        results = [_drive(http, f"gen{i}", program, records) for i in range(runs)]
        return _figure("headwater datagen → table", records, results, peak_rss_mb(server.pid))


# -- NATS ----------------------------------------------------------------------------------
async def _fill(stream: str, subject: str, records: int) -> None:
    nc = await nats.connect(NATS_URL)
    js = nc.jetstream()
    await js.add_stream(StreamConfig(name=stream, subjects=[subject]))
    for i in range(records):
        body = {"id": i, "name": f"item-{i % 1000}", "price": i / 4, "flag": i % 2 == 0}
        await nc.publish(subject, json.dumps(body).encode())
        if i % 10_000 == 0:
            await nc.flush()
    await nc.flush()
    while (await js.stream_info(stream)).state.messages < records:
        await asyncio.sleep(0.05)
    await nc.close()


async def _drop(stream: str) -> None:
    nc = await nats.connect(NATS_URL)
    await nc.jetstream().delete_stream(stream)
    await nc.close()


BARE_RECORDS = 200_000


async def _bare_consume(stream: str, records: int) -> float:
    """The baseline: fetch and ack every message with nats-py, nothing else."""
    nc = await nats.connect(NATS_URL)
    js = nc.jetstream()
    durable = f"bare_{uuid.uuid4().hex[:8]}"
    await js.add_consumer(
        stream, ConsumerConfig(durable_name=durable, ack_policy=AckPolicy.ALL, max_ack_pending=-1)
    )
    sub = await js.pull_subscribe_bind(durable=durable, stream=stream, pending_msgs_limit=-1)
    started = time.perf_counter()
    seen = 0
    while seen < records:
        messages = await sub.fetch(100_000, timeout=5)
        seen += len(messages)
        await messages[-1].ack()
    seconds = time.perf_counter() - started
    await nc.close()
    return seconds


def nats_figures(records: int, runs: int) -> list[FlowFigure]:
    results: list[tuple[float, list[float]]] = []
    bare: list[float] = []
    # The bare consumer runs at ~17k/s: its rate is measured on the stream's first messages
    # (up to BARE_RECORDS), which keeps a full run from spending minutes on the baseline.
    bare_records = min(records, BARE_RECORDS)
    rss = None
    with Server() as server, _http(server) as http:
        for run in range(runs):
            stream, subject = f"BENCH_{uuid.uuid4().hex[:8]}", f"bench.{uuid.uuid4().hex[:8]}"
            asyncio.run(_fill(stream, subject, records))
            try:
                connectors = [
                    {
                        "name": "bus",
                        "transport": {
                            "name": "nats_input",
                            "config": {
                                "connection_config": {"server_url": NATS_URL},
                                "stream_name": stream,
                            },
                        },
                        "format": {"name": "json"},
                    }
                ]
                program = (
                    "CREATE TABLE t (id BIGINT, name VARCHAR, price DOUBLE, flag BOOLEAN) "
                    f"WITH ('connectors' = '{json.dumps(connectors)}');"
                )
                results.append(_drive(http, f"bus{run}", program, records))
                bare.append(asyncio.run(_bare_consume(stream, bare_records)))
            finally:
                asyncio.run(_drop(stream))
        rss = peak_rss_mb(server.pid)
    return [
        _figure("headwater NATS → table", records, results, rss),
        FlowFigure(
            "nats-py pull + ack only (baseline)",
            bare_records,
            statistics.median(bare),
            None,
            None,
            runs,
        ),
    ]


def goals(flows: list[FlowFigure]) -> list[str]:
    by = {f.variant: f for f in flows}
    gen, bus = by["headwater datagen → table"], by["headwater NATS → table"]
    bare = by["nats-py pull + ack only (baseline)"]

    def met(figure: FlowFigure) -> str:
        fast = figure.rate >= 100_000
        prompt = figure.latency_ms_max is not None and figure.latency_ms_max <= 1000
        return "met" if fast and prompt else "missed"

    return [
        f"- datagen → table: {gen.rate:,.0f} records/s, commit latency p50 "
        f"{gen.latency_ms_p50 or 0:.0f} ms, max {gen.latency_ms_max or 0:.0f} ms "
        f"(goal ≥ 100k/s, ≤ 1 s): {met(gen)}",
        f"- NATS → table: {bus.rate:,.0f} records/s ({bus.rate / bare.rate:.2f}x a bare "
        f"nats-py consumer), commit latency p50 {bus.latency_ms_p50 or 0:.0f} ms, max "
        f"{bus.latency_ms_max or 0:.0f} ms (goal ≥ 100k/s, ≤ 1 s): {met(bus)}",
    ]
