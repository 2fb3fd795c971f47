"""CSV export streams: the server's memory does not grow with the size of the dataset."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.pydomo_support import PublicApi

pytestmark = pytest.mark.e2e

ROWS = 1_000_000  # ~45 MB of CSV per million rows


def peak_rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc")


def reset_peak_rss(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # Linux: VmHWM := current RSS


def csv_body(start: int, count: int) -> Iterator[bytes]:
    block = []
    for i in range(start, start + count):
        block.append(f"region-{i % 97},{i},{i * 0.5},note number {i}\n")
        if len(block) == 50_000:
            yield "".join(block).encode()
            block = []
    yield "".join(block).encode()


def export_growth(api: PublicApi, dataset_id: str) -> tuple[int, int, int]:
    """(lines, bytes received, growth of the server's peak RSS) of one streamed export."""
    assert api.server.process is not None
    pid = api.server.process.pid
    reset_peak_rss(pid)
    before = peak_rss_bytes(pid)
    received = lines = 0
    with httpx.stream(
        "GET",
        f"{api.server.url}/v1/datasets/{dataset_id}/data",
        params={"includeHeader": "true"},
        headers={"X-DOMO-Developer-Token": "hw_e2e-admin-token"},
        timeout=300,
    ) as response:
        assert response.status_code == 200
        assert "content-length" not in response.headers  # streamed, not built whole
        for chunk in response.iter_bytes():
            received += len(chunk)
            lines += chunk.count(b"\n")
    return lines, received, peak_rss_bytes(pid) - before


def test_a_large_export_streams_in_bounded_memory(public_api: PublicApi) -> None:
    columns = [
        {"type": "STRING", "name": "region"},
        {"type": "LONG", "name": "i"},
        {"type": "DOUBLE", "name": "half"},
        {"type": "STRING", "name": "note"},
    ]
    created = public_api.product(
        "POST", "/v1/datasets", json={"name": "Big", "schema": {"columns": columns}}
    )
    dataset_id = created.json()["id"]

    def load(start: int, count: int, method: str) -> None:
        response = public_api.product(
            "PUT",
            f"/v1/datasets/{dataset_id}/data",
            params={"updateMethod": method},
            content=csv_body(start, count),
            headers={"Content-Type": "text/csv"},
        )
        assert response.status_code == 204, response.text

    load(0, ROWS, "REPLACE")
    small_lines, small_bytes, small_growth = export_growth(public_api, dataset_id)
    load(ROWS, 2 * ROWS, "APPEND")
    big_lines, big_bytes, big_growth = export_growth(public_api, dataset_id)
    assert (small_lines, big_lines) == (ROWS + 1, 3 * ROWS + 1)
    # Holding the export whole would grow the peak by the extra ~90 MB; streaming keeps it
    # at the same few batches whatever the size.
    extra = big_bytes - small_bytes
    assert big_growth - small_growth < extra / 4, (
        f"peak RSS grew {small_growth / 1e6:.0f} MB for {small_bytes / 1e6:.0f} MB and "
        f"{big_growth / 1e6:.0f} MB for {big_bytes / 1e6:.0f} MB"
    )
