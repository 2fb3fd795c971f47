"""Several server processes on one PostgreSQL database: when one dies mid-run, a live one
settles that run (ERROR, dataset untouched) without a restart; a live neighbour's runs are
never touched."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Server

pytestmark = pytest.mark.e2e

TOKEN = "hw_runners-e2e-admin"
HEADERS = {"X-DOMO-Developer-Token": TOKEN}


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_live_server_settles_the_run_of_one_that_died(
    server_factory: type[Server], tmp_path: Path
) -> None:
    folder = tmp_path / "source"
    folder.mkdir()
    for index in range(4):
        (folder / f"f{index}.csv").write_text("id\n" + "".join(f"{i}\n" for i in range(10)))
    env = {
        "HEADWATER_FILE_ROOTS": json.dumps([str(folder)]),
        "HEADWATER_RUNNER__LEASE_SECONDS": "3",
        "HEADWATER_RUNNER__HEARTBEAT_SECONDS": "0.5",
    }
    doomed = server_factory(admin_token=TOKEN, HEADWATER_FAULTS__PAUSE_AFTER_BATCH="5", **env)
    doomed.start()
    survivor = server_factory(admin_token=TOKEN, **env)
    survivor.start()
    with httpx.Client(base_url=doomed.url, headers=HEADERS, timeout=30) as http:
        created = http.post(
            "/api/data/v1/streams",
            json={
                "transport": {"type": "CONNECTOR"},
                "dataProvider": {"key": "file"},
                "configuration": [{"name": "path", "value": f"{folder}/*.csv"}],
                "dataSource": {"name": "Doomed"},
            },
        ).json()
        stream_id = created["id"]
        run = http.post(f"/api/data/v1/streams/{stream_id}/executions", json={}).json()
        path = f"/api/data/v1/streams/{stream_id}/executions/{run['executionId']}"
        deadline = time.monotonic() + 30
        while http.get(path).json()["rowsInserted"] == 0:  # reading, then stalled 5 s
            assert time.monotonic() < deadline, "the run never started reading"
            time.sleep(0.05)
    doomed.kill()
    with httpx.Client(base_url=survivor.url, headers=HEADERS, timeout=30) as http:
        deadline = time.monotonic() + 30
        while (settled := http.get(path).json())["currentState"] == "ACTIVE":
            assert time.monotonic() < deadline, "nobody settled the dead server's run"
            time.sleep(0.2)
        assert settled["currentState"] == "ERROR"
        assert "interrupted" in settled["errors"][0]["message"]
        dataset = http.get(f"/api/data/v3/datasources/{created['dataSource']['id']}").json()
        assert dataset["rowCount"] == 0
        # The survivor runs the stream itself now, and its own run is left alone.
        rerun = http.post(f"/api/data/v1/streams/{stream_id}/executions", json={}).json()
        rerun_path = f"/api/data/v1/streams/{stream_id}/executions/{rerun['executionId']}"
        while (done := http.get(rerun_path).json())["currentState"] == "ACTIVE":
            assert time.monotonic() < deadline + 30
            time.sleep(0.1)
        assert done["currentState"] == "SUCCESS"
        assert done["rowsInserted"] == 40
