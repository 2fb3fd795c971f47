"""What a check set may cost a load, through the API: large sets of accepted values still give
exact counts and samples; the size of a set is bounded when it is set; a load whose checks run
past the time limit fails saying so and commits nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from headwater.bootstrap import build_app, build_runtime
from headwater.settings import CheckSettings, Settings
from tests.api.conftest import Api
from tests.conftest import ADMIN_TOKEN

COLUMNS = [{"type": "LONG", "name": "id"}, {"type": "STRING", "name": "code"}]


def accepted(index: int, count: int) -> dict[str, Any]:
    return {
        "name": f"codes {index}",
        "type": "ACCEPTED_VALUES",
        "column": "code",
        # every check accepts "ok" and, alone, its own codes
        "values": ["ok", *(f"c{index}-{n}" for n in range(count - 1))],
    }


class Scene:
    def __init__(self, api: Api) -> None:
        self.api = api
        self.stream_id, self.dataset_id = api.new_api_stream("Codes", COLUMNS)
        self.url = f"/api/data/v3/datasources/{self.dataset_id}/checks"

    def load(self, body: bytes) -> dict[str, Any]:
        base = f"/api/data/v1/streams/{self.stream_id}/executions"
        eid = self.api.post(base, json={}).json()["executionId"]
        assert self.api.put(f"{base}/{eid}/part/0", content=body).status_code == 200
        committed = self.api.put(f"{base}/{eid}/commit")
        assert committed.status_code == 200, committed.text
        return dict(committed.json())

    def data_version(self) -> Any:
        return self.api.get(f"/api/data/v3/datasources/{self.dataset_id}").json()["dataVersion"]


def test_a_large_set_of_accepted_values_counts_and_samples_every_check(admin: Api) -> None:
    scene = Scene(admin)
    checks = [accepted(i, 100) for i in range(100)]  # 10,000 values: the most a set holds
    assert admin.put(scene.url, json={"checks": checks}).status_code == 200
    # 2,000 rows: "ok" passes every check; "c3-0" fails every check but `codes 3`.
    rows = [f"{n},{'ok' if n % 2 else 'c3-0'}\n" for n in range(2000)]
    failed = scene.load("".join(rows).encode())
    assert failed["currentState"] == "ERROR"
    results = {r["name"]: r for r in failed["checkResults"]}
    assert results["codes 3"]["status"] == "PASSED"
    for index in (0, 4, 99):
        result = results[f"codes {index}"]
        assert (result["status"], result["failingRows"]) == ("FAILED", 1000)
        assert [s["id"] for s in result["samples"]] == list(range(0, 20, 2))
    assert scene.data_version() is None


def test_the_accepted_values_of_a_check_set_are_bounded(admin: Api) -> None:
    scene = Scene(admin)
    checks = [accepted(i, 1000) for i in range(11)]  # 11,000 values
    refused = admin.put(scene.url, json={"checks": checks})
    assert refused.status_code == 400, refused.text
    assert refused.json()["field"] == "checks[10].values"
    assert "10000" in refused.json()["message"]
    assert admin.get(scene.url).json()["checks"] == []


@pytest.fixture
def limited_admin(settings: Settings) -> Iterator[Api]:
    """The app with a time limit on checks no real pass can keep."""
    limited = settings.model_copy(update={"checks": CheckSettings(time_limit_seconds=1e-6)})
    runtime = build_runtime(limited)
    runtime.services.identity.auth.ensure_admin(limited.admin_token)
    try:
        with TestClient(build_app(runtime)) as client:
            yield Api(client, ADMIN_TOKEN)
    finally:
        runtime.close()


def test_checks_past_their_time_limit_fail_the_load_and_commit_nothing(
    limited_admin: Api,
) -> None:
    scene = Scene(limited_admin)
    assert scene.load(b"1,ok\n")["currentState"] == "SUCCESS"  # no checks: no limit applies
    version = scene.data_version()
    checks = [accepted(i, 500) for i in range(10)]
    assert limited_admin.put(scene.url, json={"checks": checks}).status_code == 200
    failed = scene.load("".join(f"{n},c1-{n % 400}\n" for n in range(20_000)).encode())
    assert failed["currentState"] == "ERROR"
    message = failed["errors"][-1]["message"]
    assert "time limit" in message
    assert "HEADWATER_CHECKS__TIME_LIMIT_SECONDS" in message
    assert "nothing was committed" in message
    assert scene.data_version() == version
