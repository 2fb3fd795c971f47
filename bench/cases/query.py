"""Case 3: SQL through the API on the benchmark dataset vs DuckDB on its own table holding the
same rows. Goal: within 1.5x DuckDB's time plus 10 ms."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import duckdb
import httpx

from bench.cases.upload import _upload
from bench.data import SCHEMA, Dataset, duckdb_load_sql
from bench.measure import median_seconds
from bench.server import Server

QUERIES = {
    "group-by": "SELECT region, COUNT(*) AS n, SUM(price) AS total FROM {t} GROUP BY region",
    "selective filter": "SELECT * FROM {t} WHERE id = 1234",
}


@dataclass(frozen=True)
class QueryFigure:
    query: str
    headwater_ms: float
    duckdb_ms: float

    @property
    def meets_goal(self) -> bool:
        return self.headwater_ms <= 1.5 * self.duckdb_ms + 10

    def row(self) -> str:
        return (
            f"| {self.query} | {self.headwater_ms:.1f} | {self.duckdb_ms:.1f} | "
            f"{self.headwater_ms / self.duckdb_ms:.2f}x | "
            f"{'met' if self.meets_goal else 'missed'} |"
        )


def figures(data: Dataset, runs: int) -> list[QueryFigure]:
    runs = max(runs, 5)  # queries are short: more runs for a steadier median
    with Server() as server, server.client() as http:
        stream = http.post(
            "/api/data/v1/streams",
            json={
                "transport": {"type": "API"},
                "updateMethod": "REPLACE",
                "dataSource": {"name": "bench", "schema": {"columns": SCHEMA}},
            },
        )
        stream.raise_for_status()
        _upload(http, stream.json()["id"], data.parts, False)
        dataset_id = stream.json()["dataSource"]["id"]
        ours = {
            name: median_seconds(partial(_api, http, dataset_id, sql), runs)
            for name, sql in QUERIES.items()
        }
    theirs = _duckdb(data, runs)
    return [QueryFigure(name, ours[name] * 1000, theirs[name] * 1000) for name in QUERIES]


def _api(http: httpx.Client, dataset_id: str, sql: str) -> None:
    answer = http.post(f"/api/query/v1/execute/{dataset_id}", json={"sql": sql.format(t="table")})
    answer.raise_for_status()


def _duckdb(data: Dataset, runs: int) -> dict[str, float]:
    with (
        tempfile.TemporaryDirectory() as folder,
        duckdb.connect(str(Path(folder) / "q.duckdb")) as con,
    ):
        con.execute(duckdb_load_sql(data.csv))
        return {
            name: median_seconds(partial(_local, con, sql.format(t="t")), runs)
            for name, sql in QUERIES.items()
        }


def _local(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    con.execute(sql).fetchall()


def table(found: list[QueryFigure]) -> str:
    return "\n".join(
        [
            "| query | headwater API ms | DuckDB ms | ratio | goal ≤ 1.5x + 10 ms |",
            "|---|---:|---:|---:|---|",
            *[f.row() for f in found],
        ]
    )
