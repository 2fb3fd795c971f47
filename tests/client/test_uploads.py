"""Uploads through the client: parallel gzip parts, one commit; a dropped connection costs
only the part it hit; an upload that cannot finish is resumed; bad rows name their line."""

from __future__ import annotations

from pathlib import Path

import pytest

from headwater.client import (
    AsyncClient,
    BadData,
    Client,
    RetryConfig,
    UploadIncomplete,
    UploadProgress,
)
from tests.client.conftest import QUICK_RETRY
from tests.conftest import ADMIN_TOKEN
from tests.support.csv_files import COLUMNS, write_orders
from tests.support.faulty_proxy import faulty_proxy
from tests.support.live_server import LiveServer

NO_RETRY = RetryConfig(max_retries=0)
PART = r"PUT .*/part/"


def total_qty(hw: Client, dataset_id: str) -> tuple[int, int]:
    row = hw.datasets.query(dataset_id, "SELECT COUNT(*) AS n, SUM(qty) AS q FROM table").rows[0]
    return row["n"], row["q"]


def test_a_file_goes_up_in_parallel_gzip_parts(hw: Client, tmp_path: Path) -> None:
    source = tmp_path / "orders.csv"
    expected = write_orders(source, 60_000)
    dataset = hw.datasets.create("Orders", COLUMNS)
    updates: list[UploadProgress] = []
    result = hw.uploads.upload(
        dataset.id, source, part_size=256 * 1024, parallel=3, on_progress=updates.append
    )
    assert result.execution.succeeded
    assert result.execution.rows == 60_000
    assert result.parts >= 10
    assert result.parts_resumed == 0
    assert result.bytes_read == source.stat().st_size - len("sku,qty,price,at,note\n")
    assert result.bytes_sent < result.bytes_read / 2  # gzip on the wire
    assert total_qty(hw, dataset.id) == (60_000, expected)
    assert updates[-1] == UploadProgress(
        result.bytes_read, result.bytes_read, result.parts, result.parts
    )
    assert len({u.bytes_done for u in updates}) > result.parts  # finer than part by part
    # APPEND adds; a second REPLACE replaces
    hw.uploads.upload(dataset.id, source, update_method="APPEND", part_size=1 << 20)
    assert total_qty(hw, dataset.id) == (120_000, 2 * expected)
    hw.uploads.upload(dataset.id, source, part_size=1 << 20, gzip_level=0)
    assert total_qty(hw, dataset.id) == (60_000, expected)


def test_a_dropped_connection_resends_only_that_part(server: LiveServer, tmp_path: Path) -> None:
    source = tmp_path / "orders.csv"
    expected = write_orders(source, 40_000)
    with (
        faulty_proxy(server.url) as proxy,
        Client(proxy.url, token=ADMIN_TOKEN, retry=QUICK_RETRY) as hw,
    ):
        dataset = hw.datasets.create("Orders", COLUMNS)
        proxy.drop(r"PUT .*/part/3$", times=1, after_bytes=1024)
        result = hw.uploads.upload(
            dataset.id, source, part_size=512 * 1024, gzip_level=0, part_retry=QUICK_RETRY
        )
        assert result.execution.succeeded
        assert proxy.count("PUT", r"/part/3$") == 2  # dropped once, then sent again
        for part in range(1, result.parts + 1):
            if part != 3:
                assert proxy.count("PUT", rf"/part/{part}$") == 1
        assert total_qty(hw, dataset.id) == (40_000, expected)


def test_an_upload_that_cannot_finish_is_resumed_sending_only_the_missing_part(
    server: LiveServer, tmp_path: Path
) -> None:
    source = tmp_path / "orders.csv"
    expected = write_orders(source, 40_000)
    with (
        faulty_proxy(server.url) as proxy,
        Client(proxy.url, token=ADMIN_TOKEN, retry=QUICK_RETRY) as hw,
    ):
        dataset = hw.datasets.create("Orders", COLUMNS)
        proxy.drop(r"PUT .*/part/2$", times=1, after_bytes=1024)
        with pytest.raises(UploadIncomplete) as incomplete:
            hw.uploads.upload(
                dataset.id, source, part_size=512 * 1024, gzip_level=0, part_retry=NO_RETRY
            )
        assert incomplete.value.failed_parts == [2]
        assert hw.datasets.get(dataset.id).row_count == 0  # nothing committed
        eid = incomplete.value.execution_id
        sent_before = len(proxy.seen)
        result = hw.uploads.upload(
            dataset.id, source, part_size=512 * 1024, gzip_level=0, resume=eid
        )
        assert result.execution.id == eid
        assert result.execution.succeeded
        resent = [path for method, path in proxy.seen[sent_before:] if "/part/" in path]
        assert [p.rsplit("/", 1)[1] for p in resent] == ["2"]
        assert result.parts_resumed == result.parts - 1
        assert total_qty(hw, dataset.id) == (40_000, expected)


def test_resume_with_another_cut_is_refused(hw: Client, tmp_path: Path) -> None:
    source = tmp_path / "orders.csv"
    write_orders(source, 20_000)
    dataset = hw.datasets.create("Orders", COLUMNS)
    opened = hw.uploads.upload(dataset.id, source, part_size=100 * 1024)
    stream_id = opened.execution.stream_id
    open_again = hw.executions.create(stream_id)
    for part in range(1, 9):
        hw.executions.upload_part(stream_id, open_again.id, part, b"", gzipped=False)
    with pytest.raises(ValueError, match="same file and part size"):
        hw.uploads.upload(dataset.id, source, part_size=1 << 20, resume=open_again.id)


def test_bad_rows_name_the_line_of_the_file_and_land_nothing(hw: Client, tmp_path: Path) -> None:
    source = tmp_path / "orders.csv"
    write_orders(source, 30_000)
    lines = source.read_text().split("\n")
    bad_line = 25_001
    assert lines[bad_line - 1].startswith("sku-")
    lines[bad_line - 1] = "sku-x,lots,1.0,2024-01-01 00:00:00,n"
    source.write_text("\n".join(lines))
    dataset = hw.datasets.create("Orders", COLUMNS)
    with pytest.raises(BadData) as bad:
        hw.uploads.upload(dataset.id, source, part_size=128 * 1024)
    physical = source.read_text()[: source.read_text().index("sku-x,lots")].count("\n") + 1
    assert bad.value.line == physical
    assert f"orders.csv line {physical}" in bad.value.message
    assert bad.value.column == "qty"
    assert hw.datasets.get(dataset.id).row_count == 0
    stream = hw.streams.for_dataset(dataset.id)
    assert stream is not None
    assert hw.executions.list(stream.id)[0].state == "ABORTED"


def test_a_header_that_does_not_match_the_schema_is_refused_before_sending(
    hw: Client, tmp_path: Path
) -> None:
    source = tmp_path / "wrong.csv"
    source.write_text("qty,sku\n1,a\n")
    dataset = hw.datasets.create("Orders", ["sku:STRING", "qty:LONG"])
    with pytest.raises(ValueError, match=r"header of wrong.csv \(qty, sku\) does not match"):
        hw.uploads.upload(dataset.id, source)
    assert hw.streams.list() == []  # no upload was even opened


def test_uploads_refuse_a_dataset_fed_by_a_connector(hw: Client, tmp_path: Path) -> None:
    stream = hw.streams.create(
        "Fed", ["a:STRING"], provider="file", configuration={"path": str(tmp_path)}
    )
    source = tmp_path / "a.csv"
    source.write_text("a\nx\n")
    with pytest.raises(ValueError, match="fed by the file connector"):
        hw.uploads.upload(stream.dataset_id or "", source)
    assert hw.executions.list(stream.id) == []


@pytest.mark.anyio
async def test_async_upload_with_a_dropped_part(server: LiveServer, tmp_path: Path) -> None:
    source = tmp_path / "orders.csv"
    expected = write_orders(source, 40_000)
    with faulty_proxy(server.url) as proxy:
        async with AsyncClient(proxy.url, token=ADMIN_TOKEN, retry=QUICK_RETRY) as hw:
            dataset = await hw.datasets.create("Orders", COLUMNS)
            proxy.drop(r"PUT .*/part/4$", times=1, after_bytes=1024)
            updates: list[UploadProgress] = []
            result = await hw.uploads.upload(
                dataset.id,
                source,
                part_size=256 * 1024,
                part_retry=QUICK_RETRY,
                on_progress=updates.append,
            )
            assert result.execution.succeeded
            assert result.execution.rows == 40_000
            assert proxy.count("PUT", r"/part/4$") == 2
            assert updates[-1].bytes_done == result.bytes_read
            rows = (await hw.datasets.query(dataset.id, "SELECT SUM(qty) AS q FROM table")).rows
            assert rows == [{"q": expected}]
            target = tmp_path / "back.csv"
            await hw.datasets.export(dataset.id, target, include_header=False)
            assert target.read_bytes().count(b"\n") >= 40_000
