"""The scheduler on the real app and metadata database (SQLite and PostgreSQL), with time moved
by hand: ticks start runs, a tick during a run is skipped and recorded, downtime gives one
catch-up, failed scheduled runs are retried with backoff, pause and resume go through PUT,
and two runtimes racing for the same ticks claim each once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from headwater.bootstrap import Runtime, build_app, build_runtime
from headwater.settings import Settings
from tests.api.conftest import Api
from tests.conftest import ADMIN_TOKEN
from tests.support.local_csv_connector import LocalCsvConnector

START = datetime(2026, 6, 1, 12, 0, 0, 500_000, tzinfo=UTC)


class HandClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self.moment

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self.moment += timedelta(seconds=seconds)
            return self.moment


@pytest.fixture
def clock() -> HandClock:
    return HandClock(START)


@pytest.fixture
def connector() -> LocalCsvConnector:
    return LocalCsvConnector()


def start_runtime(settings: Settings, clock: HandClock, connector: LocalCsvConnector) -> Runtime:
    runtime = build_runtime(settings, clock=clock)
    runtime.registry.register("localcsv", lambda: connector)
    runtime.services.identity.auth.ensure_admin(ADMIN_TOKEN)
    return runtime


@pytest.fixture
def timed(
    settings: Settings, clock: HandClock, connector: LocalCsvConnector
) -> Iterator[tuple[Runtime, Api]]:
    runtime = start_runtime(settings, clock, connector)
    with TestClient(build_app(runtime)) as client:
        yield runtime, Api(client, ADMIN_TOKEN)
    runtime.close()


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text("sku,qty\n" + "".join(f"s{i},{i}\n" for i in range(200)))
    return path


def make_stream(api: Api, source: Path, **extra: Any) -> dict[str, Any]:
    config = extra.pop("config", {})
    body = {
        "transport": {"type": "CONNECTOR"},
        "dataProvider": {"key": "localcsv"},
        "configuration": [{"name": "path", "value": str(source)}]
        + [{"name": k, "value": v} for k, v in config.items()],
        "dataSource": {"name": "Orders"},
        "updateMethod": "APPEND",
        **extra,
    }
    created = api.post("/api/data/v1/streams", json=body)
    assert created.status_code == 201, created.text
    return dict(created.json())


def executions(api: Api, stream_id: int) -> list[dict[str, Any]]:
    return list(api.get(f"/api/data/v1/streams/{stream_id}/executions?limit=100").json())


def ticks(api: Api, stream_id: int) -> list[dict[str, Any]]:
    found = api.get(f"/api/data/v1/streams/{stream_id}/schedule/ticks")
    assert found.status_code == 200, found.text
    return list(found.json())


def settle(api: Api, stream_id: int, timeout: float = 20) -> list[dict[str, Any]]:
    """Wait until no execution of the stream is ACTIVE; all of them, newest first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = executions(api, stream_id)
        if all(e["currentState"] != "ACTIVE" for e in found):
            return found
        time.sleep(0.05)
    raise AssertionError(f"stream {stream_id} still has an ACTIVE execution")


def stream(api: Api, stream_id: int) -> dict[str, Any]:
    return dict(api.get(f"/api/data/v1/streams/{stream_id}?fields=all").json())


def test_each_tick_starts_one_scheduled_run_and_get_shows_the_next(
    timed: tuple[Runtime, Api], clock: HandClock, source: Path
) -> None:
    runtime, api = timed
    created = make_stream(api, source, schedule={"cron": "0 * * * * ?"})  # every minute
    assert created["scheduleState"] == "ACTIVE"
    assert created["nextRunAt"] == "2026-06-01T12:01:00Z"

    assert runtime.services.ingest.scheduler.run_due() == []  # not due yet
    clock.advance(60)
    started = runtime.services.ingest.scheduler.run_due()
    assert len(started) == 1
    assert runtime.services.ingest.scheduler.run_due() == []  # the same tick is not claimed twice
    [run] = settle(api, created["id"])
    assert run["executionId"] == started[0]
    assert run["runType"] == "AUTOMATED"
    assert run["currentState"] == "SUCCESS"
    assert run["rowsInserted"] == 200
    assert stream(api, created["id"])["nextRunAt"] == "2026-06-01T12:02:00Z"
    [tick] = ticks(api, created["id"])
    assert (tick["outcome"], tick["executionId"], tick["catchUp"]) == ("STARTED", run["id"], False)
    assert tick["dueAt"] == datetime(2026, 6, 1, 12, 1, tzinfo=UTC).timestamp()


def test_a_tick_during_a_slow_run_is_skipped_and_recorded(
    timed: tuple[Runtime, Api], clock: HandClock, source: Path
) -> None:
    runtime, api = timed
    # 200 rows in batches of 10, 0.3 s apart: the run takes about 6 s of real time.
    created = make_stream(
        api,
        source,
        schedule={"cron": "* * * * * ?"},  # every second
        config={"batch_rows": 10, "pause_seconds": 0.3},
    )
    clock.advance(1)
    [slow] = runtime.services.ingest.scheduler.run_due()
    for _ in range(3):
        clock.advance(1)
        assert runtime.services.ingest.scheduler.run_due() == []
    recorded = ticks(api, created["id"])
    assert [t["outcome"] for t in recorded] == ["SKIPPED", "SKIPPED", "SKIPPED", "STARTED"]
    assert all(t["executionId"] == slow for t in recorded)
    assert f"execution {slow} was still running" in recorded[0]["note"]
    assert len(executions(api, created["id"])) == 1  # nothing queued behind the slow run
    api.put(f"/api/data/v1/streams/{created['id']}/executions/{slow}/abort")
    settle(api, created["id"])


def test_after_downtime_one_catch_up_run_then_the_normal_cadence(
    timed: tuple[Runtime, Api], clock: HandClock, source: Path
) -> None:
    runtime, api = timed
    created = make_stream(api, source, schedule={"cron": "0 */5 * * * ?"})  # every 5 minutes
    assert created["nextRunAt"] == "2026-06-01T12:05:00Z"
    clock.advance(3 * 3600)  # three hours without a scheduler: 36 ticks missed
    assert len(runtime.services.ingest.scheduler.run_due()) == 1
    assert runtime.services.ingest.scheduler.run_due() == []
    settle(api, created["id"])
    [tick] = ticks(api, created["id"])
    assert tick["catchUp"] is True
    assert tick["dueAt"] == datetime(2026, 6, 1, 12, 5, tzinfo=UTC).timestamp()
    assert stream(api, created["id"])["nextRunAt"] == "2026-06-01T15:05:00Z"
    clock.advance(5 * 60)
    assert len(runtime.services.ingest.scheduler.run_due()) == 1
    settle(api, created["id"])
    assert [t["catchUp"] for t in ticks(api, created["id"])] == [False, True]


def test_pause_and_resume_through_put(
    timed: tuple[Runtime, Api], clock: HandClock, source: Path
) -> None:
    runtime, api = timed
    created = make_stream(
        api, source, advancedScheduleJson='{"type":"MINUTE","interval":10,"timezone":"UTC"}'
    )
    assert created["nextRunAt"] == "2026-06-01T12:10:00Z"
    paused = api.put(f"/api/data/v1/streams/{created['id']}", json={"scheduleActive": False})
    assert paused.status_code == 200, paused.text
    assert paused.json()["scheduleState"] == "PAUSED"
    assert paused.json()["nextRunAt"] is None
    clock.advance(3600)
    assert runtime.services.ingest.scheduler.run_due() == []
    resumed = api.put(f"/api/data/v1/streams/{created['id']}", json={"scheduleActive": True})
    assert resumed.json()["scheduleState"] == "ACTIVE"
    # The hour spent paused is not caught up: the next tick is the first after now.
    assert resumed.json()["nextRunAt"] == "2026-06-01T13:10:00Z"
    retimed = api.put(
        f"/api/data/v1/streams/{created['id']}", json={"schedule": {"cron": "30 2 * * *"}}
    )
    assert retimed.json()["nextRunAt"] == "2026-06-02T02:30:00Z"
    cleared = api.put(
        f"/api/data/v1/streams/{created['id']}",
        json={"schedule": None, "advancedScheduleJson": None},
    )
    assert cleared.json()["scheduleState"] == "MANUAL"
    assert cleared.json()["nextRunAt"] is None


def test_a_failed_scheduled_run_is_retried_with_backoff_then_given_up(
    timed: tuple[Runtime, Api], clock: HandClock, source: Path, connector: LocalCsvConnector
) -> None:
    runtime, api = timed
    created = make_stream(
        api,
        source,
        schedule={"cron": "0 0 * * * ?"},  # hourly
        retryPolicy={"maxRetries": 2, "delaySeconds": 30, "maxDelaySeconds": 600},
    )
    connector.failures.extend(["terminal"] * 3)
    clock.advance(3600)
    [first] = runtime.services.ingest.scheduler.run_due()
    settle(api, created["id"])
    pending = stream(api, created["id"])["pendingRetry"]
    assert pending["executionId"] == first
    failed_at = executions(api, created["id"])[0]["endedAt"]
    assert datetime.fromisoformat(pending["at"]).timestamp() == pytest.approx(failed_at + 30)

    clock.advance(29)
    assert runtime.services.ingest.scheduler.run_due() == []  # not yet: 30 s after the failure
    clock.advance(2)
    [second] = runtime.services.ingest.scheduler.run_due()
    settle(api, created["id"])
    clock.advance(59)  # the second retry waits twice as long
    assert runtime.services.ingest.scheduler.run_due() == []
    clock.advance(2)
    [third] = runtime.services.ingest.scheduler.run_due()
    settle(api, created["id"])
    clock.advance(3000)
    assert runtime.services.ingest.scheduler.run_due() == []  # two retries were the budget
    by_id = {e["executionId"]: e for e in executions(api, created["id"])}
    assert [by_id[e]["currentState"] for e in (first, second, third)] == ["ERROR"] * 3
    assert [by_id[e]["retryExecution"] for e in (first, second, third)] == [None, first, second]
    assert [by_id[e]["retryCount"] for e in (first, second, third)] == [0, 1, 2]
    assert all(by_id[e]["runType"] == "AUTOMATED" for e in (first, second, third))
    assert stream(api, created["id"])["pendingRetry"] is None


def test_a_retry_that_succeeds_and_a_manual_failure_is_not_retried(
    timed: tuple[Runtime, Api], clock: HandClock, source: Path, connector: LocalCsvConnector
) -> None:
    runtime, api = timed
    created = make_stream(api, source, schedule={"cron": "0 0 * * * ?"})
    connector.failures.append("terminal")
    clock.advance(3600)
    runtime.services.ingest.scheduler.run_due()
    settle(api, created["id"])
    clock.advance(61)  # the default first delay is 60 s
    [retry] = runtime.services.ingest.scheduler.run_due()
    [done, failed] = settle(api, created["id"])
    assert (done["executionId"], done["currentState"]) == (retry, "SUCCESS")
    assert done["retryExecution"] == failed["executionId"]

    connector.failures.append("terminal")
    manual = api.post(f"/api/data/v1/streams/{created['id']}/executions", json={})
    settle(api, created["id"])
    assert manual.json()["runType"] == "MANUAL"
    assert stream(api, created["id"])["pendingRetry"] is None


def test_invalid_schedules_and_retry_policies_are_400s(timed: tuple[Runtime, Api]) -> None:
    _, api = timed
    upload_with_schedule = api.post(
        "/api/data/v1/streams",
        json={"dataSource": {"name": "x"}, "schedule": {"cron": "0 0 * * *"}},
    )
    assert upload_with_schedule.status_code == 400
    assert upload_with_schedule.json()["field"] == "schedule"
    assert "API stream" in upload_with_schedule.json()["message"]
    for body, field in (
        ({"advancedScheduleJson": '{"type":"DAY","at":"noon"}'}, "advancedScheduleJson.at"),
        ({"retryPolicy": {"maxRetries": -1}}, "retryPolicy.maxRetries"),
        ({"retryPolicy": {"maxRetries": 1.5}}, "retryPolicy.maxRetries"),
        ({"retryPolicy": {"tries": 3}}, "retryPolicy.tries"),
        ({"retryPolicy": "often"}, "retryPolicy"),
        ({"scheduleActive": "no"}, "scheduleActive"),
    ):
        refused = api.post(
            "/api/data/v1/streams",
            json={"transport": {"type": "CONNECTOR"}, "dataSource": {"name": "x"}, **body},
        )
        assert refused.status_code == 400, body
        assert refused.json()["field"] == field, refused.json()


def test_two_runtimes_racing_for_the_same_ticks_claim_each_once(
    settings: Settings, clock: HandClock, connector: LocalCsvConnector, source: Path
) -> None:
    first = start_runtime(settings, clock, connector)
    second = start_runtime(settings, clock, connector)
    try:
        with TestClient(build_app(first)) as client:
            api = Api(client, ADMIN_TOKEN)
            created = make_stream(api, source, schedule={"cron": "* * * * * ?"})
            claimed: list[int] = []
            for _ in range(8):
                clock.advance(1)
                gate = threading.Barrier(2)

                def race(runtime: Runtime, gate: threading.Barrier = gate) -> None:
                    gate.wait()
                    claimed.extend(runtime.services.ingest.scheduler.run_due())

                racers = [threading.Thread(target=race, args=(r,)) for r in (first, second)]
                for racer in racers:
                    racer.start()
                for racer in racers:
                    racer.join()
                settle(api, created["id"])
            recorded = ticks(api, created["id"])
            assert len(claimed) == 8
            assert len(recorded) == 8
            assert len({t["dueAt"] for t in recorded}) == 8
            assert sorted(t["executionId"] for t in recorded) == sorted(claimed)
            assert len(executions(api, created["id"])) == 8
    finally:
        second.close()
        first.close()
