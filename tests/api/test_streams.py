"""Streams on `/api/data/v1/streams` with the seeds' own request bodies."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api

SCHEMA = {"columns": [{"type": "STRING", "name": "sku"}, {"type": "LONG", "name": "qty"}]}


def new_account(api: Api) -> int:
    response = api.post(
        "/api/data/v1/accounts",
        json={
            "name": "sftp",
            "dataProviderType": "sftp",
            "configurations": [
                {"name": "host", "value": "files.example.com"},
                {"name": "password", "value": "hunter2"},
            ],
        },
    )
    return int(response.json()["id"])


def test_seed_002_sftp_body_creates_stream_and_dataset(admin: Api) -> None:
    account_id = new_account(admin)
    response = admin.post(
        "/api/data/v1/streams",
        json={
            "transport": {"type": "SFTP"},
            "dataSource": {
                "name": "My New DataSet",
                "description": "This will bring about world peace",
            },
            "account": {"id": account_id},
        },
    )
    assert response.status_code == 201, response.text
    stream = response.json()
    assert stream["transport"]["type"] == "SFTP"
    assert stream["account"]["id"] == account_id
    assert "hunter2" not in response.text
    dataset = admin.get(f"/api/data/v3/datasources/{stream['dataSource']['id']}").json()
    assert dataset["name"] == "My New DataSet"
    assert dataset["streamId"] == stream["id"]


def test_seed_004_body_with_key_value_configuration(admin: Api) -> None:
    account_id = new_account(admin)
    response = admin.post(
        "/api/data/v1/streams",
        json={
            "transport": {"type": "exampleType", "version": "1.0"},
            "configuration": [{"key": "exampleKey", "value": "exampleValue"}],
            "account": {"id": account_id},
            "updateMethod": "APPEND",
            "dataProvider": {"key": "providerKey"},
            "dataSource": {"name": "exampleName", "description": "exampleDescription"},
            "advancedScheduleJson": "{}",
        },
    )
    assert response.status_code == 201, response.text
    stream = response.json()
    assert stream["configuration"] == [
        {"name": "exampleKey", "value": "exampleValue", "type": "string", "category": "METADATA"}
    ]
    assert stream["updateMethod"] == "APPEND"
    assert stream["dataProvider"]["key"] == "providerKey"
    assert stream["advancedScheduleJson"] == "{}"


def test_seed_002_configuration_map_and_schedule(admin: Api) -> None:
    response = admin.post(
        "/api/data/v1/streams",
        json={
            "transport": {
                "type": "CONNECTOR",
                "version": "9.1",
                "description": "com.domo.connector.facebook",
            },
            "configuration": {
                "name2": {"value": "value2", "type": "String"},
                "name1": {"value": "value1", "type": "Integer"},
            },
            "schedule": {
                "expression": "R/2015-03-01T13:00:00Z/P1Y2M10DT2H30M",
                "cron": "0 29 2 * * ? *",
                "start": "2015-03-31T16:56:57",
                "end": "2015-03-31T16:56:57",
            },
            "dataProvider": {"key": "facebook"},
            "dataSource": {"name": "Opportunities", "description": "Corporate Sales Pipeline"},
        },
    )
    assert response.status_code == 201, response.text
    stream = response.json()
    assert {(c["name"], c["value"], c["type"]) for c in stream["configuration"]} == {
        ("name2", "value2", "String"),
        ("name1", "value1", "Integer"),
    }
    assert stream["schedule"]["cron"] == "0 29 2 * * ? *"
    assert stream["transport"]["version"] == "9.1"


def test_transport_configurations_list_of_maps(admin: Api) -> None:
    response = admin.post(
        "/api/data/v1/streams",
        json={
            "transport": {"type": "CONNECTOR", "configurations": [{"name1": "value1"}]},
            "dataSource": {"name": "X"},
        },
    )
    assert response.status_code == 201
    assert response.json()["configuration"][0]["value"] == "value1"


@pytest.mark.parametrize("where", ["dataSource", "top"])
def test_schema_inside_datasource_or_as_schema_definition(admin: Api, where: str) -> None:
    body: dict = {"transport": {"type": "API"}, "dataSource": {"name": "Orders"}}  # type: ignore[type-arg]
    if where == "dataSource":
        body["dataSource"]["schema"] = SCHEMA
    else:
        body["schemaDefinition"] = SCHEMA
    stream = admin.post("/api/data/v1/streams", json=body).json()
    dataset = admin.get(f"/api/data/v3/datasources/{stream['dataSource']['id']}").json()
    assert dataset["schema"] == SCHEMA


def test_stream_on_an_existing_dataset(admin: Api) -> None:
    dataset_id = admin.new_dataset()
    response = admin.post(
        "/api/data/v1/streams",
        json={"transport": {"type": "API"}, "dataSource": {"id": dataset_id}},
    )
    assert response.status_code == 201
    assert (
        admin.get(f"/api/data/v3/datasources/{dataset_id}").json()["streamId"]
        == response.json()["id"]
    )
    again = admin.post(
        "/api/data/v1/streams",
        json={"transport": {"type": "API"}, "dataSource": {"id": dataset_id}},
    )
    assert again.status_code == 409


def test_create_validates(admin: Api) -> None:
    no_source = admin.post("/api/data/v1/streams", json={"transport": {"type": "API"}})
    assert no_source.status_code == 400
    assert no_source.json()["field"] == "dataSource"
    bad_method = admin.post(
        "/api/data/v1/streams", json={"dataSource": {"name": "x"}, "updateMethod": "MERGE"}
    )
    assert bad_method.status_code == 400
    assert bad_method.json()["field"] == "updateMethod"
    upsert_without_keys = admin.post(
        "/api/data/v1/streams",
        json={"dataSource": {"name": "x", "schema": SCHEMA}, "updateMethod": "UPSERT"},
    )
    assert upsert_without_keys.status_code == 400
    assert upsert_without_keys.json()["field"] == "keyColumnNames"
    unknown_account = admin.post(
        "/api/data/v1/streams", json={"dataSource": {"name": "x"}, "account": {"id": 999}}
    )
    assert unknown_account.status_code == 400
    for schedule, field in (
        ({"cron": 5}, "schedule.cron"),
        ({"start": "yesterday"}, "schedule.start"),
        ({"cron": "0 0 * * *", "timezone": "Mars/Olympus"}, "schedule.timezone"),
        ({"cron": "0 99 2 * * ?"}, "schedule.cron"),
        ({"expression": "R/2015-03-01T13:00:00Z/P1Q"}, "schedule.expression"),
        ("daily", "schedule"),
    ):
        bad_schedule = admin.post(
            "/api/data/v1/streams", json={"dataSource": {"name": "x"}, "schedule": schedule}
        )
        assert bad_schedule.status_code == 400, schedule
        assert bad_schedule.json()["field"] == field
    bad_schedule_json = admin.post(
        "/api/data/v1/streams",
        json={"dataSource": {"name": "x"}, "advancedScheduleJson": "{not json"},
    )
    assert bad_schedule_json.status_code == 400


def test_get_fields_default_all_and_custom(admin: Api) -> None:
    stream = admin.post("/api/data/v1/streams", json={"dataSource": {"name": "Sales"}}).json()
    default = admin.get(f"/api/data/v1/streams/{stream['id']}").json()
    assert set(default) == {
        "id",
        "userId",
        "name",
        "displayName",
        "type",
        "dataProviderType",
        "valid",
    }
    assert default["name"] == "Sales"
    everything = admin.get(f"/api/data/v1/streams/{stream['id']}?fields=all").json()
    assert {"transport", "dataSource", "configuration", "updateMethod", "schedule"} <= set(
        everything
    )
    custom = admin.get(f"/api/data/v1/streams/{stream['id']}?fields=id,updateMethod").json()
    assert custom == {"id": stream["id"], "updateMethod": "REPLACE"}


def test_list_pages(admin: Api) -> None:
    ids = [
        admin.post("/api/data/v1/streams", json={"dataSource": {"name": f"S{i}"}}).json()["id"]
        for i in range(3)
    ]
    assert [s["id"] for s in admin.get("/api/data/v1/streams?limit=2&offset=0").json()] == ids[:2]
    assert [s["id"] for s in admin.get("/api/data/v1/streams/?limit=2&offset=2").json()] == ids[2:]
    assert admin.get("/api/data/v1/streams?limit=2&offset=5").json() == []
    assert [s["id"] for s in admin.get("/api/data/v1/streams?offet=1&limit=1").json()] == ids[1:2]


def test_put_changes_only_the_allowed_fields(admin: Api) -> None:
    account_id = new_account(admin)
    stream = admin.post("/api/data/v1/streams", json={"dataSource": {"name": "A"}}).json()
    response = admin.put(
        f"/api/data/v1/streams/{stream['id']}",
        json={
            "dataSource": {"name": "B", "description": "renamed"},
            "account": {"id": account_id},
            "streamConfiguration": [{"name": "path", "value": "/data/b.csv"}],
            "schemaDefinition": SCHEMA,
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["dataSource"]["name"] == "B"
    assert body["account"]["id"] == account_id
    assert body["configuration"][0]["value"] == "/data/b.csv"
    assert body["schemaDefinition"] == SCHEMA
    refused = admin.put(
        f"/api/data/v1/streams/{stream['id']}",
        json={"transport": {"type": "SFTP"}, "updateMethod": "APPEND"},
    )
    assert refused.status_code == 400
    message = refused.json()["message"]
    assert "transport" in message
    assert "updateMethod" in message
    assert "schemaDefinition" in message  # it says what is allowed


def test_delete_stream_keeps_the_dataset(admin: Api) -> None:
    stream = admin.post("/api/data/v1/streams", json={"dataSource": {"name": "A"}}).json()
    assert admin.delete(f"/api/data/v1/streams/{stream['id']}").status_code == 204
    assert admin.get(f"/api/data/v1/streams/{stream['id']}").status_code == 404
    dataset = admin.get(f"/api/data/v3/datasources/{stream['dataSource']['id']}").json()
    assert dataset["streamId"] is None


def test_search_in_each_of_the_five_forms(admin: Api) -> None:
    _, ann = admin.new_user("Ann")
    account_id = new_account(admin)
    sftp = admin.post(
        "/api/data/v1/streams",
        json={
            "transport": {"type": "SFTP"},
            "account": {"id": account_id},
            "dataSource": {"name": "Sales EMEA"},
        },
    ).json()
    api = admin.post("/api/data/v1/streams", json={"dataSource": {"name": "Sales US"}}).json()
    anns = (
        admin.as_(ann).post("/api/data/v1/streams", json={"dataSource": {"name": "Ann's"}}).json()
    )
    ann_id = admin.as_(ann).get("/api/content/v2/users/me").json()["id"]

    def ids(q: str) -> list[int]:
        response = admin.get("/api/data/v1/streams/search", params={"q": q})
        assert response.status_code == 200, response.text
        return [s["id"] for s in response.json()]

    assert ids("account.configurations.value:files.example.com") == [sftp["id"]]
    assert ids("account.configurations.value:hunter2") == []  # secrets are not searchable
    assert ids(f"dataSource.id:{api['dataSource']['id']}") == [api["id"]]
    assert ids("dataSource.name:Sales*") == [sftp["id"], api["id"]]
    assert ids("dataSource.name:sales us") == [api["id"]]
    assert ids(f"dataSource.owner.id:{ann_id}") == [anns["id"]]
    assert ids("transport.type:SFTP") == [sftp["id"]]
    assert admin.get("/api/data/v1/streams/search", params={"q": "color:red"}).status_code == 400
    # Ann sees only her own.
    mine = admin.as_(ann).get("/api/data/v1/streams/search", params={"q": "dataSource.name:*"})
    assert [s["id"] for s in mine.json()] == [anns["id"]]


def test_streams_follow_their_dataset_permissions(admin: Api) -> None:
    bob_id, bob = admin.new_user("Bob")
    stream = admin.post("/api/data/v1/streams", json={"dataSource": {"name": "A"}}).json()
    assert admin.as_(bob).get(f"/api/data/v1/streams/{stream['id']}").status_code == 404
    admin.post(
        f"/api/data/v3/datasources/{stream['dataSource']['id']}/share",
        json={"permissions": [{"type": "USER", "id": bob_id, "accessLevel": "CAN_VIEW"}]},
    )
    assert admin.as_(bob).get(f"/api/data/v1/streams/{stream['id']}").status_code == 200
    assert admin.as_(bob).post(f"/api/data/v1/streams/{stream['id']}/executions").status_code == 403
