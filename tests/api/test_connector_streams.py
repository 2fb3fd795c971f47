"""Connector streams through the API: the providers list, configuration checked against a
connector's spec, incremental state kept in the dataset's commits, broken plug-ins listed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from headwater.bootstrap import Runtime, build_app, build_runtime
from headwater.settings import Settings
from tests.api.conftest import Api
from tests.api.test_connector_runs import wait_for
from tests.conftest import ADMIN_TOKEN
from tests.support.broken_plugin import registry_with_a_broken_plugin

BUILT_INS = {"airbyte", "file", "http", "sftp", "sql"}


@pytest.fixture
def files(settings: Settings) -> Path:
    """The file connector's default allowed directory: `<data dir>/files`."""
    folder = settings.data_dir / "files"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def file_stream(api: Api, configuration: list[dict[str, Any]], **body: Any) -> Any:
    return api.post(
        "/api/data/v1/streams",
        json={
            "transport": {"type": "CONNECTOR"},
            "dataProvider": {"key": "file"},
            "configuration": configuration,
            "dataSource": {"name": "Orders"},
            **body,
        },
    )


def run(api: Api, stream_id: int) -> dict[str, Any]:
    started = api.post(f"/api/data/v1/streams/{stream_id}/executions", json={"runType": "MANUAL"})
    assert started.status_code == 201, started.text
    return wait_for(api, stream_id, started.json()["executionId"])


def count(api: Api, dataset_id: str, sql: str = "SELECT COUNT(*) AS n FROM table") -> Any:
    answer = api.post(f"/api/query/v1/execute/{dataset_id}", json={"sql": sql})
    assert answer.status_code == 200, answer.text
    return answer.json()[0]["n"]


def test_providers_lists_every_built_in_with_its_spec(admin: Api) -> None:
    listed = admin.get("/api/data/v1/providers")
    assert listed.status_code == 200
    by_key = {p["key"]: p for p in listed.json()}
    assert set(by_key) >= BUILT_INS
    for key in BUILT_INS:
        assert by_key[key]["status"] == "AVAILABLE", by_key[key]
        assert by_key[key]["spec"]["type"] == "object"
        assert by_key[key]["description"]
    one = admin.get("/api/data/v1/providers/file").json()
    assert "path" in one["spec"]["required"]
    assert admin.get("/api/data/v1/providers/nope").status_code == 404


def test_providers_need_a_token(anonymous: Api) -> None:
    assert anonymous.get("/api/data/v1/providers").status_code == 401


@pytest.mark.parametrize(
    ("configuration", "field"),
    [
        ([], "configuration.path"),
        (
            [{"name": "path", "value": "a.csv"}, {"name": "header", "value": "maybe"}],
            "configuration.header",
        ),
        (
            [{"name": "path", "value": "a.csv"}, {"name": "colour", "value": "red"}],
            "configuration.colour",
        ),
        (
            [{"name": "path", "value": "a.csv"}, {"name": "format", "value": "xls"}],
            "configuration.format",
        ),
    ],
)
def test_configuration_is_checked_against_the_spec(
    admin: Api, configuration: list[dict[str, Any]], field: str
) -> None:
    response = file_stream(admin, configuration)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field
    assert field.split(".")[1] in response.json()["message"]


def test_an_update_is_checked_too(admin: Api) -> None:
    created = file_stream(admin, [{"name": "path", "value": "a.csv"}])
    assert created.status_code == 201, created.text
    changed = admin.put(
        f"/api/data/v1/streams/{created.json()['id']}",
        json={
            "configuration": [{"name": "path", "value": "a.csv"}, {"name": "header", "value": "2"}]
        },
    )
    assert changed.status_code == 400
    assert changed.json()["field"] == "configuration.header"


def test_incremental_runs_append_only_new_rows(admin: Api, files: Path) -> None:
    (files / "jan.csv").write_text("id,amount\n1,10\n2,20\n")
    os.utime(files / "jan.csv", (1000, 1000))
    created = file_stream(
        admin,
        [{"name": "path", "value": "*.csv"}, {"name": "incremental", "value": "true"}],
        updateMethod="APPEND",
    )
    assert created.status_code == 201, created.text
    stream_id, dataset_id = created.json()["id"], created.json()["dataSource"]["id"]

    first = run(admin, stream_id)
    assert (first["currentState"], first["rowsInserted"]) == ("SUCCESS", 2), first

    (files / "feb.csv").write_text("id,amount\n3,30\n")
    os.utime(files / "feb.csv", (2000, 2000))
    second = run(admin, stream_id)
    assert (second["currentState"], second["rowsInserted"]) == ("SUCCESS", 1), second

    third = run(admin, stream_id)
    assert (third["currentState"], third["rowsInserted"]) == ("SUCCESS", 0), third
    assert count(admin, dataset_id) == 3
    assert count(admin, dataset_id, "SELECT COUNT(DISTINCT id) AS n FROM table") == 3


def test_a_failed_run_keeps_the_previous_state(admin: Api, files: Path) -> None:
    (files / "a.csv").write_text("id\n1\n")
    os.utime(files / "a.csv", (1000, 1000))
    created = file_stream(
        admin,
        [{"name": "path", "value": "*.csv"}, {"name": "incremental", "value": "true"}],
        updateMethod="APPEND",
    )
    stream_id, dataset_id = created.json()["id"], created.json()["dataSource"]["id"]
    assert run(admin, stream_id)["currentState"] == "SUCCESS"

    (files / "b.csv").write_text("id\n2\n")
    (files / "c.csv").write_text("id\nnot-a-number\n")  # fails the run: nothing lands
    os.utime(files / "b.csv", (2000, 2000))
    os.utime(files / "c.csv", (3000, 3000))
    failed = run(admin, stream_id)
    assert failed["currentState"] == "ERROR"
    assert "id" in failed["errors"][0]["message"]
    assert count(admin, dataset_id) == 1

    (files / "c.csv").write_text("id\n3\n")
    os.utime(files / "c.csv", (3000, 3000))
    fixed = run(admin, stream_id)
    assert (fixed["currentState"], fixed["rowsInserted"]) == ("SUCCESS", 2), fixed
    assert count(admin, dataset_id, "SELECT SUM(id) AS n FROM table") == 6


def test_a_path_outside_the_allowed_directories_fails_the_run(admin: Api) -> None:
    created = file_stream(admin, [{"name": "path", "value": "/etc/passwd"}])
    assert created.status_code == 201
    done = run(admin, created.json()["id"])
    assert done["currentState"] == "ERROR"
    assert "outside the directories" in done["errors"][0]["message"]
    assert done["retryCount"] == 0


@pytest.fixture
def broken_plugin_runtime(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Runtime]:
    """A plug-in installed the way pip would whose module does not import."""
    registry = registry_with_a_broken_plugin(settings, tmp_path, monkeypatch)
    runtime = build_runtime(settings, registry)
    runtime.services.identity.auth.ensure_admin(ADMIN_TOKEN)
    yield runtime
    runtime.close()


def test_a_broken_plugin_is_listed_and_the_rest_work(broken_plugin_runtime: Runtime) -> None:
    with TestClient(build_app(broken_plugin_runtime)) as client:
        api = Api(client, ADMIN_TOKEN)
        by_key = {p["key"]: p for p in api.get("/api/data/v1/providers").json()}
        assert by_key["broken"]["status"] == "BROKEN"
        assert "needs libfoo 2.0" in by_key["broken"]["error"]
        assert by_key["file"]["status"] == "AVAILABLE"
        refused = api.post(
            "/api/data/v1/streams",
            json={
                "transport": {"type": "CONNECTOR"},
                "dataProvider": {"key": "broken"},
                "dataSource": {"name": "x"},
            },
        )
        assert refused.status_code == 400
        assert "broken" in refused.json()["message"]
