"""Benchmark data: CSV with int, string, float, date, datetime, bool and category columns.

Generated once per size into bench/data/ (ignored by git) and split into headerless parts,
plain and gzip, for the multipart upload cases.
"""

from __future__ import annotations

import gzip
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

DATA = Path(__file__).parent / "data"
CATEGORIES = np.array(["north", "south", "east", "west", "central"])
SCHEMA = [
    {"type": "LONG", "name": "id"},
    {"type": "STRING", "name": "name"},
    {"type": "DOUBLE", "name": "price"},
    {"type": "DATE", "name": "day"},
    {"type": "DATETIME", "name": "at"},
    {"type": "BOOLEAN", "name": "active"},
    {"type": "STRING", "name": "region"},
]
DUCKDB_COLUMNS = {
    "id": "BIGINT",
    "name": "VARCHAR",
    "price": "DOUBLE",
    "day": "DATE",
    "at": "TIMESTAMP",
    "active": "BOOLEAN",
    "region": "VARCHAR",
}


def duckdb_load_sql(csv: Path, header: bool = False) -> str:
    """DuckDB's own load of a benchmark CSV into table `t`, with the benchmark's types."""
    columns = ", ".join(f"'{k}': '{v}'" for k, v in DUCKDB_COLUMNS.items())
    return (
        f"CREATE TABLE t AS SELECT * FROM read_csv('{csv}', header = {str(header).lower()}, "
        f"columns = {{{columns}}})"
    )


@dataclass(frozen=True)
class Dataset:
    rows: int
    csv: Path  # headerless
    parts: list[Path]
    gzip_parts: list[Path]

    @property
    def megabytes(self) -> float:
        return self.csv.stat().st_size / 1e6


def _table(start: int, rows: int, rng: np.random.Generator) -> pa.Table:
    ids = np.arange(start, start + rows, dtype=np.int64)
    base = np.datetime64("2024-01-01T00:00:00", "s")
    seconds = rng.integers(0, 365 * 86400, rows)
    return pa.table(
        {
            "id": ids,
            "name": pa.array(np.char.add("customer-", (ids % 100_000).astype(str))),
            "price": np.round(rng.random(rows) * 1000, 2),
            "day": pa.array((base + seconds).astype("datetime64[D]")),
            "at": pa.array((base + seconds).astype("datetime64[us]")),
            "active": rng.random(rows) < 0.5,
            "region": pa.array(CATEGORIES[rng.integers(0, len(CATEGORIES), rows)]),
        }
    )


def dataset(rows: int, parts: int = 10) -> Dataset:
    folder = DATA / f"{rows}"
    csv_path = folder / "data.csv"
    part_paths = [folder / f"part-{i}.csv" for i in range(parts)]
    gzip_paths = [folder / f"part-{i}.csv.gz" for i in range(parts)]
    if not all(p.exists() for p in [csv_path, *part_paths, *gzip_paths]):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        rng = np.random.default_rng(42)
        per_part = -(-rows // parts)
        options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
        with csv_path.open("wb") as whole:
            for index, path in enumerate(part_paths):
                start = index * per_part
                count = max(0, min(per_part, rows - start))
                pacsv.write_csv(_table(start, count, rng), path, write_options=options)
                data = path.read_bytes()
                whole.write(data)
                gzip_paths[index].write_bytes(gzip.compress(data, compresslevel=1))
    return Dataset(rows, csv_path, part_paths, gzip_paths)
