"""`/v1/datasets` and `/v1/streams`: status codes, error bodies, the checklist's details."""

from __future__ import annotations

import gzip

import pytest

from tests.api.conftest import Api

SCHEMA = {"columns": [{"type": "STRING", "name": "region"}, {"type": "LONG", "name": "n"}]}


def create(api: Api, name: str = "Sales") -> str:
    response = api.post("/v1/datasets", json={"name": name, "schema": SCHEMA})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def put_csv(api: Api, dataset_id: str, body: bytes, method: str | None = None, **headers: str):
    params = {"updateMethod": method} if method else {}
    return api.put(
        f"/v1/datasets/{dataset_id}/data",
        content=body,
        params=params,
        headers={"Content-Type": "text/csv", **headers},
    )


def export(api: Api, dataset_id: str, header: str = "False") -> str:
    response = api.get(f"/v1/datasets/{dataset_id}/data", params={"includeHeader": header})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return str(response.text)


def test_dataset_status_codes_and_shape(admin: Api) -> None:
    dataset_id = create(admin)
    got = admin.get(f"/v1/datasets/{dataset_id}")
    assert got.status_code == 200
    body = got.json()
    # pydomo compares schemas as JSON strings: exactly {"type", "name"}, in that order
    assert list(body["schema"]["columns"][0]) == ["type", "name"]
    assert body["createdAt"].endswith("Z")
    assert {"rows", "columns", "owner", "pdpEnabled", "policies"} <= body.keys()
    updated = admin.put(f"/v1/datasets/{dataset_id}", json={"description": "d"})
    assert updated.status_code == 200
    assert updated.json()["description"] == "d"
    assert admin.delete(f"/v1/datasets/{dataset_id}").status_code == 204
    gone = admin.get(f"/v1/datasets/{dataset_id}")
    assert gone.status_code == 404
    assert gone.json()["code"] == "NOT_FOUND"
    assert gone.json()["statusReason"] == "Not Found"


def test_lists_page_to_an_empty_array(admin: Api) -> None:
    for index in range(3):
        create(admin, f"D{index}")
    assert len(admin.get("/v1/datasets", params={"limit": 2, "offset": 0}).json()) == 2
    assert len(admin.get("/v1/datasets", params={"limit": 0, "offset": 2}).json()) == 1
    assert admin.get("/v1/datasets", params={"limit": 2, "offset": 9}).json() == []
    assert len(admin.get("/v1/datasets", params={"nameLike": "", "limit": -3}).json()) == 3
    assert len(admin.get("/v1/datasets", params={"limit": 500}).json()) == 3


def test_import_replace_append_and_export(admin: Api) -> None:
    dataset_id = create(admin)
    assert put_csv(admin, dataset_id, b"north,1\nsouth,2\n").status_code == 204
    assert put_csv(admin, dataset_id, b"east,3\n", "APPEND").status_code == 204
    assert sorted(export(admin, dataset_id).splitlines()) == ['"east",3', '"north",1', '"south",2']
    assert put_csv(admin, dataset_id, gzip.compress(b"west,4\n"), "REPLACE").status_code == 204
    assert export(admin, dataset_id, "true") == '"region","n"\n"west",4\n'
    assert export(admin, dataset_id, "TRUE").startswith('"region","n"\n')


def test_import_errors_leave_the_dataset_as_it_was(admin: Api) -> None:
    dataset_id = create(admin)
    put_csv(admin, dataset_id, b"north,1\n")
    bad = put_csv(admin, dataset_id, b"south,2\nsouth,two\n")
    assert bad.status_code == 400
    assert bad.json()["code"] == "BAD_DATA"
    assert bad.json()["line"] == 2
    assert bad.json()["column"] == "n"
    unknown = put_csv(admin, dataset_id, b"x,1\n", "MERGE")
    assert unknown.status_code == 400
    assert unknown.json()["field"] == "updateMethod"
    assert put_csv(admin, dataset_id, b"x,1\n", "UPSERT").status_code == 400
    assert export(admin, dataset_id) == '"north",1\n'
    assert admin.get(f"/v1/datasets/{dataset_id}").json()["rows"] == 1
    flag = admin.get(f"/v1/datasets/{dataset_id}/data", params={"includeHeader": "maybe"})
    assert flag.status_code == 400
    # the failed import left no ACTIVE execution behind: the next one commits
    assert put_csv(admin, dataset_id, b"south,2\n", "APPEND").status_code == 204


def test_permissions_on_v1_datasets(admin: Api) -> None:
    dataset_id = create(admin)
    _, participant = admin.new_user("Pat", role=4)
    pat = admin.as_(participant)
    assert pat.post("/v1/datasets", json={"name": "x"}).status_code == 403
    assert pat.get(f"/v1/datasets/{dataset_id}").status_code == 404
    admin.post(
        f"/api/data/v3/datasources/{dataset_id}/share",
        json={"permissions": [{"type": "USER", "id": 2, "accessLevel": "CAN_VIEW"}]},
    )
    seen = pat.get(f"/v1/datasets/{dataset_id}")
    assert seen.status_code == 200
    assert "policies" not in seen.json()  # only those who manage policies see them
    assert put_csv(pat, dataset_id, b"x,1\n").status_code == 403
    assert pat.delete(f"/v1/datasets/{dataset_id}").status_code == 403


def test_schema_is_locked_once_data_arrived(admin: Api) -> None:
    dataset_id = create(admin)
    put_csv(admin, dataset_id, b"north,1\n")
    changed = admin.put(
        f"/v1/datasets/{dataset_id}",
        json={"schema": {"columns": [{"type": "STRING", "name": "other"}]}},
    )
    assert changed.status_code == 409
    assert changed.json()["code"] == "SCHEMA_LOCKED"


def test_query_shape_and_refusals(admin: Api) -> None:
    dataset_id = create(admin)
    put_csv(admin, dataset_id, b"north,1\nsouth,2\n")
    response = admin.post(
        f"/v1/datasets/query/execute/{dataset_id}",
        json={"sql": {"sql": "SELECT region, n FROM table ORDER BY n"}},  # pydomo's double wrap
    )
    assert response.status_code == 200
    body = response.json()
    assert body["rows"] == [["north", 1], ["south", 2]]
    assert body["metadata"][1]["type"] == "LONG"
    assert (body["numRows"], body["numColumns"], body["datasource"]) == (2, 2, dataset_id)
    refused = admin.post(
        f"/v1/datasets/query/execute/{dataset_id}", json={"sql": "SELECT * FROM read_csv('x')"}
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "INVALID_QUERY"


STREAM = {"dataSet": {"name": "Leads", "schema": SCHEMA}, "updateMethod": "APPEND"}


def test_stream_and_execution_status_codes(admin: Api) -> None:
    created = admin.post("/v1/streams/", json=STREAM)
    assert created.status_code == 201
    stream_id = created.json()["id"]
    assert admin.get(f"/v1/streams/{stream_id}").status_code == 200
    patched = admin.request("PATCH", f"/v1/streams/{stream_id}", json={"updateMethod": "REPLACE"})
    assert patched.status_code == 200
    assert patched.json()["updateMethod"] == "REPLACE"
    refused = admin.request("PATCH", f"/v1/streams/{stream_id}", json={"transport": {}})
    assert refused.status_code == 400
    assert refused.json()["field"] == "transport"

    base = f"/v1/streams/{stream_id}/executions"
    execution = admin.post(base, json={"updateMethod": None})
    assert execution.status_code == 201
    assert execution.json()["endedAt"] is None
    eid = execution.json()["id"]
    part = admin.put(f"{base}/{eid}/part/0", content=b"a,1\n", headers={"Content-Type": "text/csv"})
    assert part.status_code == 200
    assert admin.put(f"{base}/{eid}/commit", json={}).status_code == 200
    late = admin.put(f"{base}/{eid}/part/1", content=b"b,2\n")
    assert late.status_code == 409
    second = admin.post(base).json()["id"]
    assert admin.put(f"{base}/{second}/abort", json={}).status_code == 200
    admin.post(base)
    assert admin.put(f"{base}/abort", json={}).status_code == 204
    assert admin.put(f"{base}/abort", json={}).status_code == 404
    assert [e["currentState"] for e in admin.get(base).json()] == ["ABORTED", "ABORTED", "SUCCESS"]
    bad_q = admin.get("/v1/streams/search", params={"q": "nonsense"})
    assert bad_q.status_code == 400
    assert admin.delete(f"/v1/streams/{stream_id}").status_code == 204


@pytest.mark.parametrize(
    "body", [b"", b"{}", b'{"updateMethod": null}', b'{"updateMethod": "APPEND"}']
)
def test_execution_bodies(admin: Api, body: bytes) -> None:
    stream_id = admin.post("/v1/streams", json=STREAM).json()["id"]
    response = admin.post(
        f"/v1/streams/{stream_id}/executions",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["updateMethod"] == "APPEND"
