"""The Feldera dialect (`/v0`) in process: definitions, lifecycle, errors, ingress, queries and
permissions, on SQLite and PostgreSQL. (The supervisor is not started here: `tests/e2e` runs
connectors in a real server.)"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Mount

from tests.api.conftest import Api
from tests.api.test_authorization_matrix import api_routes
from tests.conftest import ADMIN_TOKEN

PROGRAM = """
CREATE TABLE orders (id BIGINT NOT NULL PRIMARY KEY, item VARCHAR, amount DOUBLE);
CREATE TABLE notes (body VARCHAR);
CREATE VIEW big AS SELECT id FROM orders WHERE amount > 10;
"""


class Feldera:
    """Requests as the feldera client sends them: `Authorization: Bearer <token>`."""

    def __init__(self, client: TestClient, token: str | None) -> None:
        self.client = client
        self.token = token

    def __call__(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        headers.update(kwargs.pop("headers", {}))
        return self.client.request(method, f"/v0{path}", headers=headers, **kwargs)

    def create(self, name: str = "shop", program: str = PROGRAM, **extra: Any) -> Any:
        response = self("POST", "/pipelines", json={"name": name, "program_code": program, **extra})
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture
def v0(client: TestClient) -> Feldera:
    return Feldera(client, ADMIN_TOKEN)


def test_every_v0_route_needs_a_token(client: TestClient) -> None:
    (mount,) = [r for r in client.app.routes if isinstance(r, Mount) and r.path == "/v0"]  # type: ignore[attr-defined]
    checked = 0
    for route in api_routes(mount.routes):  # the API docs of /v0 are public, like the main ones
        path = "/v0" + re.sub(r"\{[^}]+\}", "x", route.path)
        for method in route.methods:
            if method == "HEAD":
                continue
            response = client.request(method, path, json={})
            assert response.status_code == 401, (method, path, response.text)
            assert response.json() == {
                "message": response.json()["message"],
                "error_code": "AuthenticationFailed",
            }
            checked += 1
    assert checked >= 20


def test_config_has_a_string_edition(v0: Feldera) -> None:
    body = v0("GET", "/config").json()
    assert isinstance(body["edition"], str)
    assert isinstance(body["version"], str)


def test_create_get_list_and_the_program_info(v0: Feldera) -> None:
    created = v0.create()
    assert created["deployment_status"] == "Stopped"
    assert created["program_status"] == "Success"
    status = v0("GET", "/pipelines/shop?selector=status").json()
    assert "program_code" not in status
    assert status["storage_status"] == "Cleared"
    full = v0("GET", "/pipelines/shop?selector=all").json()
    inputs = {i["name"]: i for i in full["program_info"]["schema"]["inputs"]}
    assert [f["name"] for f in inputs["orders"]["fields"]] == ["id", "item", "amount"]
    assert inputs["orders"]["fields"][0]["columntype"]["type"] == "BIGINT"
    assert [o["name"] for o in full["program_info"]["schema"]["outputs"]] == ["big"]
    assert [p["name"] for p in v0("GET", "/pipelines?selector=status").json()] == ["shop"]


def test_a_definition_in_json(v0: Feldera) -> None:
    body = {
        "name": "json-defined",
        "tables": [
            {
                "name": "T",
                "columns": [{"name": "id", "type": "BIGINT"}, {"name": "when", "type": "DATETIME"}],
                "connectors": [
                    {
                        "name": "gen",
                        "paused": True,
                        "transport": {"name": "datagen", "config": {"plan": [{"limit": 3}]}},
                    }
                ],
            }
        ],
        "views": [{"name": "ids", "sql": "SELECT id FROM T"}],
    }
    response = v0("POST", "/pipelines", json=body)
    assert response.status_code == 201, response.text
    code = response.json()["program_code"]
    assert 'CREATE TABLE "T"' in code
    assert "datagen" in code


@pytest.mark.parametrize(
    ("program", "fragment"),
    [
        ("CREATE TABLE t (id BIGINT", "does not parse"),
        ("CREATE TABLE t (id GEOMETRY)", "unsupported column type"),
        ("DROP TABLE t", "not DROP"),
        ("CREATE TABLE t (id INT) WITH ('connectors' = 'not json')", "not valid JSON"),
        (
            "CREATE TABLE t (id INT) WITH ('connectors' = '[{\"transport\": {}}]')",
            "'transport' with a 'name'",
        ),
        (
            'CREATE TABLE t (id INT) WITH (\'connectors\' = \'[{"name": "a", "labels": ["x"],'
            ' "start_after": "y", "transport": {"name": "datagen"}}, {"name": "b",'
            ' "labels": ["y"], "start_after": "x", "transport": {"name": "datagen"}}]\')',
            "cyclic 'start_after'",
        ),
    ],
)
def test_bad_programs_are_refused_with_a_reason(v0: Feldera, program: str, fragment: str) -> None:
    response = v0("POST", "/pipelines", json={"name": "bad", "program_code": program})
    assert response.status_code == 400
    assert response.json()["error_code"] == "ProgramParseError"
    assert fragment in response.json()["message"]
    assert v0("GET", "/pipelines/bad").status_code == 404


def test_names_duplicates_and_unknown_pipelines(v0: Feldera) -> None:
    bad = v0("POST", "/pipelines", json={"name": "-no", "program_code": PROGRAM})
    assert (bad.status_code, bad.json()["error_code"]) == (400, "NameDoesNotMatchPattern")
    v0.create()
    again = v0("POST", "/pipelines", json={"name": "shop", "program_code": PROGRAM})
    assert (again.status_code, again.json()["error_code"]) == (409, "DuplicateName")
    missing = v0("GET", "/pipelines/nope?selector=status")
    assert missing.status_code == 404
    assert missing.json() == {
        "message": "Unknown pipeline name 'nope'",
        "error_code": "UnknownPipelineName",
        "details": {"pipeline_name": "nope"},
    }


def test_lifecycle_statuses_and_restrictions(v0: Feldera) -> None:
    v0.create()
    paused = v0("POST", "/pipelines/shop/pause")
    assert (paused.status_code, paused.json()["error_code"]) == (400, "PauseWhileNotProvisioned")
    stats = v0("GET", "/pipelines/shop/stats")
    assert (stats.status_code, stats.json()["error_code"]) == (
        503,
        "PipelineInteractionNotDeployed",
    )
    started = v0("POST", "/pipelines/shop/start?initial=running&dismiss_error=false")
    assert started.status_code == 202
    assert started.content == b""
    # no supervisor runs in this test: nobody holds the lease yet
    body = v0("GET", "/pipelines/shop?selector=status").json()
    assert (body["deployment_status"], body["deployment_desired_status"]) == (
        "Provisioning",
        "Running",
    )
    edit = v0("PUT", "/pipelines/shop", json={"name": "shop", "program_code": PROGRAM})
    assert edit.json()["error_code"] == "UpdateRestrictedToStopped"
    delete = v0("DELETE", "/pipelines/shop")
    assert delete.json()["error_code"] == "DeleteRestrictedToFullyStopped"
    assert v0("POST", "/pipelines/shop/pause").status_code == 202
    assert v0("GET", "/pipelines/shop").json()["deployment_desired_status"] == "Paused"
    assert v0("POST", "/pipelines/shop/stop?force=true").status_code == 202
    assert v0("GET", "/pipelines/shop").json()["deployment_status"] == "Stopped"
    assert v0("POST", "/pipelines/shop/clear").status_code == 202
    assert v0("GET", "/pipelines/shop").json()["storage_status"] == "Cleared"
    replaced = v0("PUT", "/pipelines/shop", json={"name": "shop", "program_code": PROGRAM})
    assert replaced.status_code == 200
    assert v0("DELETE", "/pipelines/shop").status_code == 200
    assert v0("GET", "/pipelines/shop").status_code == 404


def test_connector_actions_and_their_errors(v0: Feldera) -> None:
    program = (
        'CREATE TABLE t (id BIGINT) WITH (\'connectors\' = \'[{"name": "gen", "transport":'
        ' {"name": "datagen", "config": {}}}]\');'
    )
    v0.create("p", program)
    not_deployed = v0("POST", "/pipelines/p/tables/t/connectors/gen/pause")
    assert (not_deployed.status_code, not_deployed.json()["error_code"]) == (
        503,
        "PipelineInteractionNotDeployed",
    )
    v0("POST", "/pipelines/p/start")
    assert v0("POST", "/pipelines/p/tables/t/connectors/gen/pause").status_code == 200
    stats = v0("GET", "/pipelines/p/tables/T/connectors/gen/stats").json()  # T is t
    assert stats["endpoint_name"] == "t.gen"
    assert stats["paused"] is True
    assert stats["config"] == {"stream": "t"}
    assert stats["barrier"] is False
    assert v0("POST", "/pipelines/p/tables/t/connectors/gen/start").status_code == 200
    assert v0("GET", "/pipelines/p/stats").json()["inputs"][0]["paused"] is False
    wrong = v0("POST", "/pipelines/p/tables/t/connectors/gen/resume")
    assert wrong.status_code == 400
    assert wrong.json() == {
        "message": "Invalid connector action 'resume'; valid actions are: 'start' or 'pause'",
        "error_code": "InvalidConnectorAction",
        "details": {"action": "resume"},
    }
    unknown = v0("POST", "/pipelines/p/tables/t/connectors/nope/pause")
    assert unknown.status_code == 404
    assert unknown.json()["error_code"] == "UnknownInputEndpoint"
    assert unknown.json()["details"] == {"endpoint_name": "t.nope"}


def test_ingress_completion_and_query(v0: Feldera) -> None:
    v0.create()
    stopped = v0("POST", "/pipelines/shop/ingress/orders?format=json", content=b'{"id": 1}')
    assert stopped.status_code == 503
    v0("POST", "/pipelines/shop/start")
    pushed = v0(
        "POST",
        "/pipelines/shop/ingress/orders?force=false&format=json&array=true&update_format=raw",
        content=b'[{"id": 1, "item": "pen", "amount": 2.5},'
        b' {"id": 2, "item": "desk", "amount": 99}]',
    )
    assert pushed.status_code == 200, pushed.text
    token = pushed.json()["token"]
    done = v0("GET", f"/pipelines/shop/completion_status?token={token}")
    assert (done.status_code, done.json()["status"]) == (200, "complete")
    v0(
        "POST",
        "/pipelines/shop/ingress/notes?format=csv",
        content=b"hello\nworld\n",
        headers={"Content-Type": "text/csv"},
    )
    answer = v0(
        "GET",
        "/pipelines/shop/query",
        params={
            "pipeline_name": "shop",
            "sql": "SELECT id, item FROM orders ORDER BY id",
            "format": "json",
        },
    )
    assert answer.status_code == 200
    assert answer.text == '{"id": 1, "item": "pen"}\n{"id": 2, "item": "desk"}\n'
    joined = v0(
        "GET",
        "/pipelines/shop/query",
        params={"sql": "SELECT (SELECT count(*) FROM notes) AS n, (SELECT min(id) FROM big) AS b"},
    )
    assert joined.text == '{"n": 2, "b": 2}\n'
    text = v0("GET", "/pipelines/shop/query", params={"sql": "SELECT 1 AS one", "format": "text"})
    assert text.headers["content-type"] == "text/plain"
    assert "| one |" in text.text


def test_ingress_parse_errors_keep_the_good_records(v0: Feldera) -> None:
    v0.create()
    v0("POST", "/pipelines/shop/start")
    body = b'{"id": 1, "item": "ok"}\n{"id": "x"}\n{broken\n{"id": 3}\n'
    response = v0(
        "POST", "/pipelines/shop/ingress/orders?format=json&update_format=raw", content=body
    )
    assert response.status_code == 400
    error = response.json()
    assert error["error_code"] == "ParseErrors"
    assert error["details"]["num_errors"] == 2
    assert [e["invalid_text"] for e in error["details"]["errors"]] == ['{"id": "x"}', "{broken"]
    ids = v0("GET", "/pipelines/shop/query", params={"sql": "SELECT id FROM orders ORDER BY id"})
    assert ids.text == '{"id": 1}\n{"id": 3}\n'


def test_insert_delete_on_a_table_without_a_key_is_a_multiset(v0: Feldera) -> None:
    v0.create("bag", "CREATE TABLE t (x BIGINT, y VARCHAR);")
    v0("POST", "/pipelines/bag/start")

    def push(body: bytes) -> None:
        url = "/pipelines/bag/ingress/t?format=json&update_format=insert_delete"
        assert v0("POST", url, content=body).status_code == 200

    push(b'{"insert": {"x": 1, "y": "a"}}\n{"insert": {"x": 1, "y": "a"}}\n{"insert": {"x": 2}}')
    push(b'{"delete": {"x": 2}}\n{"insert": {"x": 3, "y": "c"}}\n{"delete": {"x": 3, "y": "c"}}')
    rows = v0("GET", "/pipelines/bag/query", params={"sql": "SELECT x, y FROM t ORDER BY x"})
    assert rows.text == '{"x": 1, "y": "a"}\n{"x": 1, "y": "a"}\n'


def test_queries_stay_in_the_sandbox(v0: Feldera) -> None:
    v0.create()
    for sql in (
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT getenv('HOME')",
        "COPY orders TO '/tmp/leak.csv'",
        "SELECT * FROM datasets",
    ):
        response = v0("GET", "/pipelines/shop/query", params={"sql": sql})
        assert response.status_code == 400, sql
        assert response.json()["error_code"] == "AdHocQueryError"


def test_the_domo_envelope_is_unchanged_beside_v0(admin: Api) -> None:
    response = admin.get("/api/data/v3/datasources/not-there")
    assert response.status_code == 404
    assert {"status", "statusReason", "code", "message", "toe"} <= set(response.json())


def test_who_sees_and_drives_a_pipeline(admin: Api, v0: Feldera) -> None:
    created = v0.create()
    _, editor = admin.new_user("Eve Editor", role=3)
    _, viewer = admin.new_user("Vic Viewer", role=3)
    as_editor = Feldera(v0.client, editor)
    as_viewer = Feldera(v0.client, viewer)
    assert as_editor("GET", "/pipelines/shop").status_code == 404
    assert as_editor("GET", "/pipelines").json() == []
    full = v0("GET", "/pipelines/shop").json()
    del created
    datasets = admin.get("/api/data/v3/datasources?limit=50").json()
    by_name = {d["name"]: d["id"] for d in datasets}
    orders, notes = by_name["shop.orders"], by_name["shop.notes"]
    viewer_id = admin.get("/api/content/v2/users/me", headers={"X-DOMO-Developer-Token": viewer})
    editor_id = admin.get("/api/content/v2/users/me", headers={"X-DOMO-Developer-Token": editor})
    for dataset_id in (orders, notes):
        admin.post(
            f"/api/data/v3/datasources/{dataset_id}/share",
            json={
                "permissions": [
                    {"type": "USER", "id": editor_id.json()["id"], "accessLevel": "CAN_EDIT"}
                ]
            },
        )
    admin.post(
        f"/api/data/v3/datasources/{orders}/share",
        json={
            "permissions": [
                {"type": "USER", "id": viewer_id.json()["id"], "accessLevel": "CAN_VIEW"}
            ]
        },
    )
    assert as_viewer("GET", "/pipelines/shop").status_code == 200
    denied = as_viewer("POST", "/pipelines/shop/start")
    assert (denied.status_code, denied.json()["error_code"]) == (403, "InsufficientPermissions")
    # a view on orders alone is not enough to query the pipeline (it has notes too)
    query = as_viewer("GET", "/pipelines/shop/query", params={"sql": "SELECT 1 AS x"})
    assert query.status_code == 403
    assert as_editor("POST", "/pipelines/shop/start").status_code == 202
    assert as_editor("DELETE", "/pipelines/shop").json()["error_code"] in (
        "InsufficientPermissions",
        "DeleteRestrictedToFullyStopped",
    )
    assert full["name"] == "shop"


def test_a_viewer_reads_the_program_without_its_connectors_credentials(
    admin: Api, v0: Feldera
) -> None:
    connectors = [
        {
            "transport": {
                "name": "nats_input",
                "config": {
                    "connection_config": {
                        "server_url": "nats://ingest:s3cret-pw@nats.example.com:4222",
                        "auth": {"user_and_password": {"user": "ingest", "password": "s3cret-pw"}},
                        "tls": {"key_pem": "-----BEGIN PRIVATE KEY-----s3cret-key"},
                    },
                    "stream_name": "orders",
                },
            },
            "format": {"name": "json"},
            "paused": True,
        }
    ]
    program = (
        "CREATE TABLE orders (id BIGINT) WITH ('connectors' = '"
        + json.dumps(connectors).replace("'", "''")
        + "');"
    )
    v0.create("secrets", program)
    orders = next(
        d["id"]
        for d in admin.get("/api/data/v3/datasources").json()
        if d["name"] == "secrets.orders"
    )
    viewer_id, viewer_token = admin.new_user("Vic Viewer", role=4)
    admin.post(
        f"/api/data/v3/datasources/{orders}/share",
        json={"permissions": [{"type": "USER", "id": viewer_id, "accessLevel": "CAN_VIEW"}]},
    )
    seen = Feldera(v0.client, viewer_token)("GET", "/pipelines/secrets").json()
    assert "s3cret" not in json.dumps(seen)
    assert "nats://ingest:********@nats.example.com:4222" in seen["program_code"]
    assert '"stream_name": "orders"' in seen["program_code"]  # the rest is as it was
    assert v0("GET", "/pipelines/secrets").json()["program_code"] == program  # an editor's view
