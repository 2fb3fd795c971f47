"""Versions read from real Delta logs: rows added and removed per kind of commit, time travel
with each version's own files, and versions whose log entries were cleaned up."""

from __future__ import annotations

from pathlib import Path

import pytest
from deltalake import DeltaTable

from headwater.adapters.datasets.delta_store import DeltaDatasetStore
from headwater.domain.datasets import UpdateMethod
from headwater.domain.errors import Conflict, NotFound, VersionExpired
from headwater.domain.versions import VersionOperation
from tests.integration.test_delta_store import COLUMNS, table


def test_rows_added_and_removed_for_each_kind_of_commit(tmp_path: Path) -> None:
    store = DeltaDatasetStore(tmp_path)
    store.commit("ds", COLUMNS, table((1, "a"), (2, "b"), (3, "c")), UpdateMethod.APPEND)
    store.apply_changes("ds", COLUMNS, table((2, "B")), table((3, "")), ("k",))  # merge
    store.commit("ds", COLUMNS, table((9, "z")), UpdateMethod.REPLACE)
    store.restore("ds", 1, {"headwater.execution": "7"})
    listed = store.versions("ds", 10, 0)
    assert [(v.version, v.operation) for v in listed] == [
        (3, VersionOperation.RESTORE),
        (2, VersionOperation.REPLACE),
        (1, VersionOperation.UPSERT),
        (0, VersionOperation.APPEND),
    ]
    # The merge updated 2 and deleted 3 (1 was copied along, counted as neither).
    assert [(v.rows_added, v.rows_removed, v.row_count) for v in listed] == [
        (2, 1, 2),
        (1, 2, 1),
        (1, 2, 2),
        (3, 0, 3),
    ]
    assert (listed[0].restored_from, listed[0].execution_id) == (1, 7)
    old = store.version_snapshot("ds", 0)
    assert old.columns == list(COLUMNS)
    assert len(old.files) == 1


def test_the_current_version_and_versions_it_never_had(tmp_path: Path) -> None:
    store = DeltaDatasetStore(tmp_path)
    with pytest.raises(NotFound):
        store.version_snapshot("ds", 0)
    assert store.versions("ds", 10, 0) == []
    store.commit("ds", COLUMNS, table((1, "a")), UpdateMethod.APPEND)
    with pytest.raises(NotFound):
        store.version_snapshot("ds", 1)
    with pytest.raises(Conflict):
        store.restore("ds", 0, {})


def test_versions_whose_log_was_cleaned_up(tmp_path: Path) -> None:
    store = DeltaDatasetStore(tmp_path)
    for k in range(4):
        store.commit("ds", COLUMNS, table((k, "x")), UpdateMethod.APPEND)
    DeltaTable(str(tmp_path / "ds")).create_checkpoint()  # at version 3
    for version in (0, 1):  # what Delta's log cleanup removes once past its retention
        (tmp_path / "ds" / "_delta_log" / f"{version:020d}.json").unlink()
    store.commit("ds", COLUMNS, table((4, "x")), UpdateMethod.APPEND)

    listed = store.versions("ds", 10, 0)
    # 0 and 1 have nothing left to describe them. 2 still has its commit, which tells the rows
    # it added, but its snapshot needs the log before it: expired, its row count unknown.
    # 3 loads from the checkpoint, and from there on every count is exact.
    assert [v.version for v in listed] == [4, 3, 2]
    assert [(v.rows_added, v.rows_removed, v.row_count, v.expired) for v in listed] == [
        (1, 0, 5, False),
        (1, 0, 4, False),
        (1, 0, None, True),
    ]
    with pytest.raises(VersionExpired):
        store.version_snapshot("ds", 1)
    with pytest.raises(VersionExpired):
        store.restore("ds", 1, {})
    assert len(store.version_snapshot("ds", 3).files) == 4
