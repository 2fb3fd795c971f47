"""Limits at the edge (issue 15, items 5 and 6), through the real app on SQLite and PostgreSQL:
ids and counts out of the databases' range, NUL characters, text and body sizes. Each was a
500 (or a 1.3 GB request) before; each is now a 4xx naming what is wrong, and nothing stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from headwater.settings import LimitSettings, QuerySettings, Settings
from tests.api.conftest import Api
from tests.conftest import ADMIN_TOKEN

# Past PostgreSQL's INTEGER, past SQLite's 64-bit integers, and below any id.
OUT_OF_RANGE = [2**31, 2**63, 2**64 + 1, 0, -1, -(2**63) - 1]
BODY_BYTES = 64 * 1024
DATA_BYTES = 256 * 1024
SCHEMA = {"columns": [{"type": "STRING", "name": "region"}, {"type": "LONG", "name": "n"}]}


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        admin_token=ADMIN_TOKEN,
        query=QuerySettings(timeout_seconds=2, max_rows=10_000),
        limits=LimitSettings(body_bytes=BODY_BYTES, data_bytes=DATA_BYTES, description_chars=1000),
    )


def operations(api: Api) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every operation of the OpenAPI document: the list of endpoints comes from the app."""
    document = api.get("/openapi.json").json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def integer_parameters(operation: dict[str, Any], where: str) -> list[dict[str, Any]]:
    return [
        p
        for p in operation.get("parameters", [])
        if p["in"] == where
        and (p["schema"].get("type") == "integer" or "integer" in str(p["schema"].get("anyOf")))
    ]


def fill(path: str, values: dict[str, object]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), "x")), path)


def scene(api: Api) -> dict[str, object]:
    """Real ids for the parameters that are not under test, so only one is out of range."""
    dataset = api.new_dataset()
    return {
        "dataset_id": dataset,
        "principal_type": "USER",
        "action": "commit",
        "key": "file",
        "name": "p",
        "table": "t",
        "connector": "c",
        "client_id": "nobody",
    }


def test_every_path_id_out_of_range_is_not_found(admin: Api) -> None:
    known = scene(admin)
    checked = []
    for method, path, operation in operations(admin):
        for target in integer_parameters(operation, "path"):
            for value in OUT_OF_RANGE:
                url = fill(path, {**known, target["name"]: value})
                body = b"a,1\n" if "part" in path else None
                response = admin.request(method, url, content=body)
                if target["name"] == "part_id":  # a number the client picks: a 400 naming it
                    assert response.status_code in (400, 404), (method, url, response.text)
                    continue
                assert response.status_code == 404, (method, url, response.text)
                # a version is not found as a version is (as for one the dataset never had)
                wanted = "VERSION_NOT_FOUND" if target["name"] == "version" else "NOT_FOUND"
                assert response.json()["code"] == wanted, (method, url, response.text)
            checked.append(f"{method} {path} {target['name']}")
    # the issue counted 16 endpoints; every id of every operation is here
    assert len(checked) >= 60, checked


def test_every_count_out_of_range_is_a_400_naming_it(admin: Api) -> None:
    known = scene(admin)
    checked = []
    for method, path, operation in operations(admin):
        for target in integer_parameters(operation, "query"):
            for value in (2**31, 2**63, -(2**63) - 1):
                response = admin.request(
                    method, fill(path, {**known, "stream_id": 1}), params={target["name"]: value}
                )
                assert response.status_code in (400, 404), (method, path, response.text)
                if response.status_code == 400:
                    assert response.json()["field"] == target["name"], response.text
            checked.append(f"{method} {path} {target['name']}")
    assert any("/v1/datasets " in c and "offset" in c for c in checked), checked
    assert len(checked) >= 20, checked


def test_ids_in_bodies_out_of_range_are_400s_naming_the_field(admin: Api) -> None:
    dataset = admin.new_dataset()
    group = admin.post("/api/content/v2/groups", json={"name": "G"}).json()["id"]
    account = admin.post(
        "/api/data/v1/accounts",
        json={"name": "a", "dataProviderType": "http", "configurations": []},
    ).json()["id"]
    stream = admin.post("/api/data/v1/streams", json={"dataSource": {"id": dataset}}).json()["id"]
    for big in (2**31, 2**63):
        cases = [
            ("POST", "/api/data/v1/accesstokens", {"name": "t", "ownerId": big}, "ownerId"),
            ("PUT", "/api/content/v2/groups/access", {"groupId": big}, "groupId"),
            (
                "PUT",
                "/api/content/v2/groups/access",
                {"groupId": group, "addMembers": [{"type": "USER", "id": big}]},
                "addMembers[0].id",
            ),
            ("POST", "/v1/datasets", {"name": "x", "owner": {"id": big}}, "owner.id"),
            ("PUT", f"/v1/datasets/{dataset}", {"owner": {"id": big}}, "owner.id"),
            ("POST", f"/v1/datasets/{dataset}/policies", {"users": [1, big]}, "users[1]"),
            ("POST", f"/v1/datasets/{dataset}/policies", {"groups": [big]}, "groups[0]"),
            (
                "POST",
                f"/api/data/v3/datasources/{dataset}/share",
                {"permissions": [{"type": "USER", "id": str(big), "accessLevel": "CAN_VIEW"}]},
                "permissions[].id",
            ),
            (
                "POST",
                f"/api/data/v1/accounts/{account}/share",
                {"permissions": [{"type": "USER", "id": big, "accessLevel": "CAN_VIEW"}]},
                "permissions[].id",
            ),
            (
                "POST",
                "/api/data/v1/streams",
                {"dataSource": {"name": "s"}, "account": {"id": big}},
                "account.id",
            ),
            ("PUT", f"/api/data/v1/streams/{stream}", {"account": {"id": big}}, "account.id"),
            (
                "POST",
                "/v1/streams",
                {"dataSet": {"name": "s"}, "account": {"id": big}},
                "account.id",
            ),
        ]
        for method, url, body, field in cases:
            response = admin.request(method, url, json=body)
            assert response.status_code == 400, (method, url, response.text)
            assert response.json()["field"] == field, response.text
    assert admin.get("/api/data/v1/accesstokens").status_code == 200  # nothing broke


def test_nul_characters_are_refused_naming_the_field(admin: Api) -> None:
    dataset = admin.new_dataset()
    stream = admin.post("/api/data/v1/streams", json={"dataSource": {"id": dataset}}).json()["id"]
    cases = [
        ("POST", "/api/data/v3/datasources", {"json": {"name": "a\x00b"}}, "name"),
        (
            "POST",
            "/api/data/v3/datasources",
            {"json": {"name": "x", "schema": {"columns": [{"type": "LONG", "name": "n\x00"}]}}},
            "schema.columns[0].name",
        ),
        (
            "POST",
            "/api/data/v3/datasources",
            {
                "json": {
                    "name": "x",
                    "schema": {"columns": [{"type": "LONG", "name": "n", "\x00": 1}]},
                }
            },
            "schema.columns[0]",
        ),
        (
            "POST",
            "/api/content/v2/groups",
            {"json": {"name": "g", "description": "\x00"}},
            "description",
        ),
        ("PUT", f"/v1/datasets/{dataset}", {"json": {"description": "d\x00"}}, "description"),
        ("GET", "/v1/datasets/a%00b", {}, "dataset_id"),
        ("GET", "/api/data/v3/datasources", {"params": {"nameLike": "a\x00"}}, "nameLike"),
        ("GET", "/v1/streams/search", {"params": {"q": "dataSource.name:\x00"}}, "q"),
        (
            "POST",
            f"/api/data/v1/streams/{stream}/executions",
            {"content": b'{"updateMethod": "APPEND\\u0000"}'},
            "updateMethod",
        ),
        (
            "POST",
            "/oauth/token",
            {
                "content": b"grant_type=client_credentials&client_id=a%00&client_secret=s",
                "headers": {"Content-Type": "application/x-www-form-urlencoded"},
            },
            "client_id",
        ),
    ]
    for method, url, kwargs, field in cases:
        response = admin.request(method, url, **kwargs)
        assert response.status_code == 400, (method, url, response.text)
        body = response.json()
        assert body["code"] == "INVALID_INPUT"
        assert body["field"] == field, body
        assert "NUL" in body["message"]
    names = [d["name"] for d in admin.get("/api/data/v3/datasources").json()]
    assert names == ["Sales"]  # nothing was stored


def test_a_lone_surrogate_is_refused_and_nothing_is_stored(admin: Api, client: Any) -> None:
    """`"\\ud800"` is valid JSON but no character: it was a 500 on six endpoints, and an
    account created with one was stored half-written and broke every account listing."""
    dataset = admin.new_dataset()
    bad = '"x\\ud800"'
    headers = {"Content-Type": "application/json"}
    cases = [
        ("/api/data/v3/datasources", f'{{"name": "d", "description": {bad}}}', "description"),
        (f"/api/query/v1/execute/{dataset}", f'{{"sql": {bad}}}', "sql"),
        (
            "/api/data/v1/accounts",
            f'{{"name": "a", "dataProviderType": "x", "configurations": {{"region": {bad}}}}}',
            "configurations.region",
        ),
        (
            f"/v1/datasets/{dataset}/policies",
            '{"name": "p", "type": "user", "users": [1], "filters": '
            f'[{{"column": "region", "values": [{bad}], "operator": "EQUALS"}}]}}',
            "filters[0].values[0]",
        ),
    ]
    for path, body, field in cases:
        response = admin.post(path, content=body.encode(), headers=headers)
        assert response.status_code == 400, (path, response.text)
        assert response.json()["field"] == field, response.text
        assert "surrogate" in response.json()["message"]
    assert admin.get("/api/data/v1/accounts").status_code == 200
    assert admin.get("/api/data/v1/accounts").json() == []
    pipeline = client.post(
        "/v0/pipelines",
        content=(
            f'{{"name": "p", "program_code": "CREATE TABLE t (n BIGINT);", "description": {bad}}}'
        ).encode(),
        headers={**headers, "Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert pipeline.status_code == 400, pipeline.text
    assert "surrogate" in pipeline.json()["message"]


def test_nul_and_sizes_on_the_feldera_paths_use_its_envelope(admin: Api) -> None:
    response = admin.post("/v0/pipelines", json={"name": "p", "program_code": "x\x00"})
    assert response.status_code == 400
    assert response.json()["error_code"] == "InvalidParam"
    assert response.json()["details"]["field"] == "program_code"
    long_name = "p" * 256
    response = admin.put(f"/v0/pipelines/{long_name}", json={"name": long_name})
    assert response.status_code == 400
    assert response.json()["details"]["field"] == "name"
    assert admin.get("/v0/pipelines").json() == []


def test_text_longer_than_its_field_is_a_400_naming_it(admin: Api) -> None:
    # 255 is the width of the columns storing names: exactly that is stored on PostgreSQL too
    widest = admin.post("/api/data/v3/datasources", json={"name": "n" * 255})
    assert widest.status_code == 201, widest.text
    dataset = widest.json()["id"]
    cases = [
        ("POST", "/api/data/v3/datasources", {"name": "n" * 256}, "name"),
        ("POST", "/v1/groups", {"name": "g" * 300}, "name"),
        ("POST", "/api/data/v1/accesstokens", {"name": "t" * 256}, "name"),
        ("PUT", f"/api/data/v3/datasources/{dataset}", {"description": "d" * 1001}, "description"),
        ("PUT", f"/api/data/v3/datasources/{dataset}", {"tags": ["ok", "t" * 256]}, "tags[1]"),
        (
            "POST",
            "/api/data/v1/streams",
            {"dataSource": {"name": "s"}, "transport": {"type": "API", "version": "9" * 33}},
            "transport.version",
        ),
        (
            "POST",
            "/api/content/v3/users",
            {"displayName": "u", "detail": {"email": "e" * 300 + "@example.com"}},
            "detail.email",
        ),
    ]
    for method, url, body, field in cases:
        response = admin.request(method, url, json=body)
        assert response.status_code == 400, (method, url, response.text)
        assert response.json()["field"] == field, response.text
        assert "characters long" in response.json()["message"]
    assert admin.get(f"/api/data/v3/datasources/{dataset}").json()["description"] == ""


def test_a_body_over_the_limit_is_a_413_before_it_is_read(admin: Api) -> None:
    padding = "x" * BODY_BYTES
    response = admin.post("/api/data/v3/datasources", json={"name": "n", "junk": padding})
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "PAYLOAD_TOO_LARGE"
    assert "HEADWATER_LIMITS__BODY_BYTES" in body["message"]

    def chunked() -> Iterator[bytes]:  # no Content-Length: cut while it arrives
        yield b'{"name": "n", "junk": "'
        for _ in range(BODY_BYTES // 1024 + 1):
            yield b"x" * 1024
        yield b'"}'

    response = admin.post(
        "/api/data/v3/datasources",
        content=chunked(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413, response.text
    response = admin.post("/v0/pipelines", json={"name": "p", "program_code": padding})
    assert response.status_code == 413
    assert response.json()["error_code"] == "PayloadTooLarge"
    assert admin.get("/api/data/v3/datasources").json() == []
    assert admin.get("/v0/pipelines").json() == []


def test_data_bodies_have_their_own_larger_limit(admin: Api) -> None:
    dataset = admin.post("/v1/datasets", json={"name": "D", "schema": SCHEMA}).json()["id"]
    rows = b"north,1\n" * (BODY_BYTES // 8 + 100)  # over the JSON limit, under the data one
    assert len(rows) > BODY_BYTES
    response = admin.put(f"/v1/datasets/{dataset}/data", content=rows)
    assert response.status_code == 204, response.text
    too_many = b"north,1\n" * (DATA_BYTES // 8 + 100)
    response = admin.put(f"/v1/datasets/{dataset}/data", content=too_many)
    assert response.status_code == 413
    assert "HEADWATER_LIMITS__DATA_BYTES" in response.json()["message"]
    assert admin.get(f"/v1/datasets/{dataset}").json()["rows"] == BODY_BYTES // 8 + 100

    stream = admin.get(f"/api/data/v3/datasources/{dataset}").json()["streamId"]
    execution = admin.post(f"/v1/streams/{stream}/executions", json={}).json()["id"]
    part = admin.put(f"/v1/streams/{stream}/executions/{execution}/part/1", content=too_many)
    assert part.status_code == 413
    listed = admin.get(f"/api/data/v1/streams/{stream}/executions/{execution}/parts")
    assert listed.json() == []


def test_malformed_json_says_where_in_words(admin: Api) -> None:
    response = admin.post(
        "/api/data/v3/datasources",
        content=b'{"name": "x",\n "schema": }',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "body"
    assert body["message"] == (
        "the body is not valid JSON: Expecting value at line 2, column 12 (character 26)"
    )
    response = admin.post(
        "/api/data/v3/datasources", json={"name": "x", "schema": {"columns": [{"name": "a"}]}}
    )
    assert response.status_code == 400
    assert response.json()["field"] == "schema.columns[0].type"
    response = admin.post(
        "/v0/pipelines", content=b'{"name": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["details"]["field"] == "body"
    assert "line 1, column 10" in response.json()["message"]
    dataset = admin.new_dataset()
    stream = admin.post("/api/data/v1/streams", json={"dataSource": {"id": dataset}}).json()["id"]
    response = admin.post(f"/api/data/v1/streams/{stream}/executions", content=b"{oops}")
    assert response.status_code == 400
    assert response.json()["field"] == "body"
    assert "line 1, column 2" in response.json()["message"]


def test_an_empty_import_is_refused_and_the_dataset_stays(admin: Api) -> None:
    dataset = admin.post("/v1/datasets", json={"name": "D", "schema": SCHEMA}).json()["id"]
    assert admin.put(f"/v1/datasets/{dataset}/data", content=b"north,1\n").status_code == 204
    for empty in (b"", b"\n"):
        response = admin.put(f"/v1/datasets/{dataset}/data", content=empty)
        assert response.status_code == 400, response.text
        assert response.json()["field"] == "body"
    assert admin.get(f"/v1/datasets/{dataset}").json()["rows"] == 1
    assert admin.get(f"/v1/datasets/{dataset}/data").text == '"north",1\n'


def test_numbers_json_has_not_are_refused(admin: Api) -> None:
    dataset = admin.new_dataset()
    stream = admin.post("/api/data/v1/streams", json={"dataSource": {"id": dataset}}).json()["id"]
    for raw in (b"1e400", b"Infinity", b"NaN", b"-Infinity"):
        response = admin.put(
            f"/api/data/v1/streams/{stream}",
            content=b'{"retryPolicy": {"delaySeconds": ' + raw + b"}}",
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 400, response.text
        assert response.json()["field"] == "retryPolicy.delaySeconds"
    assert admin.get(f"/api/data/v1/streams/{stream}?fields=all").json()["retryPolicy"] is None


def test_a_schedule_past_the_year_9999_is_refused_or_ends(admin: Api, settings: Settings) -> None:
    folder = settings.data_dir / "files"
    folder.mkdir(parents=True)
    (folder / "a.csv").write_text("a\n1\n")
    created = admin.post(
        "/api/data/v1/streams",
        json={
            "transport": {"type": "CONNECTOR"},
            "dataProvider": {"key": "file"},
            "configuration": {"path": str(folder / "a.csv")},
            "dataSource": {"name": "Orders"},
        },
    )
    assert created.status_code == 201, created.text
    stream = created.json()["id"]
    too_long = {"expression": "R/2020-01-01T00:00:00Z/P999999999Y"}
    response = admin.put(f"/api/data/v1/streams/{stream}", json={"schedule": too_long})
    assert response.status_code == 400
    assert response.json()["field"] == "schedule.expression"
    # a first fire at the very end of time: stored, and it has no next run after that
    last = {"cron": "* * * * *", "start": "9999-12-31T23:59:59Z"}
    response = admin.put(f"/api/data/v1/streams/{stream}", json={"schedule": last})
    assert response.status_code == 200, response.text
    assert response.json()["nextRunAt"] is None


def test_a_pipeline_patch_of_the_wrong_shape_is_a_400_naming_the_field(admin: Api) -> None:
    created = admin.post(
        "/v0/pipelines", json={"name": "p", "program_code": "CREATE TABLE t (x INT);"}
    )
    assert created.status_code == 201, created.text
    for body, field in (
        ({"runtime_config": "workers"}, "runtime_config"),
        ({"program_code": ["CREATE TABLE"]}, "program_code"),
        ({"tags": "one"}, "tags"),
    ):
        response = admin.request("PATCH", "/v0/pipelines/p", json=body)
        assert response.status_code == 400, response.text
        assert response.json()["details"]["field"] == field
    patched = admin.request("PATCH", "/v0/pipelines/p", json={"description": "d", "tags": ["a"]})
    assert patched.status_code == 200, patched.text
    assert patched.json()["description"] == "d"
    assert patched.json()["tags"] == ["a"]


def test_a_null_record_is_a_parse_error_not_a_crash(admin: Api) -> None:
    # pyarrow's JSON reader died of SIGSEGV on a first value of null: the whole server went
    raw = {"force": "true", "update_format": "raw"}  # the format the fast reader serves
    created = admin.post(
        "/v0/pipelines", json={"name": "p", "program_code": "CREATE TABLE t (x INT);"}
    )
    assert created.status_code == 201, created.text
    assert admin.post("/v0/pipelines/p/start").status_code == 202
    for body in (b"null", b"\n  null\n", b'null\n{"x": 1}'):
        response = admin.post("/v0/pipelines/p/ingress/t", content=body, params=raw)
        assert response.status_code == 400, response.text
        assert response.json()["error_code"] == "ParseErrors"
    landed = admin.post("/v0/pipelines/p/ingress/t", content=b'{"x": 2}', params=raw)
    assert landed.status_code == 200, landed.text  # the server is still there


def test_a_path_under_v0_the_mount_misses_still_answers_in_feldera_envelope(admin: Api) -> None:
    # Starlette's mount pattern does not match a newline in a segment: the main app answers
    response = admin.get("/v0/pipelines/a%0Ab")
    assert response.status_code == 404
    assert response.json()["error_code"] == "NotFound"


def test_names_in_a_pipeline_program_fit_their_columns(admin: Api) -> None:
    long_table = "t" * 256
    response = admin.post(
        "/v0/pipelines", json={"name": "p", "program_code": f"CREATE TABLE {long_table} (x INT);"}
    )
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "ProgramParseError"
    # each at most 255, together longer than the dataset name each table gets: still stored
    name, table = "p" * 200, "t" * 200
    response = admin.post(
        "/v0/pipelines", json={"name": name, "program_code": f"CREATE TABLE {table} (x INT);"}
    )
    assert response.status_code == 201, response.text
    datasets = admin.get("/api/data/v3/datasources").json()
    assert [len(d["name"]) for d in datasets] == [255]
