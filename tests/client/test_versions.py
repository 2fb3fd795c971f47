"""Data versions through the client (sync and async): list, query one, restore, a 410 past
the retention horizon as `Gone`."""

from __future__ import annotations

from pathlib import Path

import pytest

from headwater.adapters.datasets.delta_store import DeltaDatasetStore
from headwater.client import AsyncClient, Client, Conflict, Gone, NotFound, Version

SUM = "SELECT SUM(amount) AS s FROM table"


def two_loads(hw: Client, tmp_path: Path) -> str:
    made = hw.datasets.create("Sales", ["region:STRING", "amount:LONG"])
    source = tmp_path / "s.csv"
    source.write_text("region,amount\nnorth,2\nsouth,3\n")
    hw.uploads.upload(made.id, source)
    source.write_text("region,amount\neast,10\n")
    hw.uploads.upload(made.id, source, update_method="APPEND")
    return made.id


def test_versions_query_and_restore(hw: Client, tmp_path: Path) -> None:
    dataset_id = two_loads(hw, tmp_path)
    versions = hw.datasets.versions(dataset_id)
    assert all(isinstance(v, Version) for v in versions)
    assert [(v.version, v.operation, v.rows_added, v.row_count) for v in versions] == [
        (1, "APPEND", 1, 3),
        (0, "REPLACE", 2, 2),
    ]
    assert [v.current for v in versions] == [True, False]
    assert [v.user_name for v in versions] == ["admin", "admin"]
    assert versions[0].time is not None
    assert [v.version for v in hw.datasets.versions(dataset_id, limit=1)] == [1]

    assert hw.datasets.query(dataset_id, SUM, version=0).rows == [{"s": 5}]
    assert hw.datasets.query(dataset_id, SUM).rows == [{"s": 15}]

    execution = hw.datasets.restore(dataset_id, 0)
    assert (execution.succeeded, execution.data_version, execution.rows) == (True, 2, 2)
    assert execution.raw["restoredVersion"] == 0
    assert hw.datasets.query(dataset_id, SUM).rows == [{"s": 5}]
    assert hw.datasets.versions(dataset_id)[0].restored_from == 0

    with pytest.raises(Conflict) as current:
        hw.datasets.restore(dataset_id, 2)
    assert current.value.code == "VERSION_CURRENT"
    with pytest.raises(NotFound):
        hw.datasets.query(dataset_id, SUM, version=9)


def test_an_expired_version_is_gone(hw: Client, tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    dataset_id = two_loads(hw, tmp_path)
    DeltaDatasetStore(settings.datasets_dir).compact(dataset_id, min_files=1, retention_hours=0)
    with pytest.raises(Gone) as gone:
        hw.datasets.query(dataset_id, SUM, version=0)
    assert (gone.value.status_code, gone.value.code) == (410, "VERSION_EXPIRED")
    with pytest.raises(Gone):
        hw.datasets.restore(dataset_id, 0)
    assert hw.datasets.versions(dataset_id)[-1].expired


@pytest.mark.anyio
async def test_the_async_client_too(ahw: AsyncClient, hw: Client, tmp_path: Path) -> None:
    dataset_id = two_loads(hw, tmp_path)
    assert [v.version for v in await ahw.datasets.versions(dataset_id)] == [1, 0]
    assert (await ahw.datasets.query(dataset_id, SUM, version=0)).rows == [{"s": 5}]
    restored = await ahw.datasets.restore(dataset_id, 0)
    assert restored.data_version == 2
