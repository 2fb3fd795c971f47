"""Case 1: multipart CSV upload through HTTP, first byte to committed version, against DuckDB
and dlt loading the same CSV. Peak RSS is the server's high-water mark."""

from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import duckdb
import httpx

from bench.data import DUCKDB_COLUMNS, SCHEMA, Dataset, duckdb_load_sql
from bench.measure import Figure, median_seconds, peak_rss_mb
from bench.server import Server


def _upload(http: httpx.Client, stream_id: int, parts: list[Path], gzip: bool) -> None:
    execution = http.post(f"/api/data/v1/streams/{stream_id}/executions", json={})
    execution.raise_for_status()
    eid = execution.json()["executionId"]
    headers = {"Content-Type": "text/csv", **({"Content-Encoding": "gzip"} if gzip else {})}

    def send(item: tuple[int, Path]) -> None:
        index, path = item
        with path.open("rb") as body:
            response = http.put(
                f"/api/data/v1/streams/{stream_id}/executions/{eid}/part/{index}",
                content=body,
                headers=headers,
            )
        response.raise_for_status()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(send, enumerate(parts)))
    committed = http.put(f"/api/data/v1/streams/{stream_id}/executions/{eid}/commit")
    committed.raise_for_status()
    if committed.json()["currentState"] != "SUCCESS":
        raise RuntimeError(f"upload failed: {committed.json()['errors']}")


VARIANTS = [
    # (update method, gzip, server settings, label suffix)
    ("REPLACE", False, {}, ""),
    ("APPEND", False, {}, ""),
    ("REPLACE", True, {}, ""),
    ("APPEND", True, {}, ""),
    # One part decoding at a time: the memory-bounded configuration.
    ("REPLACE", False, {"HEADWATER_UPLOAD_DECODE_SLOTS": "1"}, ", 1 decode slot"),
]
# --quick: what the goals are judged on (plain and gzip REPLACE, the memory-bounded one)
QUICK_VARIANTS = [v for v in VARIANTS if v[0] == "REPLACE"]


def headwater(
    data: Dataset, runs: int, variants: list[tuple[str, bool, dict[str, str], str]] = VARIANTS
) -> list[Figure]:
    figures = []
    for method, gzip, settings, suffix in variants:
        with Server(**settings) as server, server.client() as http:
            stream = http.post(
                "/api/data/v1/streams",
                json={
                    "transport": {"type": "API"},
                    "updateMethod": method,
                    "dataSource": {"name": "bench", "schema": {"columns": SCHEMA}},
                },
            )
            stream.raise_for_status()
            parts = data.gzip_parts if gzip else data.parts
            work = partial(_upload, http, stream.json()["id"], parts, gzip)
            seconds = median_seconds(work, runs)
            label = f"headwater {method.lower()} {'gzip' if gzip else 'plain'}{suffix}"
            figures.append(
                Figure("upload", label, seconds, data.megabytes, runs, peak_rss_mb(server.pid))
            )
    return figures


def duckdb_ctas(data: Dataset, runs: int) -> Figure:
    seconds = duckdb_ctas_seconds(data.csv, False, runs)
    return Figure("upload", "duckdb CTAS read_csv", seconds, data.megabytes, runs)


def duckdb_ctas_seconds(csv: Path, header: bool, runs: int) -> float:
    """Median time of DuckDB loading `csv` into a fresh file database."""
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "bench.duckdb"

        def load() -> None:
            target.unlink(missing_ok=True)
            with duckdb.connect(str(target)) as con:
                con.execute(duckdb_load_sql(csv, header))

        return median_seconds(load, runs)


def dlt_arrow(data: Dataset, runs: int) -> Figure | None:
    try:
        import dlt
        import pyarrow.csv as pacsv
    except ImportError:
        return None
    names = list(DUCKDB_COLUMNS)
    with tempfile.TemporaryDirectory() as folder:

        def load() -> None:
            table = pacsv.read_csv(data.csv, read_options=pacsv.ReadOptions(column_names=names))
            pipeline = dlt.pipeline(
                pipeline_name="bench",
                destination=dlt.destinations.duckdb(f"{folder}/dlt.duckdb"),
                pipelines_dir=f"{folder}/pipelines",
                dataset_name="bench",
            )
            pipeline.run([table], table_name="t", write_disposition="replace")

        seconds = median_seconds(load, runs)
    return Figure("upload", "dlt arrow → duckdb", seconds, data.megabytes, runs)
