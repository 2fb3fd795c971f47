"""kill -9 the server mid-restore: after a restart the restore's execution is settled (ERROR,
the data as it was) and a second restore goes through."""

from __future__ import annotations

import contextlib
import threading
import time

import httpx
import pytest

from tests.e2e.conftest import Server

pytestmark = pytest.mark.e2e

TOKEN = "hw_restore-crash-admin"
HEADERS = {"X-DOMO-Developer-Token": TOKEN}
SUM = {"sql": "SELECT SUM(n) AS s FROM table"}


def test_kill_mid_restore_leaves_the_data_and_settles_the_execution(
    server_factory: type[Server],
) -> None:
    # The pause holds the window between the restore's checks and its Delta log entry open.
    server = server_factory(admin_token=TOKEN, HEADWATER_FAULTS__PAUSE_BEFORE_COMMIT_LOG="5")
    server.start()
    with httpx.Client(base_url=server.url, headers=HEADERS, timeout=30) as http:
        created = http.post(
            "/api/data/v3/datasources",
            json={"name": "R", "schema": {"columns": [{"type": "LONG", "name": "n"}]}},
        )
        dataset_id = created.json()["id"]
        for value in ("1", "10"):  # one-row appends: versions 0 and 1, no pause on them
            appended = http.post(
                f"/api/data/v3/datasources/{dataset_id}/uploads", json={"values": value}
            )
            assert appended.status_code == 200, appended.text

        def restore() -> None:
            with contextlib.suppress(httpx.HTTPError):
                http.post(f"/api/data/v3/datasources/{dataset_id}/versions/0/restore")

        restorer = threading.Thread(target=restore, daemon=True)
        restorer.start()
        with httpx.Client(base_url=server.url, headers=HEADERS, timeout=5) as watcher:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                stream_id = watcher.get(f"/api/data/v3/datasources/{dataset_id}").json()["streamId"]
                executions = (
                    watcher.get(f"/api/data/v1/streams/{stream_id}/executions").json()
                    if stream_id
                    else []
                )
                if any(e["currentPhase"] == "COMMITTING" for e in executions):
                    break
                time.sleep(0.05)
            else:
                pytest.fail("the restore never reached COMMITTING")
        server.kill()

    restarted = server_factory(admin_token=TOKEN)
    restarted.start()
    with httpx.Client(base_url=restarted.url, headers=HEADERS, timeout=30) as http:
        (execution,) = http.get(f"/api/data/v1/streams/{stream_id}/executions").json()
        assert execution["currentState"] == "ERROR"
        assert "interrupted" in execution["errors"][0]["message"]
        dataset = http.get(f"/api/data/v3/datasources/{dataset_id}").json()
        assert (dataset["dataVersion"], dataset["rowCount"]) == (1, 2)
        assert http.post(f"/api/query/v1/execute/{dataset_id}", json=SUM).json() == [{"s": 11}]
        versions = http.get(f"/api/data/v3/datasources/{dataset_id}/versions").json()
        assert [v["version"] for v in versions] == [1, 0]

        again = http.post(f"/api/data/v3/datasources/{dataset_id}/versions/0/restore")
        assert again.status_code == 200, again.text
        assert (again.json()["currentState"], again.json()["dataVersion"]) == ("SUCCESS", 2)
        assert http.post(f"/api/query/v1/execute/{dataset_id}", json=SUM).json() == [{"s": 1}]
