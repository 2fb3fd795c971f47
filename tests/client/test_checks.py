"""Quality checks through the Python client (sync and async): set, read, and each
execution's results."""

from __future__ import annotations

from pathlib import Path

import pytest

from headwater.client import AsyncClient, Check, Client, NotFound
from headwater.client._exceptions import BadRequest


def test_set_read_and_see_what_a_load_found(hw: Client, tmp_path: Path) -> None:
    source = tmp_path / "orders.csv"
    source.write_text("sku,qty\na,1\na,2\nb,3\n")
    dataset = hw.datasets.create("Orders", ["sku:STRING", "qty:LONG"])
    assert hw.datasets.checks(dataset.id).checks == []
    checks = hw.datasets.set_checks(
        dataset.id,
        [
            Check(name="sku present", type="NOT_NULL", column="sku"),
            {"name": "one per sku", "type": "UNIQUE", "columns": ["sku"]},
        ],
    )
    assert [(c.name, c.type) for c in checks.checks] == [
        ("sku present", "NOT_NULL"),
        ("one per sku", "UNIQUE"),
    ]
    assert hw.datasets.checks(dataset.id).on_failure == "FAIL"

    result = hw.uploads.upload(dataset.id, source)
    execution = result.execution
    assert execution.state == "ERROR"
    assert [(r.name, r.passed, r.failing_rows) for r in execution.check_results] == [
        ("sku present", True, 0),
        ("one per sku", False, 2),
    ]
    assert [s["qty"] for s in execution.check_results[1].samples] == [1, 2]
    assert hw.datasets.get(dataset.id).data_version is None

    hw.datasets.set_checks(dataset.id, checks.checks, on_failure="quarantine")
    done = hw.uploads.upload(dataset.id, source).execution
    assert done.state == "SUCCESS"
    assert (done.rows, done.quarantined_rows) == (1, 2)
    assert done.quarantine_dataset_id == hw.datasets.checks(dataset.id).quarantine_dataset_id

    with pytest.raises(BadRequest) as refused:
        hw.datasets.set_checks(dataset.id, [{"name": "x", "type": "NOT_NULL", "column": "no"}])
    assert refused.value.field == "checks[0].column"
    with pytest.raises(NotFound):
        hw.datasets.checks("00000000-0000-0000-0000-000000000000")


@pytest.mark.anyio
async def test_the_async_client_sets_and_reads_checks(ahw: AsyncClient) -> None:
    dataset = await ahw.datasets.create("Orders", ["sku:STRING"])
    await ahw.datasets.set_checks(dataset.id, [{"name": "s", "type": "NOT_NULL", "column": "sku"}])
    assert [c.name for c in (await ahw.datasets.checks(dataset.id)).checks] == ["s"]
