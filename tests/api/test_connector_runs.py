"""Connector executions: a run reads, stages and commits; retries transient errors; stops on
abort within a second writing nothing; a second run while one is ACTIVE is a 409."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from headwater.bootstrap import Runtime
from tests.api.conftest import Api
from tests.support.local_csv_connector import LocalCsvConnector


@pytest.fixture
def connector(runtime: Runtime) -> LocalCsvConnector:
    instance = LocalCsvConnector()
    runtime.registry.register("localcsv", lambda: instance)
    return instance


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text("sku,qty\n" + "".join(f"s{i},{i}\n" for i in range(5000)))
    return path


def make_stream(api: Api, source: Path, **config: Any) -> dict[str, Any]:
    configuration = [{"name": "path", "value": str(source)}] + [
        {"name": k, "value": v} for k, v in config.items()
    ]
    response = api.post(
        "/api/data/v1/streams",
        json={
            "transport": {"type": "CONNECTOR", "version": "1"},
            "dataProvider": {"key": "localcsv"},
            "configuration": configuration,
            "dataSource": {
                "name": "Orders",
                "schema": {
                    "columns": [{"type": "STRING", "name": "sku"}, {"type": "LONG", "name": "qty"}]
                },
            },
        },
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def wait_for(api: Api, stream_id: int, execution_id: int, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        execution = api.get(f"/api/data/v1/streams/{stream_id}/executions/{execution_id}").json()
        if execution["currentState"] != "ACTIVE":
            return dict(execution)
        time.sleep(0.05)
    raise AssertionError(f"execution {execution_id} still ACTIVE after {timeout}s")


def test_a_manual_run_commits_the_source(
    admin: Api, connector: LocalCsvConnector, source: Path
) -> None:
    stream = make_stream(admin, source)
    started = admin.post(
        f"/api/data/v1/streams/{stream['id']}/executions", json={"runType": "MANUAL"}
    )
    assert started.status_code == 201
    assert started.json()["runType"] == "MANUAL"
    done = wait_for(admin, stream["id"], started.json()["executionId"])
    assert done["currentState"] == "SUCCESS", done
    assert done["rowsInserted"] == 5000
    assert done["bytesInserted"] > 0
    assert done["peakMemoryUsedBytes"] > 0
    dataset = admin.get(f"/api/data/v3/datasources/{stream['dataSource']['id']}").json()
    assert dataset["rowCount"] == 5000
    total = admin.post(
        f"/api/query/v1/execute/{dataset['id']}", json={"sql": "SELECT SUM(qty) AS s FROM table"}
    ).json()
    assert total == [{"s": sum(range(5000))}]


def test_progress_grows_while_it_runs_and_abort_stops_it(
    admin: Api, connector: LocalCsvConnector, source: Path
) -> None:
    stream = make_stream(admin, source, batch_rows=100, pause_seconds=0.1)
    eid = admin.post(f"/api/data/v1/streams/{stream['id']}/executions", json={}).json()[
        "executionId"
    ]
    url = f"/api/data/v1/streams/{stream['id']}/executions/{eid}"
    deadline = time.monotonic() + 10
    rows = 0
    while time.monotonic() < deadline and rows == 0:
        rows = admin.get(url).json()["rowsInserted"]
        time.sleep(0.1)
    assert rows > 0  # visible before the run ends
    conflict = admin.post(f"/api/data/v1/streams/{stream['id']}/executions", json={})
    assert conflict.status_code == 409
    assert str(eid) in conflict.json()["message"]
    aborted_at = time.monotonic()
    assert admin.put(url, json={"action": "ABORT"}).json()["currentState"] == "ABORTED"
    time.sleep(1.5)
    # The reader stopped within a second of the abort: no batch was taken after that.
    assert max(connector.yielded_at) < aborted_at + 1.0
    assert len(connector.yielded_at) < 50  # 5000 rows in batches of 100: it did not finish
    settled = admin.get(url).json()
    assert settled["currentState"] == "ABORTED"
    dataset = admin.get(f"/api/data/v3/datasources/{stream['dataSource']['id']}").json()
    assert dataset["dataVersion"] is None
    assert dataset["rowCount"] == 0


def test_transient_errors_are_retried_and_counted(
    admin: Api, connector: LocalCsvConnector, source: Path
) -> None:
    connector.failures[:] = ["transient", "transient"]
    stream = make_stream(admin, source)
    eid = admin.post(f"/api/data/v1/streams/{stream['id']}/executions", json={}).json()[
        "executionId"
    ]
    done = wait_for(admin, stream["id"], eid)
    assert done["currentState"] == "SUCCESS"
    assert done["retryCount"] == 2
    assert done["rowsInserted"] == 5000
    assert connector.reads == 3


def test_a_terminal_error_ends_in_error_without_retry(
    admin: Api, connector: LocalCsvConnector, source: Path
) -> None:
    connector.failures[:] = ["terminal"]
    stream = make_stream(admin, source)
    eid = admin.post(f"/api/data/v1/streams/{stream['id']}/executions", json={}).json()[
        "executionId"
    ]
    done = wait_for(admin, stream["id"], eid)
    assert done["currentState"] == "ERROR"
    assert done["retryCount"] == 0
    assert "credentials" in done["errors"][0]["message"]
    assert connector.reads == 1
    dataset = admin.get(f"/api/data/v3/datasources/{stream['dataSource']['id']}").json()
    assert dataset["dataVersion"] is None


def test_an_unknown_connector_fails_the_run_with_a_clear_error(admin: Api, source: Path) -> None:
    stream = make_stream(admin, source)  # "localcsv" is not registered in this test
    eid = admin.post(f"/api/data/v1/streams/{stream['id']}/executions", json={}).json()[
        "executionId"
    ]
    done = wait_for(admin, stream["id"], eid)
    assert done["currentState"] == "ERROR"
    assert "localcsv" in done["errors"][0]["message"]


def test_rows_that_do_not_fit_the_schema_fail_the_run(
    admin: Api, connector: LocalCsvConnector, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,qty\na,1\nb,lots\n")
    stream = make_stream(admin, bad)
    eid = admin.post(f"/api/data/v1/streams/{stream['id']}/executions", json={}).json()[
        "executionId"
    ]
    done = wait_for(admin, stream["id"], eid)
    assert done["currentState"] == "ERROR"
    assert "qty" in done["errors"][0]["message"]
