"""`headwater serve` with 2 worker processes: both serve, each is a runner of its own, a
revoked token is refused at once by every worker, and the scheduler (in the parent only)
fires each tick once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.test_scheduler import every_second_stream, pause_and_settle, source_folder, ticks

pytestmark = pytest.mark.e2e

TOKEN = "hw_workers-e2e-admin"
HEADERS = {"X-DOMO-Developer-Token": TOKEN}


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def runner_pids(data_dir: Path) -> set[int]:
    with sqlite3.connect(data_dir / "headwater.db") as db:
        return {pid for (pid,) in db.execute("SELECT pid FROM runners")}


def two_workers(server_factory: type[Server], **env: str) -> Server:
    server = server_factory(admin_token=TOKEN, HEADWATER_WORKERS="2", **env)
    server.start(timeout=120)  # three processes import and wire everything on two cores
    return server


def hot_paths(http: httpx.Client) -> list[str]:
    stream = http.post(
        "/api/data/v1/streams",
        json={
            "transport": {"type": "API"},
            "dataSource": {"name": "w", "schema": {"columns": [{"type": "LONG", "name": "n"}]}},
        },
    ).json()
    execution = http.post(f"/api/data/v1/streams/{stream['id']}/executions", json={}).json()
    return [
        f"/api/data/v1/streams/{stream['id']}/executions/{execution['executionId']}",
        f"/api/data/v3/datasources/{stream['dataSource']['id']}",
    ]


def fresh_gets(url: str, paths: list[str], headers: dict[str, str], rounds: int) -> list[int]:
    """Each request on a new connection, so the workers' accepts share them out."""
    return [
        httpx.get(url + path, headers=headers, timeout=30).status_code
        for _ in range(rounds)
        for path in paths
    ]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # reads the runners file
def test_two_workers_serve_and_each_is_a_runner(server_factory: type[Server]) -> None:
    server = two_workers(server_factory)
    assert server.process is not None
    with httpx.Client(base_url=server.url, headers=HEADERS, timeout=30) as http:
        paths = hot_paths(http)
    deadline = time.monotonic() + 30
    while len(runner_pids(server.data_dir)) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    pids = runner_pids(server.data_dir)
    workers = pids - {server.process.pid}
    assert server.process.pid in pids  # the parent, which runs the background services
    assert len(workers) == 2
    assert all(parent_of(pid) == server.process.pid for pid in workers)
    assert set(fresh_gets(server.url, paths, HEADERS, 20)) == {200}

    # A worker killed outright: the other one goes on serving meanwhile.
    os.kill(sorted(workers)[0], signal.SIGKILL)
    assert set(fresh_gets(server.url, paths, HEADERS, 20)) == {200}


def test_a_revoked_token_is_refused_by_every_worker_at_once(
    server_factory: type[Server],
) -> None:
    server = two_workers(server_factory)
    with httpx.Client(base_url=server.url, headers=HEADERS, timeout=30) as http:
        paths = hot_paths(http)
        issued = http.post("/api/data/v1/accesstokens", json={"name": "soon revoked"}).json()
        theirs = {"X-DOMO-Developer-Token": issued["token"]}
        assert set(fresh_gets(server.url, paths, theirs, 10)) == {200}
        assert http.delete(f"/api/data/v1/accesstokens/{issued['id']}").status_code == 204
    refused = fresh_gets(server.url, paths, theirs, 20)
    assert set(refused) == {401}
    assert set(fresh_gets(server.url, paths, HEADERS, 5)) == {200}  # others still work


def test_two_workers_fire_each_scheduled_tick_once(
    server_factory: type[Server], tmp_path: Path
) -> None:
    folder = source_folder(tmp_path)
    server = two_workers(server_factory, HEADWATER_FILE_ROOTS=json.dumps([str(folder)]))
    with httpx.Client(base_url=server.url, headers=HEADERS, timeout=30) as http:
        stream_id = every_second_stream(http, folder)
        time.sleep(6)
        runs = pause_and_settle(http, stream_id)
        recorded = ticks(http, stream_id)
    due = [t["dueAt"] for t in recorded]
    assert len(recorded) >= 3
    assert len(due) == len(set(due))  # no tick claimed twice
    started = sorted(t["executionId"] for t in recorded if t["outcome"] == "STARTED")
    assert started == sorted(e["executionId"] for e in runs)  # one run per started tick
    assert [e for e in runs if e["currentState"] != "SUCCESS"] == []
    # One scheduler for the whole server: the parent's runner claimed every tick.
    assert len({t["claimedBy"] for t in recorded}) == 1
