"""Pipeline commits on real Delta tables: change batches (upsert/delete) and compaction that
leaves older versions readable."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from headwater.adapters.datasets.delta_store import DeltaDatasetStore
from headwater.domain.datasets import Column, ColumnType, UpdateMethod
from tests.integration.test_delta_store import COLUMNS, read, table

EMPTY = table()


def test_changes_with_a_key_upsert_and_delete_in_one_commit(tmp_path: Path) -> None:
    store = DeltaDatasetStore(tmp_path)
    store.commit("ds", COLUMNS, table((1, "a"), (2, "b"), (3, "c")), UpdateMethod.APPEND)
    result = store.apply_changes(
        "ds", COLUMNS, table((2, "B"), (4, "d")), table((3, "")), ("k",), {"tag": "x"}
    )
    assert read(tmp_path) == [(1, "a"), (2, "B"), (4, "d")]
    assert result.row_count == 3
    assert store.latest_metadata("ds", "tag", "x") is not None


def test_changes_without_a_key_delete_equal_rows_and_keep_duplicates(tmp_path: Path) -> None:
    store = DeltaDatasetStore(tmp_path)
    store.commit("ds", COLUMNS, table((1, "a"), (1, "a"), (2, "b")), UpdateMethod.APPEND)
    store.apply_changes("ds", COLUMNS, table((5, "e"), (5, "e")), table((2, "b")), ())
    assert read(tmp_path) == [(1, "a"), (1, "a"), (5, "e"), (5, "e")]


def test_nulls_match_in_deletes(tmp_path: Path) -> None:
    store = DeltaDatasetStore(tmp_path)
    columns = [Column("k", ColumnType.LONG), Column("v", ColumnType.STRING)]
    rows = pa.table({"k": pa.array([1, 2], pa.int64()), "v": pa.array([None, "x"], pa.string())})
    store.commit("ds", columns, rows, UpdateMethod.APPEND)
    gone = pa.table({"k": pa.array([1], pa.int64()), "v": pa.array([None], pa.string())})
    store.apply_changes("ds", columns, EMPTY, gone, ())
    assert read(tmp_path) == [(2, "x")]


def test_compaction_merges_small_files_and_keeps_old_versions_readable(tmp_path: Path) -> None:
    store = DeltaDatasetStore(tmp_path)
    for i in range(40):
        store.commit("ds", COLUMNS, table((i, f"v{i}")), UpdateMethod.APPEND)
    before = store.data_files("ds") or []
    assert len(before) == 40
    assert store.compact("ds", min_files=64, retention_hours=1) == 0  # not yet worth it
    assert store.compact("ds", min_files=32, retention_hours=1) == 0  # rewritten, none deleted
    after = store.data_files("ds") or []
    assert len(after) == 1
    assert read(tmp_path) == [(i, f"v{i}") for i in range(40)]
    # a query that listed the files before compaction still reads them all
    old = duckdb.connect().execute(f"SELECT count(*) FROM read_parquet({before!r})").fetchall()
    assert old == [(40,)]
    # past the retention, vacuum removes the replaced files
    assert store.compact("ds", min_files=1, retention_hours=0) == 40
    assert all(not Path(f).exists() for f in before)
    assert read(tmp_path) == [(i, f"v{i}") for i in range(40)]
