"""kill -9 the server in the middle of an incremental connector run; after a restart the
interrupted run is ERROR, the dataset is as the last commit left it, and the rerun brings
each source row exactly once."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Server

pytestmark = pytest.mark.e2e

TOKEN = "hw_connector-crash-admin"
HEADERS = {"X-DOMO-Developer-Token": TOKEN}
ROWS_PER_FILE = 500


def write_file(folder: Path, index: int) -> None:
    path = folder / f"f{index:02d}.csv"
    first = index * ROWS_PER_FILE
    path.write_text(
        "id,label\n" + "".join(f"{i},row-{i}\n" for i in range(first, first + ROWS_PER_FILE))
    )
    os.utime(path, (1000 + index, 1000 + index))


def run(http: httpx.Client, stream_id: int) -> int:
    started = http.post(f"/api/data/v1/streams/{stream_id}/executions", json={"runType": "MANUAL"})
    assert started.status_code == 201, started.text
    return int(started.json()["executionId"])


def wait(http: httpx.Client, stream_id: int, eid: int, until: str = "done") -> dict[str, object]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        execution = http.get(f"/api/data/v1/streams/{stream_id}/executions/{eid}").json()
        if until == "done" and execution["currentState"] != "ACTIVE":
            return dict(execution)
        if until == "reading" and execution["rowsInserted"] > 0:
            return dict(execution)
        time.sleep(0.05)
    raise AssertionError(f"execution {eid} never got {until}")


def totals(http: httpx.Client, dataset_id: str) -> dict[str, int]:
    answer = http.post(
        f"/api/query/v1/execute/{dataset_id}",
        json={"sql": "SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS d FROM table"},
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json()[0])


def test_kill_mid_read_then_rerun_gives_each_row_once(
    server_factory: type[Server], tmp_path: Path
) -> None:
    folder = tmp_path / "source"
    folder.mkdir()
    env = {
        "HEADWATER_FILE_ROOTS": json.dumps([str(folder)]),
        "HEADWATER_FAULTS__PAUSE_AFTER_BATCH": "0.7",  # one file per batch: a wide window
    }
    server = server_factory(admin_token=TOKEN, **env)
    server.start()
    with httpx.Client(base_url=server.url, headers=HEADERS, timeout=30) as http:
        created = http.post(
            "/api/data/v1/streams",
            json={
                "transport": {"type": "CONNECTOR"},
                "dataProvider": {"key": "file"},
                "updateMethod": "APPEND",
                "configuration": [
                    {"name": "path", "value": f"{folder}/*.csv"},
                    {"name": "incremental", "value": "true"},
                ],
                "dataSource": {"name": "Crash"},
            },
        )
        assert created.status_code == 201, created.text
        stream_id, dataset_id = created.json()["id"], created.json()["dataSource"]["id"]
        write_file(folder, 0)
        assert wait(http, stream_id, run(http, stream_id))["currentState"] == "SUCCESS"
        assert totals(http, dataset_id) == {"n": ROWS_PER_FILE, "d": ROWS_PER_FILE}

        for index in range(1, 5):
            write_file(folder, index)
        interrupted = run(http, stream_id)
        wait(http, stream_id, interrupted, until="reading")
    server.kill()

    server = server_factory(admin_token=TOKEN, **env)
    server.start()
    with httpx.Client(base_url=server.url, headers=HEADERS, timeout=30) as http:
        settled = http.get(f"/api/data/v1/streams/{stream_id}/executions/{interrupted}").json()
        assert settled["currentState"] == "ERROR"
        assert "interrupted" in settled["errors"][0]["message"]
        assert totals(http, dataset_id) == {"n": ROWS_PER_FILE, "d": ROWS_PER_FILE}

        rerun = wait(http, stream_id, run(http, stream_id))
        assert rerun["currentState"] == "SUCCESS", rerun
        assert rerun["rowsInserted"] == 4 * ROWS_PER_FILE
        assert totals(http, dataset_id) == {"n": 5 * ROWS_PER_FILE, "d": 5 * ROWS_PER_FILE}
