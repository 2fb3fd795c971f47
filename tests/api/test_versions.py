"""Versions of a dataset through the API: the list, time travel (`dataVersion`), restore, the
retention horizon (410), and the provider a dataset reports (Domo's four fields)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from headwater.adapters.datasets.delta_store import DeltaDatasetStore
from headwater.settings import Settings
from tests.api.conftest import Api
from tests.api.test_connector_streams import file_stream, run
from tests.api.test_pipelines import Feldera
from tests.api.test_uploads import Upload

ROWS_SQL = "SELECT sku, qty FROM table ORDER BY sku"


@dataclass
class History:
    """Three loads by one editor: REPLACE, APPEND, UPSERT (versions 0, 1, 2)."""

    upload: Upload
    editor_id: int
    executions: list[int]
    rows: list[list[tuple[str, int]]]  # the data as it was after each load

    @property
    def dataset_id(self) -> str:
        return self.upload.dataset_id

    def versions(self, api: Api, **params: Any) -> list[dict[str, Any]]:
        listed = api.get(f"/api/data/v3/datasources/{self.dataset_id}/versions", params=params)
        assert listed.status_code == 200, listed.text
        return list(listed.json())

    def restore(self, api: Api, version: int) -> Any:
        return api.post(f"/api/data/v3/datasources/{self.dataset_id}/versions/{version}/restore")


def rows_of(api: Api, dataset_id: str, version: int | None = None) -> Any:
    body: dict[str, Any] = {"sql": ROWS_SQL}
    if version is not None:
        body["dataVersion"] = version
    answer = api.post(f"/api/query/v1/execute/{dataset_id}", json=body)
    assert answer.status_code == 200, answer.text
    return [(r["sku"], r["qty"]) for r in answer.json()]


def load(upload: Upload, data: bytes, method: str) -> int:
    execution = upload.start(updateMethod=method)
    assert upload.part(execution, 0, data).status_code == 200
    committed = upload.commit(execution)
    assert committed.json()["currentState"] == "SUCCESS", committed.text
    return execution


@pytest.fixture
def history(admin: Api) -> History:
    editor_id, token = admin.new_user("Eda Editor", role=3)
    editor = admin.as_(token)
    upload = Upload(editor, method="UPSERT", keys=["sku"])
    executions, rows = [], []
    for data, method in (
        (b"a,1,\nb,2,\n", "REPLACE"),
        (b"c,3,\n", "APPEND"),
        (b"b,20,\nd,4,\n", "UPSERT"),
    ):
        executions.append(load(upload, data, method))
        rows.append(rows_of(editor, upload.dataset_id))
    return History(upload, editor_id, executions, rows)


def viewer(admin: Api, dataset_id: str, name: str) -> tuple[int, Api]:
    user_id, token = admin.new_user(name, role=4)
    shared = admin.post(
        f"/api/data/v3/datasources/{dataset_id}/share",
        json={"permissions": [{"type": "USER", "id": user_id, "accessLevel": "CAN_VIEW"}]},
    )
    assert shared.status_code == 200, shared.text
    return user_id, admin.as_(token)


# -- the list -------------------------------------------------------------------------------
def test_the_list_tells_each_load_newest_first(admin: Api, history: History) -> None:
    listed = history.versions(admin)
    assert [v["version"] for v in listed] == [2, 1, 0]
    assert [v["operation"] for v in listed] == ["UPSERT", "APPEND", "REPLACE"]
    # The upsert updated b and inserted d: an update counts as a row removed and one added.
    assert [(v["rowsAdded"], v["rowsRemoved"], v["rowCount"]) for v in listed] == [
        (2, 1, 4),
        (1, 0, 3),
        (2, 0, 2),
    ]
    assert [v["executionId"] for v in listed] == history.executions[::-1]
    assert {v["streamId"] for v in listed} == {history.upload.stream_id}
    assert {(v["user"]["id"], v["user"]["name"]) for v in listed} == {
        (history.editor_id, "Eda Editor")
    }
    assert [v["current"] for v in listed] == [True, False, False]
    assert not any(v["expired"] for v in listed)
    assert all(v["time"].endswith("Z") for v in listed)
    assert listed[0]["time"] >= listed[1]["time"] >= listed[2]["time"]


def test_the_list_pages_with_limit_and_offset(admin: Api, history: History) -> None:
    assert [v["version"] for v in history.versions(admin, limit=2)] == [2, 1]
    assert [v["version"] for v in history.versions(admin, limit=2, offset=2)] == [0]
    assert history.versions(admin, offset=3) == []


def test_a_one_row_append_names_its_user(admin: Api) -> None:
    dataset_id = admin.new_dataset()
    editor_id, token = admin.new_user("Row Writer", role=3)
    admin.post(
        f"/api/data/v3/datasources/{dataset_id}/share",
        json={"permissions": [{"type": "USER", "id": editor_id, "accessLevel": "CAN_EDIT"}]},
    )
    appended = admin.as_(token).post(
        f"/api/data/v3/datasources/{dataset_id}/uploads", json={"values": "north,1"}
    )
    assert appended.status_code == 200, appended.text
    (only,) = admin.get(f"/api/data/v3/datasources/{dataset_id}/versions").json()
    assert (only["operation"], only["rowsAdded"], only["executionId"]) == ("APPEND", 1, None)
    assert only["user"] == {"id": editor_id, "name": "Row Writer"}


def test_a_dataset_without_data_has_no_versions(admin: Api) -> None:
    dataset_id = admin.new_dataset()
    listed = admin.get(f"/api/data/v3/datasources/{dataset_id}/versions")
    assert (listed.status_code, listed.json()) == (200, [])


def test_the_list_needs_view_access(admin: Api, history: History) -> None:
    _, token = admin.new_user("Stranger", role=4)
    listed = admin.as_(token).get(f"/api/data/v3/datasources/{history.dataset_id}/versions")
    assert listed.status_code == 404
    _, reader = viewer(admin, history.dataset_id, "Reader")
    assert len(history.versions(reader)) == 3


# -- time travel ----------------------------------------------------------------------------
def test_each_version_reads_as_it_was(admin: Api, history: History) -> None:
    for version, expected in enumerate(history.rows):
        assert rows_of(admin, history.dataset_id, version) == expected
    assert rows_of(admin, history.dataset_id) == history.rows[-1]
    # ... on the public API's query too
    public = admin.post(
        f"/v1/datasets/query/execute/{history.dataset_id}",
        json={"sql": ROWS_SQL, "dataVersion": 0},
    )
    assert public.status_code == 200, public.text
    assert [tuple(r) for r in public.json()["rows"]] == history.rows[0]


def test_a_version_the_dataset_never_had(admin: Api, history: History) -> None:
    url = f"/api/query/v1/execute/{history.dataset_id}"
    missing = admin.post(url, json={"sql": ROWS_SQL, "dataVersion": 3})
    assert missing.status_code == 404
    assert missing.json()["code"] == "VERSION_NOT_FOUND"
    assert "latest is 2" in missing.json()["message"]
    # A JSON integer only: not `true` (read as 1 before), not "1", not 1.0.
    for bad in (-1, "two", 2**31, True, "1", 1.0):
        for query_url in (url, f"/v1/datasets/query/execute/{history.dataset_id}"):
            refused = admin.post(query_url, json={"sql": ROWS_SQL, "dataVersion": bad})
            assert refused.status_code == 400, (bad, refused.text)
            assert refused.json()["field"] == "dataVersion"
    empty = admin.new_dataset()
    none = admin.post(f"/api/query/v1/execute/{empty}", json={"sql": ROWS_SQL, "dataVersion": 0})
    assert (none.status_code, none.json()["code"]) == (404, "VERSION_NOT_FOUND")


def test_row_policies_apply_to_old_versions(admin: Api, history: History) -> None:
    user_id, reader = viewer(admin, history.dataset_id, "Bea Viewer")
    policy = {
        "name": "only b",
        "type": "user",
        "filters": [{"column": "sku", "values": ["b"], "operator": "EQUALS", "not": False}],
        "users": [user_id],
    }
    created = admin.post(f"/v1/datasets/{history.dataset_id}/policies", json=policy)
    assert created.status_code == 201, created.text
    assert rows_of(reader, history.dataset_id, 0) == [("b", 2)]
    assert rows_of(reader, history.dataset_id, 1) == [("b", 2)]
    assert rows_of(reader, history.dataset_id, 2) == [("b", 20)]
    counted = reader.post(
        f"/api/query/v1/execute/{history.dataset_id}",
        json={"sql": "SELECT COUNT(*) AS n FROM table", "dataVersion": 1},
    )
    assert counted.json() == [{"n": 1}]
    assert rows_of(admin, history.dataset_id, 1) == history.rows[1]  # the owner sees all


def test_an_old_version_needs_view_access(admin: Api, history: History) -> None:
    _, token = admin.new_user("Nobody", role=4)
    answer = admin.as_(token).post(
        f"/api/query/v1/execute/{history.dataset_id}", json={"sql": ROWS_SQL, "dataVersion": 0}
    )
    assert answer.status_code == 404


# -- restore --------------------------------------------------------------------------------
def test_restore_makes_an_old_version_current_as_a_new_one(admin: Api, history: History) -> None:
    restored = history.restore(admin, 0)
    assert restored.status_code == 200, restored.text
    body = restored.json()
    assert (body["currentState"], body["restoredVersion"], body["dataVersion"]) == (
        "SUCCESS",
        0,
        3,
    )
    assert body["rowCount"] == 2
    assert rows_of(admin, history.dataset_id) == history.rows[0]
    assert rows_of(admin, history.dataset_id, 2) == history.rows[2]  # nothing was lost

    datasource = admin.get(f"/api/data/v3/datasources/{history.dataset_id}").json()
    assert (datasource["dataVersion"], datasource["rowCount"]) == (3, 2)
    newest = history.versions(admin)[0]
    assert (newest["version"], newest["operation"], newest["restoredFrom"]) == (3, "RESTORE", 0)
    assert (newest["rowsAdded"], newest["rowsRemoved"], newest["rowCount"]) == (2, 4, 2)
    assert newest["executionId"] == body["executionId"]
    assert newest["streamId"] == history.upload.stream_id
    assert newest["user"]["id"] == 1  # the admin restored it
    # The restore is an execution of the dataset's stream, kept in its history.
    execution = admin.get(
        f"/api/data/v1/streams/{history.upload.stream_id}/executions/{body['executionId']}"
    ).json()
    assert (execution["currentState"], execution["dataVersion"]) == ("SUCCESS", 3)

    # The next load builds on the restored data.
    load(history.upload, b"e,5,\n", "APPEND")
    assert rows_of(admin, history.dataset_id) == [*history.rows[0], ("e", 5)]


def test_restore_refusals_leave_the_dataset_as_it_was(admin: Api, history: History) -> None:
    current = history.restore(admin, 2)
    assert (current.status_code, current.json()["code"]) == (409, "VERSION_CURRENT")
    never = history.restore(admin, 7)
    assert (never.status_code, never.json()["code"]) == (404, "VERSION_NOT_FOUND")
    assert history.restore(admin, -1).status_code == 404  # no version has that number
    _, reader = viewer(admin, history.dataset_id, "Just Looking")
    assert history.restore(reader, 0).status_code == 403
    _, token = admin.new_user("Outsider", role=3)
    assert history.restore(admin.as_(token), 0).status_code == 404

    # A load in progress keeps the stream: the restore waits its turn rather than racing it.
    pending = history.upload.start(updateMethod="APPEND")
    busy = history.restore(admin, 0)
    assert (busy.status_code, busy.json()["code"]) == (409, "EXECUTION_ACTIVE")
    assert busy.json()["executionId"] == pending

    assert len(history.versions(admin)) == 3
    assert rows_of(admin, history.dataset_id) == history.rows[-1]


def test_restore_of_a_connector_stream_rewinds_its_position(admin: Api, files: Path) -> None:
    (files / "jan.csv").write_text("sku,qty\na,1\n")
    os.utime(files / "jan.csv", (1000, 1000))
    created = file_stream(
        admin,
        [{"name": "path", "value": "*.csv"}, {"name": "incremental", "value": "true"}],
        updateMethod="APPEND",
    )
    assert created.status_code == 201, created.text
    stream_id, dataset_id = created.json()["id"], created.json()["dataSource"]["id"]
    assert run(admin, stream_id)["currentState"] == "SUCCESS"  # version 0: jan
    (files / "feb.csv").write_text("sku,qty\nb,2\n")
    os.utime(files / "feb.csv", (2000, 2000))
    assert run(admin, stream_id)["rowsInserted"] == 1  # version 1: feb

    restored = admin.post(f"/api/data/v3/datasources/{dataset_id}/versions/0/restore")
    assert restored.status_code == 200, restored.text
    assert rows_of(admin, dataset_id) == [("a", 1)]
    # Rows and position went back together: the next run reads feb again, once.
    again = run(admin, stream_id)
    assert (again["currentState"], again["rowsInserted"]) == ("SUCCESS", 1), again
    assert rows_of(admin, dataset_id) == [("a", 1), ("b", 2)]
    assert run(admin, stream_id)["rowsInserted"] == 0


def test_a_pipeline_table_is_read_at_any_version_but_not_restored(admin: Api) -> None:
    v0 = Feldera(admin.client, admin.token)
    v0.create()
    assert v0("POST", "/pipelines/shop/start").status_code == 202
    for record in (
        b'{"id": 1, "item": "pen", "amount": 2}',
        b'{"id": 2, "item": "ink", "amount": 3}',
    ):
        pushed = v0(
            "POST", "/pipelines/shop/ingress/orders?format=json&update_format=raw", content=record
        )
        assert pushed.status_code == 200, pushed.text
    orders = {d["name"]: d["id"] for d in admin.get("/api/data/v3/datasources").json()}[
        "shop.orders"
    ]
    listed = admin.get(f"/api/data/v3/datasources/{orders}/versions").json()
    assert [(v["version"], v["rowCount"]) for v in listed] == [(1, 2), (0, 1)]
    first = admin.post(
        f"/api/query/v1/execute/{orders}", json={"sql": "SELECT id FROM table", "dataVersion": 0}
    )
    assert first.json() == [{"id": 1}]
    refused = admin.post(f"/api/data/v3/datasources/{orders}/versions/0/restore")
    assert (refused.status_code, refused.json()["code"]) == (409, "PIPELINE_TABLE")


# -- the retention horizon ------------------------------------------------------------------
def test_versions_past_the_vacuum_horizon_answer_410(
    admin: Api, history: History, settings: Settings
) -> None:
    # Compaction with a zero retention, as the pipelines' compaction does with
    # `HEADWATER_PIPELINES__VACUUM_RETENTION_HOURS=0`: the files of versions 0-2 leave the disk.
    removed = DeltaDatasetStore(settings.datasets_dir).compact(
        history.dataset_id, min_files=1, retention_hours=0
    )
    assert removed >= 2

    url = f"/api/query/v1/execute/{history.dataset_id}"
    for version in (0, 1, 2):
        gone = admin.post(url, json={"sql": ROWS_SQL, "dataVersion": version})
        assert gone.status_code == 410, gone.text
        assert gone.json()["code"] == "VERSION_EXPIRED"
        assert f"version {version} is past the retention horizon" in gone.json()["message"]
    executions = f"/api/data/v1/streams/{history.upload.stream_id}/executions"
    before = len(admin.get(executions).json())
    refused = history.restore(admin, 0)
    assert (refused.status_code, refused.json()["code"]) == (410, "VERSION_EXPIRED")
    assert len(admin.get(executions).json()) == before  # no execution started

    listed = history.versions(admin)
    by_version = {v["version"]: v for v in listed}
    assert [by_version[v]["expired"] for v in (0, 1, 2)] == [True, True, True]
    assert by_version[3]["operation"] == "COMPACT"
    assert (by_version[3]["rowsAdded"], by_version[3]["rowsRemoved"]) == (0, 0)
    assert {v["operation"] for v in listed if v["version"] > 3} == {"VACUUM"}
    assert not any(v["expired"] for v in listed if v["version"] >= 3)
    # The current data, and any version after the compaction, still read.
    assert rows_of(admin, history.dataset_id) == history.rows[-1]
    assert rows_of(admin, history.dataset_id, 3) == history.rows[-1]


# -- the provider a dataset reports ---------------------------------------------------------
PROVIDER_FIELDS = ("dataProviderType", "type", "displayType", "transportType")


def provider(api: Api, dataset_id: str) -> tuple[str, ...]:
    one = api.get(f"/api/data/v3/datasources/{dataset_id}").json()
    listed = {d["id"]: d for d in api.get("/api/data/v3/datasources").json()}
    assert tuple(listed[dataset_id][f] for f in PROVIDER_FIELDS) == tuple(
        one[f] for f in PROVIDER_FIELDS
    )
    return tuple(one[f] for f in PROVIDER_FIELDS)


def test_a_connector_dataset_reports_its_provider(admin: Api, files: Path) -> None:
    created = file_stream(admin, [{"name": "path", "value": "*.csv"}])
    assert created.status_code == 201, created.text
    dataset_id = created.json()["dataSource"]["id"]
    assert provider(admin, dataset_id) == ("file", "file", "file", "CONNECTOR")
    renamed = admin.put(f"/api/data/v3/datasources/{dataset_id}", json={"name": "Renamed"})
    assert renamed.json()["dataProviderType"] == "file"


def test_upload_datasets_stay_api(admin: Api, history: History) -> None:
    assert provider(admin, history.dataset_id) == ("api", "API", "api", "API")
    bare = admin.new_dataset()
    assert provider(admin, bare) == ("api", "API", "api", "API")


@pytest.fixture
def files(settings: Settings) -> Path:
    folder = settings.data_dir / "files"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
