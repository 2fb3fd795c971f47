"""Datasets on `/api/data/v3/datasources`: create, read, list, update, delete, append a row."""

from __future__ import annotations

import json

from tests.api.conftest import Api

COLUMNS = [
    {"type": "STRING", "name": "region"},
    {"type": "LONG", "name": "n"},
    {"type": "DOUBLE", "name": "price"},
    {"type": "DATE", "name": "day"},
    {"type": "DATETIME", "name": "at"},
    {"type": "BOOLEAN", "name": "ok"},
    {"type": "DECIMAL", "name": "amount"},
]
# What a read shows: a DECIMAL with its size (a bare DECIMAL is DECIMAL(38, 9), as it was).
SHOWN = [*COLUMNS[:-1], {"type": "DECIMAL", "name": "amount", "precision": 38, "scale": 9}]


def test_create_and_get_a_datasource(admin: Api) -> None:
    created = admin.post(
        "/api/data/v3/datasources",
        json={"name": "Sales", "description": "Q3", "schema": {"columns": COLUMNS}},
    )
    assert created.status_code == 201
    dataset_id = created.json()["id"]
    body = admin.get(f"/api/data/v3/datasources/{dataset_id}").json()
    assert body["id"] == dataset_id
    assert body["name"] == "Sales"
    assert body["description"] == "Q3"
    assert body["rowCount"] == 0
    assert body["columnCount"] == len(COLUMNS)
    assert body["schema"]["columns"] == SHOWN
    assert list(body["schema"]["columns"][0]) == ["type", "name"]  # pydomo compares JSON text
    assert body["streamId"] is None
    assert body["owner"]["name"] == "admin"
    assert isinstance(body["createdAt"], int)
    assert isinstance(body["lastUpdated"], int)
    assert body["createdAt"] > 1_600_000_000_000  # epoch milliseconds
    assert body["dataVersion"] is None
    assert json.loads(body["tags"]) == []


def test_get_accepts_parts_and_all_details(admin: Api) -> None:
    dataset_id = admin.new_dataset()
    for query in (
        "?part=core&part=permission",
        "?requestedParts=core,permission",
        "?includeAllDetails=true",
    ):
        response = admin.get(f"/api/data/v3/datasources/{dataset_id}{query}")
        assert response.status_code == 200
        assert response.json()["permissionLevel"] == "OWNER"


def test_domolibrary_v2_create_path(admin: Api) -> None:
    response = admin.post(
        "/api/data/v2/datasources",
        json={
            "userDefinedType": "api",
            "dataSourceName": "Lib",
            "schema": {"columns": [{"name": "a", "type": "STRING", "upsertKey": False}]},
        },
    )
    assert response.status_code == 201
    dataset_id = response.json()["dataSource"]["dataSourceId"]
    assert admin.get(f"/api/data/v3/datasources/{dataset_id}").json()["name"] == "Lib"


def test_create_validates_the_schema(admin: Api) -> None:
    bad_type = admin.post(
        "/api/data/v3/datasources",
        json={"name": "X", "schema": {"columns": [{"type": "INTEGER", "name": "a"}]}},
    )
    assert bad_type.status_code == 400
    assert bad_type.json()["field"] == "schema.columns[0].type"
    assert "INTEGER" in bad_type.json()["message"]
    duplicate = admin.post(
        "/api/data/v3/datasources",
        json={
            "name": "X",
            "schema": {"columns": [{"type": "LONG", "name": "a"}, {"type": "LONG", "name": "A"}]},
        },
    )
    assert duplicate.status_code == 400
    no_name = admin.post("/api/data/v3/datasources", json={"description": "x"})
    assert no_name.status_code == 400
    assert no_name.json()["field"] == "name"
    not_json = admin.post(
        "/api/data/v3/datasources",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert not_json.status_code == 400


def test_list_pages_and_filters(admin: Api) -> None:
    ids = [admin.new_dataset(f"Set {i}") for i in range(3)]
    page = admin.get("/api/data/v3/datasources?limit=2&offset=0").json()
    assert [d["id"] for d in page] == ids[:2]
    assert [d["id"] for d in admin.get("/api/data/v3/datasources?limit=2&offset=2").json()] == ids[
        2:
    ]
    assert admin.get("/api/data/v3/datasources?limit=2&offset=9").json() == []
    assert [d["id"] for d in admin.get("/api/data/v3/datasources?offet=1&limit=1").json()] == ids[
        1:2
    ]
    assert [d["name"] for d in admin.get("/api/data/v3/datasources?nameLike=set 1").json()] == [
        "Set 1"
    ]


def test_update_name_description_and_tags(admin: Api) -> None:
    dataset_id = admin.new_dataset()
    response = admin.put(
        f"/api/data/v3/datasources/{dataset_id}",
        json={"name": "Renamed", "description": "new", "tags": ["a", "b"]},
    )
    assert response.status_code == 200
    body = admin.get(f"/api/data/v3/datasources/{dataset_id}").json()
    assert (body["name"], body["description"], json.loads(body["tags"])) == (
        "Renamed",
        "new",
        ["a", "b"],
    )
    as_string = admin.put(f"/api/data/v3/datasources/{dataset_id}", json={"tags": '["c"]'})
    assert json.loads(as_string.json()["tags"]) == ["c"]
    bad = admin.put(f"/api/data/v3/datasources/{dataset_id}", json={"tags": "not json"})
    assert bad.status_code == 400


def test_append_row_commits_one_version_each(admin: Api) -> None:
    dataset_id = admin.new_dataset(columns=COLUMNS)
    row = "north,42,9.5,2024-01-02,2024-01-02 03:04:05,true,12.25"
    first = admin.post(f"/api/data/v3/datasources/{dataset_id}/uploads", json={"values": row})
    assert first.status_code == 200, first.text
    second = admin.post(
        f"/api/data/v3/datasources/{dataset_id}/uploads",
        json={"values": '"south;x"|7||||false|', "delimiter": "|"},
    )
    assert second.status_code == 200, second.text
    body = admin.get(f"/api/data/v3/datasources/{dataset_id}").json()
    assert body["rowCount"] == 2
    assert body["dataVersion"] == second.json()["dataVersion"]
    rows = admin.post(
        f"/api/query/v1/execute/{dataset_id}",
        json={"sql": "SELECT * FROM table ORDER BY n"},
    ).json()
    assert rows[0] == {
        "region": "south;x",
        "n": 7,
        "price": None,
        "day": None,
        "at": None,
        "ok": False,
        "amount": None,
    }
    assert rows[1]["region"] == "north"
    assert rows[1]["day"] == "2024-01-02"
    assert rows[1]["at"] == "2024-01-02T03:04:05"
    assert rows[1]["ok"] is True
    assert rows[1]["amount"] == 12.25


def test_a_bad_row_names_the_column_and_writes_nothing(admin: Api) -> None:
    dataset_id = admin.new_dataset()
    admin.post(f"/api/data/v3/datasources/{dataset_id}/uploads", json={"values": "north,1"})
    before = admin.get(f"/api/data/v3/datasources/{dataset_id}").json()
    wrong_type = admin.post(
        f"/api/data/v3/datasources/{dataset_id}/uploads", json={"values": "south,lots"}
    )
    assert wrong_type.status_code == 400
    assert wrong_type.json()["column"] == "n"
    assert "lots" in wrong_type.json()["message"]
    too_many = admin.post(
        f"/api/data/v3/datasources/{dataset_id}/uploads", json={"values": "a,1,2"}
    )
    assert too_many.status_code == 400
    empty = admin.post(f"/api/data/v3/datasources/{dataset_id}/uploads", json={"values": ""})
    assert empty.status_code == 400
    assert empty.json()["field"] == "values"
    after = admin.get(f"/api/data/v3/datasources/{dataset_id}").json()
    assert (after["rowCount"], after["dataVersion"]) == (before["rowCount"], before["dataVersion"])


def test_a_dataset_without_schema_takes_its_first_data(admin: Api) -> None:
    dataset_id = admin.post("/api/data/v3/datasources", json={"name": "Loose"}).json()["id"]
    assert admin.get(f"/api/data/v3/datasources/{dataset_id}").json()["columnCount"] == 0
    response = admin.post(
        f"/api/data/v3/datasources/{dataset_id}/uploads", json={"values": "x,3,2.5"}
    )
    assert response.status_code == 200, response.text
    body = admin.get(f"/api/data/v3/datasources/{dataset_id}").json()
    assert body["columnCount"] == 3
    assert [c["type"] for c in body["schema"]["columns"]] == ["STRING", "LONG", "DOUBLE"]


def test_schema_cannot_change_once_there_is_data(admin: Api) -> None:
    dataset_id = admin.new_dataset()
    new_schema = {"schema": {"columns": [{"type": "STRING", "name": "only"}]}}
    assert admin.put(f"/api/data/v3/datasources/{dataset_id}", json=new_schema).status_code == 200
    admin.post(f"/api/data/v3/datasources/{dataset_id}/uploads", json={"values": "x"})
    other = {"schema": {"columns": [{"type": "LONG", "name": "only"}]}}
    response = admin.put(f"/api/data/v3/datasources/{dataset_id}", json=other)
    assert response.status_code == 409


def test_soft_delete_hides_and_hard_delete_removes_the_files(admin: Api, settings) -> None:  # type: ignore[no-untyped-def]
    soft = admin.new_dataset("Soft")
    hard = admin.new_dataset("Hard")
    for dataset_id in (soft, hard):
        admin.post(f"/api/data/v3/datasources/{dataset_id}/uploads", json={"values": "a,1"})
    assert admin.delete(f"/api/data/v3/datasources/{soft}").status_code == 204
    assert admin.get(f"/api/data/v3/datasources/{soft}").status_code == 404
    assert (settings.datasets_dir / soft).exists()
    assert admin.delete(f"/api/data/v3/datasources/{hard}?deleteMethod=hard").status_code == 204
    assert admin.get(f"/api/data/v3/datasources/{hard}").status_code == 404
    assert not (settings.datasets_dir / hard).exists()
    assert admin.get("/api/data/v3/datasources").json() == []


def test_participants_cannot_create_datasets(admin: Api) -> None:
    _, token = admin.new_user("Pat", role=4)
    response = admin.as_(token).post("/api/data/v3/datasources", json={"name": "X"})
    assert response.status_code == 403
