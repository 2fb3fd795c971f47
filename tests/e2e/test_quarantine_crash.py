"""kill -9 the server at each point of a quarantining commit; after a restart the dataset and
its quarantine dataset are consistent (the execution's rows are in both or in neither) and
the execution is settled: SUCCESS if the dataset's commit landed, else ERROR."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Server

pytestmark = pytest.mark.e2e

TOKEN = "hw_quarantine-crash-admin"
HEADERS = {"X-DOMO-Developer-Token": TOKEN}
COLUMNS = [{"type": "LONG", "name": "id"}, {"type": "STRING", "name": "payload"}]
ROWS = 1000  # every tenth without an id: 100 rows to quarantine
BAD = ROWS // 10


def body(start: int, count: int, bad_every: int = 0) -> bytes:
    lines = []
    for i in range(start, start + count):
        key = "" if bad_every and i % bad_every == 0 else str(i)
        lines.append(f"{key},row-{i}\n")
    return "".join(lines).encode()


def logged(folder: Path) -> int:
    """How many Delta log entries a table has (0: no table yet)."""
    return len(list((folder / "_delta_log").glob("*.json")))


def adopted(folder: Path, eid: int) -> bool:
    return bool(list(folder.glob(f"part-e{eid}-*")))


# Each point: the fault that holds the window open, and when the test is inside it (given
# the quarantine table's folder, the dataset's folder, and the execution id).
Point = Callable[[Path, Path, int], bool]
POINTS: dict[str, tuple[dict[str, str], Point]] = {
    # The failing rows' file moved into the quarantine table; its log entry not written.
    "quarantine-files-adopted": (
        {"HEADWATER_FAULTS__PAUSE_BEFORE_COMMIT_LOG": "4"},
        lambda q, d, eid: adopted(q, eid) and logged(q) == 0,
    ),
    # The quarantine commit landed; the dataset's own commit not yet begun.
    "quarantine-committed": (
        {"HEADWATER_FAULTS__PAUSE_AFTER_COMMIT_LOG": "4"},
        lambda q, d, eid: logged(q) == 1 and not adopted(d, eid),
    ),
    # The quarantine commit landed; the dataset's files adopted, its log entry not written.
    "dataset-files-adopted": (
        {"HEADWATER_FAULTS__PAUSE_BEFORE_COMMIT_LOG": "4"},
        lambda q, d, eid: logged(q) == 1 and adopted(d, eid) and logged(d) == 1,
    ),
    # Both commits landed; the execution not yet ended.
    "both-committed": (
        {"HEADWATER_FAULTS__PAUSE_AFTER_COMMIT_LOG": "4"},
        lambda q, d, eid: logged(q) == 1 and logged(d) == 2,
    ),
}


@pytest.mark.parametrize("point", list(POINTS))
def test_kill_during_a_quarantine_commit_leaves_both_or_neither(
    server_factory: type[Server], point: str
) -> None:
    env, inside = POINTS[point]
    server = server_factory(admin_token=TOKEN, **env)
    server.start()
    with httpx.Client(base_url=server.url, headers=HEADERS, timeout=60) as http:
        created = http.post(
            "/api/data/v1/streams",
            json={
                "transport": {"type": "API"},
                "updateMethod": "APPEND",
                "dataSource": {"name": "Crash", "schema": {"columns": COLUMNS}},
            },
        ).json()
        stream_id, dataset_id = created["id"], created["dataSource"]["id"]
        executions = f"/api/data/v1/streams/{stream_id}/executions"
        # A first load of 10 rows, before any check (the fault pauses it too: it waits).
        first = http.post(executions, json={}).json()["executionId"]
        http.put(f"{executions}/{first}/part/0", content=body(100_000, 10))
        assert http.put(f"{executions}/{first}/commit").json()["currentState"] == "SUCCESS"
        checks = http.put(
            f"/api/data/v3/datasources/{dataset_id}/checks",
            json={
                "onFailure": "QUARANTINE",
                "checks": [{"name": "id present", "type": "NOT_NULL", "column": "id"}],
            },
        )
        assert checks.status_code == 200, checks.text

        eid = http.post(executions, json={}).json()["executionId"]
        assert http.put(f"{executions}/{eid}/part/0", content=body(0, ROWS, 10)).status_code == 200

        def commit() -> None:
            with contextlib.suppress(httpx.HTTPError):
                http.put(f"{executions}/{eid}/commit", timeout=60)

        threading.Thread(target=commit, daemon=True).start()
        datasets = server.data_dir / "datasets"
        quarantine_id = None
        deadline = time.monotonic() + 40
        with httpx.Client(base_url=server.url, headers=HEADERS, timeout=5) as watcher:
            while time.monotonic() < deadline:
                if quarantine_id is None:
                    quarantine_id = watcher.get(
                        f"/api/data/v3/datasources/{dataset_id}/checks"
                    ).json()["quarantineDatasetId"]
                if quarantine_id and inside(datasets / quarantine_id, datasets / dataset_id, eid):
                    break
                time.sleep(0.02)
            else:
                pytest.fail(f"the commit never reached {point}")
        server.kill()

    restarted = server_factory(admin_token=TOKEN)
    restarted.start()
    with httpx.Client(base_url=restarted.url, headers=HEADERS, timeout=30) as http:
        execution = http.get(f"{executions}/{eid}").json()

        def count(dataset: str, sql: str) -> int:
            answer = http.post(f"/api/query/v1/execute/{dataset}", json={"sql": sql})
            assert answer.status_code == 200, answer.text
            return int(answer.json()[0]["n"])

        in_dataset = count(dataset_id, f"SELECT COUNT(*) AS n FROM table WHERE id < {ROWS}")
        in_quarantine = count(
            quarantine_id, f"SELECT COUNT(*) AS n FROM table WHERE _execution = {eid}"
        )
        dataset = http.get(f"/api/data/v3/datasources/{dataset_id}").json()
        quarantine = http.get(f"/api/data/v3/datasources/{quarantine_id}").json()
        if point == "both-committed":
            assert execution["currentState"] == "SUCCESS", execution
            assert (in_dataset, in_quarantine) == (ROWS - BAD, BAD)
            assert execution["quarantine"] == {"datasetId": quarantine_id, "rows": BAD}
            assert dataset["rowCount"] == 10 + ROWS - BAD
            assert quarantine["rowCount"] == BAD
        else:
            assert execution["currentState"] == "ERROR", execution
            assert "interrupted" in execution["errors"][-1]["message"]
            assert execution["quarantine"] is None  # taken back, if it ever got there
            assert (in_dataset, in_quarantine) == (0, 0)
            assert dataset["rowCount"] == 10
            assert quarantine["rowCount"] == 0
            # Nothing of it is left in the dataset's folder; in the quarantine's, only files
            # a version of its history references (the commit that was taken back).
            assert not adopted(datasets_dir(restarted) / dataset_id, eid)
            if point == "quarantine-files-adopted":
                assert not adopted(datasets_dir(restarted) / quarantine_id, eid)
        # The failed check was reported either way, and nothing staged is left behind.
        assert execution["checkResults"][0]["failingRows"] == BAD
        assert not (restarted.data_dir / "staging" / str(eid)).exists()


def datasets_dir(server: Server) -> Path:
    return server.data_dir / "datasets"
