"""Case 2: a connector run, from POST .../executions to SUCCESS, reading the same data as the
upload case from a CSV file and from a PostgreSQL table; against DuckDB and dlt loading the
same source into a DuckDB file."""

from __future__ import annotations

import json
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

import adbc_driver_postgresql.dbapi as adbc
import duckdb
import httpx
import psycopg

from bench.cases.upload import duckdb_ctas_seconds
from bench.data import SCHEMA, Dataset
from bench.measure import Figure, median_seconds, peak_rss_mb
from bench.server import Server

POSTGRES = {"host": "127.0.0.1", "port": 5432, "database": "test", "username": "postgres"}
POSTGRES_URI = "postgresql://postgres@127.0.0.1:5432/test"


def _run(http: httpx.Client, stream_id: int) -> None:
    started = http.post(f"/api/data/v1/streams/{stream_id}/executions", json={"runType": "MANUAL"})
    started.raise_for_status()
    eid = started.json()["executionId"]
    while True:
        execution = http.get(f"/api/data/v1/streams/{stream_id}/executions/{eid}").json()
        if execution["currentState"] != "ACTIVE":
            break
        time.sleep(0.05)
    if execution["currentState"] != "SUCCESS":
        raise RuntimeError(f"connector run failed: {execution['errors']}")


def _headwater(
    label: str, settings: dict[str, str], body: dict[str, Any], megabytes: float, runs: int
) -> Figure:
    with Server(**settings) as server, server.client() as http:
        created = http.post("/api/data/v1/streams", json=body)
        created.raise_for_status()
        seconds = median_seconds(partial(_run, http, created.json()["id"]), runs)
        return Figure("connector", label, seconds, megabytes, runs, peak_rss_mb(server.pid))


def _stream(provider: str, configuration: dict[str, Any]) -> dict[str, Any]:
    return {
        "transport": {"type": "CONNECTOR"},
        "dataProvider": {"key": provider},
        "updateMethod": "REPLACE",
        "configuration": [{"name": k, "value": str(v)} for k, v in configuration.items()],
        "dataSource": {"name": "bench", "schema": {"columns": SCHEMA}},
    }


# -- file → dataset ----------------------------------------------------------------------------
def file_figures(data: Dataset, runs: int) -> list[Figure]:
    source = _with_header(data)
    settings = {"HEADWATER_FILE_ROOTS": json.dumps([str(source.parent)])}
    body = _stream("file", {"path": str(source)})
    figures = [_headwater("headwater file → dataset", settings, body, data.megabytes, runs)]
    ctas = duckdb_ctas_seconds(source, True, runs)
    figures.append(Figure("connector", "duckdb CTAS read_csv (file)", ctas, data.megabytes, runs))
    dlt_figure = _dlt_file(source, data.megabytes, runs)
    return [*figures, *([dlt_figure] if dlt_figure else [])]


def _with_header(data: Dataset) -> Path:
    """The upload case's CSV with a header line (the file connector reads headers)."""
    target = data.csv.with_name("with-header.csv")
    if not target.exists() or target.stat().st_size < data.csv.stat().st_size:
        partial_file = target.with_suffix(".tmp")
        with partial_file.open("wb") as out, data.csv.open("rb") as source:
            out.write((",".join(c["name"] for c in SCHEMA) + "\n").encode())
            while chunk := source.read(16 << 20):
                out.write(chunk)
        partial_file.rename(target)
    return target


def _dlt_file(source: Path, megabytes: float, runs: int) -> Figure | None:
    try:
        import dlt
        import pyarrow.csv as pacsv
    except ImportError:
        return None
    with tempfile.TemporaryDirectory() as folder:
        # dlt's own `read_csv_duckdb` fails on DuckDB 2 (relations lost fetchmany), so dlt gets
        # the file as streamed Arrow batches: its fastest path.
        @dlt.resource(name="t")
        def batches() -> Any:
            yield from pacsv.open_csv(source)

        def load() -> None:
            pipeline = dlt.pipeline(
                pipeline_name="bench_file",
                destination=dlt.destinations.duckdb(f"{folder}/dlt.duckdb"),
                pipelines_dir=f"{folder}/pipelines",
                dataset_name="bench",
            )
            pipeline.run(batches(), write_disposition="replace")

        try:
            seconds = median_seconds(load, runs)
        except Exception as exc:  # an optional baseline: say why it is missing
            print(f"dlt filesystem baseline failed: {exc}")
            return None
    return Figure("connector", "dlt arrow batches (file)", seconds, megabytes, runs)


# -- PostgreSQL table → dataset ------------------------------------------------------------------
def postgres_figures(data: Dataset, runs: int, with_dlt: bool = True) -> list[Figure]:
    """`with_dlt=False` (--quick) leaves out dlt, whose row-by-row path takes ~10 s a run."""
    table = _load_postgres(data)
    body = _stream("sql", {"driver": "postgresql", **POSTGRES, "table": table})
    figures = [_headwater("headwater postgres → dataset", {}, body, data.megabytes, runs)]
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "bench.duckdb"

        def adbc_duckdb() -> None:
            target.unlink(missing_ok=True)
            with adbc.connect(POSTGRES_URI) as pg, pg.cursor() as cursor:
                cursor.execute(f"SELECT * FROM {table}")
                reader = cursor.fetch_record_batch()  # noqa: F841 (read by DuckDB by name)
                with duckdb.connect(str(target)) as con:
                    con.execute("CREATE TABLE t AS SELECT * FROM reader")

        figures.append(
            Figure(
                "connector",
                "ADBC → duckdb CTAS (postgres)",
                median_seconds(adbc_duckdb, runs),
                data.megabytes,
                runs,
            )
        )
    dlt_figure = None
    if with_dlt:
        # dlt reads PostgreSQL at ~11 MB/s, ~76 s a run on the 10M rows: it reads the first
        # DLT_ROWS of them instead (its rate is what is compared) to keep `make bench` short.
        rows = min(DLT_ROWS, data.rows)
        dlt_figure = _dlt_postgres(
            _first_rows(table, rows), data.megabytes * rows / data.rows, runs, rows
        )
    return [*figures, *([dlt_figure] if dlt_figure else [])]


def _load_postgres(data: Dataset) -> str:
    """The benchmark rows in a PostgreSQL table, loaded once per size with COPY."""
    table = f"bench_source_{data.rows}"
    with psycopg.connect(POSTGRES_URI, autocommit=True) as pg:
        found = pg.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = %s", (table,)
        ).fetchone()
        if found and found[0]:
            count = pg.execute(f"SELECT count(*) FROM {table}").fetchone()
            if count and count[0] == data.rows:
                return table
            pg.execute(f"DROP TABLE {table}")
        types = {
            "LONG": "bigint",
            "STRING": "text",
            "DOUBLE": "double precision",
            "DATE": "date",
            "DATETIME": "timestamp",
            "BOOLEAN": "boolean",
        }
        columns = ", ".join(f"{c['name']} {types[c['type']]}" for c in SCHEMA)
        pg.execute(f"CREATE TABLE {table} ({columns})")
        with (
            pg.cursor() as cursor,
            cursor.copy(f"COPY {table} FROM STDIN WITH (FORMAT csv)") as copy,
            data.csv.open("rb") as source,
        ):
            while chunk := source.read(8 << 20):
                copy.write(chunk)
    return table


DLT_ROWS = 2_000_000


def _first_rows(table: str, rows: int) -> str:
    """A table of the first `rows` rows of `table`, made once."""
    subset = f"{table}_first_{rows}"
    with psycopg.connect(POSTGRES_URI, autocommit=True) as pg:
        found = pg.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = %s", (subset,)
        ).fetchone()
        if not (found and found[0]):
            pg.execute(f"CREATE TABLE {subset} AS SELECT * FROM {table} LIMIT {rows}")
    return subset


def _dlt_postgres(table: str, megabytes: float, runs: int, rows: int) -> Figure | None:
    try:
        import dlt
        from dlt.sources.sql_database import sql_table
    except ImportError:
        return None
    with tempfile.TemporaryDirectory() as folder:

        def load() -> None:
            source = sql_table(
                credentials="postgresql+psycopg://postgres@127.0.0.1:5432/test",
                table=table,
                backend="pyarrow",
                chunk_size=100_000,
            )
            pipeline = dlt.pipeline(
                pipeline_name="bench_pg",
                destination=dlt.destinations.duckdb(f"{folder}/dlt.duckdb"),
                pipelines_dir=f"{folder}/pipelines",
                dataset_name="bench",
            )
            pipeline.run(source.with_name("t"), write_disposition="replace")

        try:
            seconds = median_seconds(load, runs)
        except Exception as exc:
            print(f"dlt sql_database baseline failed: {exc}")
            return None
    label = f"dlt sql_table pyarrow (postgres, first {rows:,} rows)"
    return Figure("connector", label, seconds, megabytes, runs)
