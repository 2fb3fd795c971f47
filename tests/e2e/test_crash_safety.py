"""kill -9 the server mid-part and mid-commit; after a restart every dataset is at its last
committed version, nothing partial is visible, and executions are settled as documented."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import Server

pytestmark = pytest.mark.e2e

TOKEN = "hw_crash-admin"
HEADERS = {"X-DOMO-Developer-Token": TOKEN}
COLUMNS = [{"type": "LONG", "name": "id"}, {"type": "STRING", "name": "payload"}]


def rows_csv(start: int, count: int) -> bytes:
    return b"".join(f"{i},row-{i}-{'x' * 40}\n".encode() for i in range(start, start + count))


def make_stream(http: httpx.Client, method: str = "APPEND") -> tuple[int, str]:
    created = http.post(
        "/api/data/v1/streams",
        json={
            "transport": {"type": "API"},
            "updateMethod": method,
            "keyColumnNames": ["id"],
            "dataSource": {"name": "Crash", "schema": {"columns": COLUMNS}},
        },
    )
    assert created.status_code == 201, created.text
    return created.json()["id"], created.json()["dataSource"]["id"]


def commit_one_batch(http: httpx.Client, stream_id: int, start: int, count: int) -> None:
    eid = http.post(f"/api/data/v1/streams/{stream_id}/executions", json={}).json()["executionId"]
    http.put(
        f"/api/data/v1/streams/{stream_id}/executions/{eid}/part/0", content=rows_csv(start, count)
    )
    assert (
        http.put(f"/api/data/v1/streams/{stream_id}/executions/{eid}/commit").json()["currentState"]
        == "SUCCESS"
    )


def test_kill_mid_part_keeps_the_dataset_and_the_earlier_parts(
    server_factory: type[Server],
) -> None:
    server = server_factory(admin_token=TOKEN)
    server.start()
    with httpx.Client(base_url=server.url, headers=HEADERS, timeout=30) as http:
        stream_id, dataset_id = make_stream(http)
        commit_one_batch(http, stream_id, 0, 10)
        before = http.get(f"/api/data/v3/datasources/{dataset_id}").json()
        eid = http.post(f"/api/data/v1/streams/{stream_id}/executions", json={}).json()[
            "executionId"
        ]
        assert (
            http.put(
                f"/api/data/v1/streams/{stream_id}/executions/{eid}/part/0",
                content=rows_csv(100, 5),
            ).status_code
            == 200
        )

        started = threading.Event()

        def slow_body() -> Iterator[bytes]:
            yield rows_csv(200, 1000)
            started.set()
            while True:  # never finishes: the server dies first
                time.sleep(0.05)
                yield rows_csv(300, 10)

        def send() -> None:
            with contextlib.suppress(httpx.HTTPError):
                http.put(
                    f"/api/data/v1/streams/{stream_id}/executions/{eid}/part/1",
                    content=slow_body(),
                    timeout=30,
                )

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        assert started.wait(10)
        time.sleep(0.3)
        server.kill()

    restarted = server_factory(admin_token=TOKEN)
    restarted.start()
    with httpx.Client(base_url=restarted.url, headers=HEADERS, timeout=30) as http:
        after = http.get(f"/api/data/v3/datasources/{dataset_id}").json()
        assert (after["dataVersion"], after["rowCount"]) == (before["dataVersion"], 10)
        execution = http.get(f"/api/data/v1/streams/{stream_id}/executions/{eid}").json()
        assert execution["currentState"] == "ACTIVE"  # parts survive; it can still be committed
        committed = http.put(f"/api/data/v1/streams/{stream_id}/executions/{eid}/commit").json()
        assert committed["currentState"] == "SUCCESS"
        assert committed["rowsInserted"] == 5  # part 0 only: the cut part 1 never existed
        count = http.post(
            f"/api/query/v1/execute/{dataset_id}", json={"sql": "SELECT COUNT(*) AS n FROM table"}
        ).json()
        assert count == [{"n": 15}]


@pytest.mark.parametrize(
    ("method", "env"),
    [
        # Files adopted into the table, log entry not yet written: the narrowest window,
        # held open by the fault-injection setting so the kill lands inside it.
        ("APPEND", {"HEADWATER_FAULTS__PAUSE_BEFORE_COMMIT_LOG": "5"}),
        # A real merge of a million rows, killed while it runs.
        ("UPSERT", {}),
    ],
    ids=["append-adopting-files", "upsert-merging"],
)
def test_kill_mid_commit_completes_or_errors_but_never_half(
    server_factory: type[Server], method: str, env: dict[str, str]
) -> None:
    server = server_factory(admin_token=TOKEN, **env)
    server.start()
    with httpx.Client(base_url=server.url, headers=HEADERS, timeout=60) as http:
        stream_id, dataset_id = make_stream(http, method)
        commit_one_batch(http, stream_id, 0, 10)
        before = http.get(f"/api/data/v3/datasources/{dataset_id}").json()
        eid = http.post(f"/api/data/v1/streams/{stream_id}/executions", json={}).json()[
            "executionId"
        ]
        per_part = 250_000
        for pid in range(4):
            response = http.put(
                f"/api/data/v1/streams/{stream_id}/executions/{eid}/part/{pid}",
                content=rows_csv(1000 + pid * per_part, per_part),
            )
            assert response.status_code == 200, response.text

        def commit() -> None:
            with contextlib.suppress(httpx.HTTPError):
                http.put(f"/api/data/v1/streams/{stream_id}/executions/{eid}/commit", timeout=60)

        committer = threading.Thread(target=commit, daemon=True)
        committer.start()
        with httpx.Client(base_url=server.url, headers=HEADERS, timeout=5) as watcher:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                phase = watcher.get(f"/api/data/v1/streams/{stream_id}/executions/{eid}").json()
                if phase["currentPhase"] == "COMMITTING":
                    break
            else:
                pytest.fail("the commit never reached COMMITTING")
        server.kill()

    restarted = server_factory(admin_token=TOKEN)
    restarted.start()
    with httpx.Client(base_url=restarted.url, headers=HEADERS, timeout=30) as http:
        execution = http.get(f"/api/data/v1/streams/{stream_id}/executions/{eid}").json()
        dataset = http.get(f"/api/data/v3/datasources/{dataset_id}").json()
        count = http.post(
            f"/api/query/v1/execute/{dataset_id}", json={"sql": "SELECT COUNT(*) AS n FROM table"}
        ).json()[0]["n"]
        if execution["currentState"] == "SUCCESS":
            assert dataset["dataVersion"] == before["dataVersion"] + 1
            assert count == dataset["rowCount"] == 10 + 4 * per_part
        else:
            assert execution["currentState"] == "ERROR"
            assert "interrupted" in execution["errors"][0]["message"]
            assert dataset["dataVersion"] == before["dataVersion"]
            assert count == dataset["rowCount"] == 10
        # Nothing staged is left behind for an ended execution, nor orphaned in the table.
        assert not (restarted.data_dir / "staging" / str(eid)).exists()
        if execution["currentState"] == "ERROR":
            table_dir = restarted.data_dir / "datasets" / dataset_id
            assert not list(table_dir.glob(f"part-e{eid}-*"))
