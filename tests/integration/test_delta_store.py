"""The Delta store on real tables: update methods, versions, commit tags, adopted files, and
concurrent writers that each hold their own store (as separate processes would)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

from headwater.adapters.datasets.delta_store import DeltaDatasetStore
from headwater.domain.datasets import Column, ColumnType, UpdateMethod
from headwater.domain.errors import BadData
from headwater.domain.ports.storage import StagedFile
from headwater.tabular.types import arrow_schema

COLUMNS = [Column("k", ColumnType.LONG), Column("v", ColumnType.STRING)]


def table(*rows: tuple[int, str]) -> pa.Table:
    return pa.table(
        {
            "k": pa.array([r[0] for r in rows], pa.int64()),
            "v": pa.array([r[1] for r in rows], pa.string()),
        }
    )


def staged(folder: Path, name: str, *rows: tuple[int, str]) -> StagedFile:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.parquet"
    pq.write_table(table(*rows).cast(arrow_schema(COLUMNS)), path)
    return StagedFile(str(path), len(rows), f"part-{name}.parquet")


def read(store_root: Path, dataset_id: str = "ds") -> list[tuple[int, str]]:
    data = DeltaTable(str(store_root / dataset_id)).to_pyarrow_table().sort_by("k")
    return list(zip(data.column("k").to_pylist(), data.column("v").to_pylist(), strict=True))


def test_replace_append_upsert_and_versions(tmp_path: Path) -> None:
    store = DeltaDatasetStore(tmp_path)
    first = store.commit("ds", COLUMNS, table((1, "a"), (2, "b")), UpdateMethod.REPLACE)
    assert (first.version, first.row_count, first.rows_written) == (0, 2, 2)
    second = store.commit("ds", COLUMNS, table((3, "c")), UpdateMethod.APPEND)
    assert (second.version, second.row_count) == (1, 3)
    third = store.commit("ds", COLUMNS, table((2, "B"), (4, "d")), UpdateMethod.UPSERT, ["k"])
    assert (third.version, third.row_count, third.rows_written) == (2, 4, 2)
    assert read(tmp_path) == [(1, "a"), (2, "B"), (3, "c"), (4, "d")]
    fourth = store.commit("ds", COLUMNS, table(), UpdateMethod.REPLACE)
    assert (fourth.version, fourth.row_count) == (3, 0)
    assert read(tmp_path) == []


def test_commit_metadata_is_found_again(tmp_path: Path) -> None:
    store = DeltaDatasetStore(tmp_path)
    store.commit("ds", COLUMNS, table((1, "a")), UpdateMethod.APPEND, metadata={"tag": "e1"})
    store.commit("ds", COLUMNS, table((2, "b")), UpdateMethod.APPEND, metadata={"tag": "e2"})
    found = store.find_commit("ds", "tag", "e1")
    assert found is not None
    assert found.version == 0
    assert store.find_commit("ds", "tag", "e9") is None


def test_a_bad_cast_writes_nothing(tmp_path: Path) -> None:
    store = DeltaDatasetStore(tmp_path)
    store.commit("ds", COLUMNS, table((1, "a")), UpdateMethod.APPEND)
    bad = pa.table({"k": pa.array(["not a number"]), "v": pa.array(["x"])})
    with pytest.raises(BadData, match="k"):
        store.commit("ds", COLUMNS, bad, UpdateMethod.APPEND)
    assert store.version("ds") == 0
    assert read(tmp_path) == [(1, "a")]


def test_staged_files_are_adopted_without_rewriting(tmp_path: Path) -> None:
    store = DeltaDatasetStore(tmp_path / "tables")
    staging = tmp_path / "staging"
    files = [staged(staging, "e1-0", (1, "a")), staged(staging, "e1-1", (2, "b"), (3, "c"))]
    inode = Path(files[0].path).stat().st_ino
    result = store.commit_files("ds", COLUMNS, files, UpdateMethod.APPEND, metadata={"t": "1"})
    assert (result.version, result.row_count, result.rows_written) == (0, 3, 3)
    adopted = tmp_path / "tables" / "ds" / "part-e1-0.parquet"
    assert adopted.stat().st_ino == inode  # moved, not copied
    assert not Path(files[0].path).exists()
    replaced = store.commit_files(
        "ds", COLUMNS, [staged(staging, "e2-0", (9, "z"))], UpdateMethod.REPLACE
    )
    assert (replaced.version, replaced.row_count) == (1, 1)
    assert read(tmp_path / "tables") == [(9, "z")]
    upserted = store.commit_files(
        "ds", COLUMNS, [staged(staging, "e3-0", (9, "Z"), (10, "y"))], UpdateMethod.UPSERT, ["k"]
    )
    assert upserted.row_count == 2
    assert read(tmp_path / "tables") == [(9, "Z"), (10, "y")]


def test_orphans_of_a_failed_commit_are_removed_and_referenced_files_kept(tmp_path: Path) -> None:
    store = DeltaDatasetStore(tmp_path / "tables")
    store.commit_files(
        "ds", COLUMNS, [staged(tmp_path / "s", "e1-0", (1, "a"))], UpdateMethod.APPEND
    )
    orphan = tmp_path / "tables" / "ds" / "part-e2-00000-x.parquet"
    orphan.write_bytes(b"half written")
    store.remove_orphans("ds", "part-e2-")
    store.remove_orphans("ds", "part-e1-")  # referenced: must stay
    assert not orphan.exists()
    assert read(tmp_path / "tables") == [(1, "a")]


def test_concurrent_appends_from_separate_writers_lose_no_rows(tmp_path: Path) -> None:
    """Each thread has its own store, so only Delta's commit protocol orders them."""
    errors: list[BaseException] = []

    def writer(index: int) -> None:
        store = DeltaDatasetStore(tmp_path / "tables")
        try:
            for round_ in range(5):
                file = staged(
                    tmp_path / f"s{index}",
                    f"w{index}-{round_}",
                    *((index * 1000 + round_ * 10 + i, "x") for i in range(10)),
                )
                store.commit_files("ds", COLUMNS, [file], UpdateMethod.APPEND)
        except BaseException as exc:
            errors.append(exc)

    DeltaDatasetStore(tmp_path / "tables").commit("ds", COLUMNS, table(), UpdateMethod.APPEND)
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    rows = read(tmp_path / "tables")
    assert len(rows) == 4 * 5 * 10
    assert len({k for k, _ in rows}) == 200


def settle(store_root: Path, dataset_id: str = "ds") -> None:
    """Dates the log folder an hour back: as if its last commit were long past, so a reader
    trusts its open table until the folder changes again."""
    log = store_root / dataset_id / "_delta_log"
    an_hour_ago = time.time() - 3600
    os.utime(log, (an_hour_ago, an_hour_ago))


def rows_in(files: list[str] | None) -> int:
    return sum(pq.ParquetFile(f).metadata.num_rows for f in files or [])


def test_a_reader_keeps_its_table_open_and_still_sees_another_writers_commits(
    tmp_path: Path,
) -> None:
    reader, writer = DeltaDatasetStore(tmp_path), DeltaDatasetStore(tmp_path)
    assert reader.data_files("ds") is None
    writer.commit("ds", COLUMNS, table((1, "a")), UpdateMethod.APPEND)
    assert rows_in(reader.data_files("ds")) == 1
    settle(tmp_path)
    assert rows_in(reader.data_files("ds")) == 1  # read again from the open table
    writer.commit("ds", COLUMNS, table((2, "b"), (3, "c")), UpdateMethod.APPEND)
    assert rows_in(reader.data_files("ds")) == 3
    settle(tmp_path)
    writer.commit("ds", COLUMNS, table((4, "d")), UpdateMethod.REPLACE)
    files = reader.data_files("ds")
    assert rows_in(files) == 1
    assert files == writer.data_files("ds")
    writer.drop("ds")
    assert reader.data_files("ds") is None


def test_a_commit_right_after_a_read_is_seen_by_the_same_store(tmp_path: Path) -> None:
    store = DeltaDatasetStore(tmp_path)
    for n in range(1, 4):
        store.commit("ds", COLUMNS, table((n, "x")), UpdateMethod.APPEND)
        assert rows_in(store.data_files("ds")) == n
