"""The scheduler inside real `headwater serve` processes, on a schedule that fires every second:
runs happen, a slow run makes the ticks during it skips (never a pile-up), and two server
processes sharing one PostgreSQL database fire each tick exactly once."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server

pytestmark = pytest.mark.e2e

TOKEN = "hw_scheduler-e2e-admin"
HEADERS = {"X-DOMO-Developer-Token": TOKEN}


def source_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "source"
    folder.mkdir()
    (folder / "rows.csv").write_text("id,label\n" + "".join(f"{i},r{i}\n" for i in range(20)))
    return folder


def every_second_stream(http: httpx.Client, folder: Path) -> int:
    created = http.post(
        "/api/data/v1/streams",
        json={
            "transport": {"type": "CONNECTOR"},
            "dataProvider": {"key": "file"},
            "updateMethod": "APPEND",
            "configuration": [{"name": "path", "value": f"{folder}/*.csv"}],
            "dataSource": {"name": "Every second"},
            "schedule": {"cron": "* * * * * ?"},
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["scheduleState"] == "ACTIVE"
    return int(created.json()["id"])


def executions(http: httpx.Client, stream_id: int) -> list[dict[str, Any]]:
    return list(http.get(f"/api/data/v1/streams/{stream_id}/executions?limit=500").json())


def ticks(http: httpx.Client, stream_id: int) -> list[dict[str, Any]]:
    return list(http.get(f"/api/data/v1/streams/{stream_id}/schedule/ticks?limit=500").json())


def pause_and_settle(http: httpx.Client, stream_id: int) -> list[dict[str, Any]]:
    paused = http.put(f"/api/data/v1/streams/{stream_id}", json={"scheduleActive": False})
    assert paused.status_code == 200, paused.text
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = executions(http, stream_id)
        if all(e["currentState"] != "ACTIVE" for e in found):
            return found
        time.sleep(0.1)
    raise AssertionError("an execution stayed ACTIVE after the schedule was paused")


def test_an_every_second_schedule_runs_each_tick(
    server_factory: type[Server], tmp_path: Path
) -> None:
    folder = source_folder(tmp_path)
    server = server_factory(admin_token=TOKEN, HEADWATER_FILE_ROOTS=json.dumps([str(folder)]))
    server.start()
    with httpx.Client(base_url=server.url, headers=HEADERS, timeout=30) as http:
        stream_id = every_second_stream(http, folder)
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            done = [e for e in executions(http, stream_id) if e["currentState"] == "SUCCESS"]
            if len(done) >= 5:
                break
            time.sleep(0.2)
        runs = pause_and_settle(http, stream_id)
        recorded = ticks(http, stream_id)
    assert len([e for e in runs if e["currentState"] == "SUCCESS"]) >= 5
    assert all(e["runType"] == "AUTOMATED" for e in runs)
    started = [t for t in recorded if t["outcome"] == "STARTED"]
    assert sorted(t["executionId"] for t in started) == sorted(e["executionId"] for e in runs)
    due = sorted(t["dueAt"] for t in recorded)
    assert all(later - earlier >= 1 for earlier, later in itertools.pairwise(due))
    assert all(float(d).is_integer() for d in due)  # on the second, as the cron says


def test_a_slow_run_makes_skips_not_a_pile_up(server_factory: type[Server], tmp_path: Path) -> None:
    folder = source_folder(tmp_path)
    server = server_factory(
        admin_token=TOKEN,
        HEADWATER_FILE_ROOTS=json.dumps([str(folder)]),
        HEADWATER_FAULTS__PAUSE_AFTER_BATCH="2.5",  # every run takes at least 2.5 s
    )
    server.start()
    with httpx.Client(base_url=server.url, headers=HEADERS, timeout=30) as http:
        stream_id = every_second_stream(http, folder)
        most_active = 0
        deadline = time.monotonic() + 9
        while time.monotonic() < deadline:
            active = [e for e in executions(http, stream_id) if e["currentState"] == "ACTIVE"]
            most_active = max(most_active, len(active))
            time.sleep(0.1)
        runs = pause_and_settle(http, stream_id)
        recorded = ticks(http, stream_id)
    skipped = [t for t in recorded if t["outcome"] == "SKIPPED"]
    assert most_active == 1
    assert len(skipped) >= 3
    assert len(runs) < len(recorded)  # fewer runs than ticks: the slow ones were not queued
    by_id = {e["executionId"]: e for e in runs}
    for tick in skipped:  # each skip names the run that was still going at that moment
        blocker = by_id[tick["executionId"]]
        assert blocker["startedAt"] <= tick["claimedAt"] <= blocker["endedAt"]
        assert "still running" in tick["note"]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_servers_on_one_postgresql_fire_each_tick_once(
    server_factory: type[Server], tmp_path: Path
) -> None:
    folder = source_folder(tmp_path)
    env = {"HEADWATER_FILE_ROOTS": json.dumps([str(folder)])}
    first = server_factory(admin_token=TOKEN, **env)
    first.start()
    with httpx.Client(base_url=first.url, headers=HEADERS, timeout=30) as http:
        stream_id = every_second_stream(http, folder)
        time.sleep(2)  # the first server is firing ticks when the second one starts
        second = server_factory(admin_token=TOKEN, **env)
        second.start()
        time.sleep(8)
        runs = pause_and_settle(http, stream_id)
        recorded = ticks(http, stream_id)
    due = [t["dueAt"] for t in recorded]
    assert len(due) == len(set(due))  # no tick claimed twice
    assert len(recorded) >= 8
    started = sorted(t["executionId"] for t in recorded if t["outcome"] == "STARTED")
    assert started == sorted(e["executionId"] for e in runs)  # one run per started tick
    # The second server's start-up did not mistake the first one's live runs for a crash's.
    assert [e for e in runs if e["currentState"] != "SUCCESS"] == []
    claimers = {t["claimedBy"] for t in recorded}
    print(f"ticks claimed by {len(claimers)} server(s): {len(recorded)} ticks, {len(runs)} runs")
