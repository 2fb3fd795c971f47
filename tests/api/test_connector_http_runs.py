"""Connector runs of the real `http` connector against a local HTTP server, through the API:
transient failures retried and counted, terminal ones not retried, abort writes nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.conftest import Api
from tests.api.test_connector_runs import wait_for
from tests.connectors.http_support import DataServer, Reply, Request, text_reply

CSV = "id,name\n1,ann\n2,bob\n3,cy\n"


@pytest.fixture
def server() -> Iterator[DataServer]:
    with DataServer() as running:
        yield running


def http_stream(api: Api, url: str, account_id: int | None = None) -> dict[str, Any]:
    """A stream reading `url`; with an account (which owns the base URL), `url` is the path."""
    body: dict[str, Any] = {
        "transport": {"type": "CONNECTOR"},
        "dataProvider": {"key": "http"},
        "configuration": [{"name": "path" if account_id else "url", "value": url}],
        "updateMethod": "APPEND",
        "dataSource": {"name": "From HTTP"},
    }
    if account_id is not None:
        body["account"] = {"id": account_id}
    created = api.post("/api/data/v1/streams", json=body)
    assert created.status_code == 201, created.text
    return dict(created.json())


def start(api: Api, stream_id: int) -> int:
    started = api.post(f"/api/data/v1/streams/{stream_id}/executions", json={"runType": "MANUAL"})
    assert started.status_code == 201, started.text
    return int(started.json()["executionId"])


def rows(api: Api, dataset_id: str) -> int:
    return int(api.get(f"/api/data/v3/datasources/{dataset_id}").json()["rowCount"])


def test_503_twice_then_200_succeeds_with_retry_count_2(admin: Api, server: DataServer) -> None:
    calls: list[int] = []

    def flaky(request: Request) -> Reply:
        calls.append(1)
        if len(calls) <= 2:
            return Reply(503, b"busy", {"Content-Type": "text/plain"})
        return text_reply(CSV, "text/csv")

    server.routes["/data.csv"] = flaky
    stream = http_stream(admin, server.url("/data.csv"))
    done = wait_for(admin, stream["id"], start(admin, stream["id"]))
    assert done["currentState"] == "SUCCESS", done
    assert done["retryCount"] == 2
    assert done["rowsInserted"] == 3
    assert len(calls) == 3
    assert rows(admin, stream["dataSource"]["id"]) == 3


def test_bad_credentials_end_in_error_naming_the_cause_without_retry(
    admin: Api, server: DataServer
) -> None:
    def guarded(request: Request) -> Reply:
        if request.headers.get("authorization") != "Bearer right":
            return Reply(401, b"no", {"Content-Type": "text/plain"})
        return text_reply(CSV, "text/csv")

    server.routes["/data.csv"] = guarded
    account = admin.post(
        "/api/data/v1/accounts",
        json={
            "name": "api",
            "dataProviderType": "http",
            "configurations": [
                {"name": "url", "value": server.url("/")},
                {"name": "token", "value": "wrong", "type": "password"},
            ],
        },
    )
    assert account.status_code == 201, account.text
    stream = http_stream(admin, "/data.csv", account.json()["id"])
    done = wait_for(admin, stream["id"], start(admin, stream["id"]))
    assert done["currentState"] == "ERROR"
    assert done["retryCount"] == 0
    assert "authentication failed (HTTP 401)" in done["errors"][0]["message"]
    assert len(server.seen("/data.csv")) == 1
    assert rows(admin, stream["dataSource"]["id"]) == 0


def test_abort_mid_run_leaves_the_dataset_unchanged(admin: Api, server: DataServer) -> None:
    server.routes["/data.csv"] = lambda request: text_reply(CSV, "text/csv")
    stream = http_stream(admin, server.url("/data.csv"))
    assert wait_for(admin, stream["id"], start(admin, stream["id"]))["currentState"] == "SUCCESS"

    def endless(request: Request) -> Reply:  # page after page, each a moment apart
        time.sleep(0.05)
        page = int(request.query.get("page", "1"))
        return Reply(
            200,
            f'{{"items": [{{"id": {page}, "name": "p"}}]}}'.encode(),
            {"Content-Type": "application/json"},
        )

    server.routes["/pages"] = endless
    changed = admin.put(
        f"/api/data/v1/streams/{stream['id']}",
        json={
            "configuration": [
                {"name": "url", "value": server.url("/pages")},
                {"name": "records_path", "value": "items"},
                {"name": "pagination", "value": "page_number"},
            ]
        },
    )
    assert changed.status_code == 200, changed.text
    eid = start(admin, stream["id"])
    deadline = time.monotonic() + 10
    while len(server.seen("/pages")) < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    asked = time.monotonic()
    aborted = admin.put(f"/api/data/v1/streams/{stream['id']}/executions/{eid}/abort")
    assert aborted.status_code == 200, aborted.text
    done = wait_for(admin, stream["id"], eid)
    assert done["currentState"] == "ABORTED"
    pages_then = len(server.seen("/pages"))
    time.sleep(0.3)
    assert len(server.seen("/pages")) <= pages_then + 1  # the read stopped
    assert time.monotonic() - asked < 1.5
    assert rows(admin, stream["dataSource"]["id"]) == 3
