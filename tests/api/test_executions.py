"""Executions: every body form, the full seed 000 object, states through one gate, history."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api

SEED_000_FIELDS = {
    "streamId",
    "executionId",
    "toe",
    "startedAt",
    "endedAt",
    "updateMethod",
    "index",
    "retryCount",
    "retryExecution",
    "containerManagerId",
    "uploadId",
    "indexRequestKey",
    "currentState",
    "runType",
    "createdAt",
    "modifiedAt",
    "latestPhase",
    "currentPhase",
    "removed",
    "rowsInserted",
    "bytesInserted",
    "startedBy",
    "cancelledBy",
    "dataTag",
    "peakMemoryUsedBytes",
    "peakMemoryCommittedBytes",
    "exportable",
    "manualIndex",
    "errors",
}


def upload_stream(api: Api, method: str = "REPLACE") -> int:
    response = api.post(
        "/api/data/v1/streams",
        json={
            "transport": {"type": "API"},
            "updateMethod": method,
            "dataSource": {
                "name": "Uploads",
                "schema": {
                    "columns": [{"type": "STRING", "name": "sku"}, {"type": "LONG", "name": "qty"}]
                },
            },
        },
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@pytest.mark.parametrize(
    "body",
    [
        {"runType": "MANUAL"},
        {"action": "Manual"},
        {"updateMethod": "APPEND"},
        {"updateMethod": None},
        {},
        None,
    ],
    ids=["runType", "action", "updateMethod", "updateMethod-null", "empty-object", "no-body"],
)
def test_every_body_form_answers_201_with_the_full_object(admin: Api, body: object) -> None:
    stream_id = upload_stream(admin)
    if body is None:
        response = admin.post(
            f"/api/data/v1/streams/{stream_id}/executions",
            headers={"Content-Type": "application/json"},
        )
    else:
        response = admin.post(f"/api/data/v1/streams/{stream_id}/executions", json=body)
    assert response.status_code == 201, response.text
    execution = response.json()
    assert set(execution) >= SEED_000_FIELDS
    assert execution["streamId"] == stream_id
    assert execution["currentState"] == "ACTIVE"
    assert execution["endedAt"] is None
    assert isinstance(execution["startedAt"], float)
    assert execution["errors"] == []
    assert execution["rowsInserted"] == 0
    expected = "APPEND" if body == {"updateMethod": "APPEND"} else "REPLACE"
    assert execution["updateMethod"] == expected
    me = admin.get("/api/content/v2/users/me").json()
    assert execution["startedBy"] == str(me["id"])


def test_get_list_newest_first_and_unknown(admin: Api) -> None:
    stream_id = upload_stream(admin)
    first = admin.post(f"/api/data/v1/streams/{stream_id}/executions", json={}).json()
    second = admin.post(f"/api/data/v1/streams/{stream_id}/executions", json={}).json()
    listed = admin.get(f"/api/data/v1/streams/{stream_id}/executions").json()
    assert [e["executionId"] for e in listed] == [second["executionId"], first["executionId"]]
    assert (
        admin.get(f"/api/data/v1/streams/{stream_id}/executions?limit=1&offset=1").json()[0][
            "executionId"
        ]
        == first["executionId"]
    )
    got = admin.get(f"/api/data/v1/streams/{stream_id}/executions/{first['executionId']}")
    assert got.status_code == 200
    assert admin.get(f"/api/data/v1/streams/{stream_id}/executions/99999").status_code == 404


def test_a_new_upload_execution_aborts_the_unfinished_one(admin: Api) -> None:
    stream_id = upload_stream(admin)
    old = admin.post(f"/api/data/v1/streams/{stream_id}/executions", json={}).json()
    admin.put(
        f"/api/data/v1/streams/{stream_id}/executions/{old['executionId']}/part/1",
        content=b"a,1\n",
        headers={"Content-Type": "text/csv"},
    )
    admin.post(f"/api/data/v1/streams/{stream_id}/executions", json={})
    old_now = admin.get(f"/api/data/v1/streams/{stream_id}/executions/{old['executionId']}").json()
    assert old_now["currentState"] == "ABORTED"
    assert old_now["endedAt"] is not None
    commit = admin.put(f"/api/data/v1/streams/{stream_id}/executions/{old['executionId']}/commit")
    assert commit.status_code == 409


def test_put_changes_the_update_method_or_aborts(admin: Api) -> None:
    stream_id = upload_stream(admin)
    execution = admin.post(f"/api/data/v1/streams/{stream_id}/executions", json={}).json()
    url = f"/api/data/v1/streams/{stream_id}/executions/{execution['executionId']}"
    changed = admin.put(url, json={"updateMethod": "APPEND"})
    assert changed.status_code == 200
    assert changed.json()["updateMethod"] == "APPEND"
    assert admin.put(url, json={"updateMethod": "SIDEWAYS"}).status_code == 400
    aborted = admin.put(url, json={"action": "ABORT"})
    assert aborted.json()["currentState"] == "ABORTED"
    me = admin.get("/api/content/v2/users/me").json()
    assert aborted.json()["cancelledBy"] == str(me["id"])
    assert admin.put(url, json={"updateMethod": "REPLACE"}).status_code == 409
    assert admin.put(url, json={"action": "ABORT"}).status_code == 409


def test_abort_current_and_the_abort_action(admin: Api) -> None:
    stream_id = upload_stream(admin)
    first = admin.post(f"/api/data/v1/streams/{stream_id}/executions", json={}).json()
    current = admin.put(f"/api/data/v1/streams/{stream_id}/executions/abort")
    assert current.status_code == 200
    assert current.json()["executionId"] == first["executionId"]
    assert admin.put(f"/api/data/v1/streams/{stream_id}/executions/abort").status_code == 404
    second = admin.post(f"/api/data/v1/streams/{stream_id}/executions", json={}).json()
    aborted = admin.put(f"/api/data/v1/streams/{stream_id}/data/{second['executionId']}/abort")
    assert aborted.json()["currentState"] == "ABORTED"


def test_delete_removes_unfinished_and_refuses_finished(admin: Api) -> None:
    stream_id = upload_stream(admin)
    execution = admin.post(f"/api/data/v1/streams/{stream_id}/executions", json={}).json()
    url = f"/api/data/v1/streams/{stream_id}/executions/{execution['executionId']}"
    assert admin.delete(url).status_code == 204
    assert admin.get(url).status_code == 404
    done = admin.post(f"/api/data/v1/streams/{stream_id}/executions", json={}).json()
    done_url = f"/api/data/v1/streams/{stream_id}/executions/{done['executionId']}"
    admin.put(f"{done_url}/part/0", content=b"a,1\n")
    assert admin.put(f"{done_url}/commit").json()["currentState"] == "SUCCESS"
    refused = admin.delete(done_url)
    assert refused.status_code == 409
    assert refused.json()["code"] == "EXECUTION_FINISHED"


def test_history_aggregate_has_one_entry_per_execution(admin: Api) -> None:
    stream_id = upload_stream(admin)
    ok = admin.post(f"/api/data/v1/streams/{stream_id}/executions", json={}).json()
    admin.put(
        f"/api/data/v1/streams/{stream_id}/executions/{ok['executionId']}/part/1",
        content=b"a,1\nb,2\n",
    )
    admin.put(f"/api/data/v1/streams/{stream_id}/executions/{ok['executionId']}/commit")
    aborted = admin.post(f"/api/data/v1/streams/{stream_id}/executions", json={}).json()
    admin.put(f"/api/data/v1/streams/{stream_id}/executions/{aborted['executionId']}/abort")
    history = admin.get(f"/api/data/v1/streams/{stream_id}/history/aggregate").json()
    assert [(h["executionId"], h["state"]) for h in history] == [
        (aborted["executionId"], "ABORTED"),
        (ok["executionId"], "SUCCESS"),
    ]
    success = history[1]
    assert success["rowsInserted"] == 2
    assert success["bytesInserted"] == len(b"a,1\nb,2\n")
    assert success["duration"] >= 0
    assert success["error"] is None
    assert {"startedAt", "endedAt", "duration", "rowsInserted", "bytesInserted", "error"} <= set(
        success
    )
