"""The OpenAPI document describes the success bodies (issue 17, item 7): every JSON answer an
operation documents has a model, and what the server sends matches it.

Every test of this directory checks its answers through the client (tests/api/conftest.py);
here: that the document leaves no JSON answer untyped, that the check refuses what the models
do not allow (so it can fail), and a tour through every endpoint family, so each family is
checked even when run alone.
"""

from __future__ import annotations

import copy
from typing import Any

from tests.api.conftest import Api, CheckedClient
from tests.api.test_pipelines import PROGRAM
from tests.conftest import ADMIN_TOKEN
from tests.support.openapi_responses import ResponseSchemas, untyped


def success_schemas(document: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, Any]]:
    found = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                media = response.get("content", {}).get("application/json")
                if status.startswith("2") and media is not None:
                    found[(method.upper(), path, status)] = media.get("schema", {})
    return found


def test_every_json_success_body_has_a_model(anonymous: Api) -> None:
    document = anonymous.get("/openapi.json").json()
    schemas = success_schemas(document)
    assert len(schemas) > 90
    assert not [key for key, schema in schemas.items() if untyped(schema)]
    assert "DomoExecution" in document["components"]["schemas"]
    assert "FelderaPipeline" in document["components"]["schemas"]


def test_the_documented_body_is_the_model_alone(anonymous: Api) -> None:
    """FastAPI merges a documented model into the schema of the handler's return annotation;
    `document_responses` leaves only the model."""
    paths = anonymous.get("/openapi.json").json()["paths"]
    one = paths["/api/content/v2/users/me"]["get"]["responses"]["200"]
    assert one["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/DomoUser"}
    many = paths["/v1/users"]["get"]["responses"]["200"]["content"]["application/json"]
    assert many["schema"] == {"type": "array", "items": {"$ref": "#/components/schemas/PublicUser"}}
    # an action answered by its status alone documents no body; an export, CSV
    assert "content" not in paths["/v0/pipelines/{name}/start"]["post"]["responses"]["202"]
    export = paths["/v1/datasets/{dataset_id}/data"]["get"]["responses"]["200"]["content"]
    assert set(export) == {"text/csv"}


def test_the_check_refuses_what_the_models_do_not_allow(admin: Api) -> None:
    document = admin.get("/openapi.json").json()
    schemas = ResponseSchemas(document)
    me = admin.get("/api/content/v2/users/me").json()
    path = "/api/content/v2/users/me"
    assert schemas.problems("GET", path, 200, me) == []
    assert schemas.problems("GET", path, 200, {**me, "surprise": 1})  # an undeclared field
    assert schemas.problems("GET", path, 200, {**me, "id": "1"})  # a wrong type
    assert schemas.problems("GET", path, 200, {**me, "displayName": None})  # a null
    missing = {k: v for k, v in me.items() if k != "roleId"}
    assert "roleId" in schemas.problems("GET", path, 200, missing)[0]
    assert "lists no 201" in schemas.problems("GET", path, 201, me)[0]
    # a route whose JSON answer has no model fails, whatever it answers
    bare = copy.deepcopy(document)
    bare["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {}
    assert "no schema" in ResponseSchemas(bare).problems("GET", path, 200, me)[0]
    # a path the document leaves out (an alias, the document itself) is not checked
    assert schemas.problems("GET", "/openapi.json", 200, {}) == []


def test_a_tour_of_every_endpoint_family_matches_the_document(
    client: CheckedClient, admin: Api
) -> None:
    assert client.get("/health").status_code == 200
    user_id, _ = admin.new_user("Tour Guide", role=2)
    assert admin.get("/api/data/v1/accesstokens").status_code == 200
    group = admin.post("/api/content/v2/groups", json={"name": "tourists"})
    assert group.status_code == 201
    stream_id, dataset_id = admin.new_api_stream(
        "Tour", [{"type": "STRING", "name": "s"}, {"type": "DECIMAL", "name": "d", "scale": 2}]
    )
    execution = admin.post(f"/api/data/v1/streams/{stream_id}/executions", json={})
    assert execution.status_code == 201
    base = f"/api/data/v1/streams/{stream_id}/executions/{execution.json()['id']}"
    assert admin.put(f"{base}/part/1", content=b"a,1.50\nb,\n").status_code == 200
    assert admin.put(f"{base}/commit").status_code == 200
    for url in (
        f"/api/data/v3/datasources/{dataset_id}",
        f"/api/data/v3/datasources/{dataset_id}/versions",
        f"/api/data/v3/datasources/{dataset_id}/checks",
        f"/api/data/v3/datasources/{dataset_id}/permissions",
        f"/api/data/v1/streams/{stream_id}?fields=all",
        f"/api/data/v1/streams/{stream_id}/executions",
        "/api/data/v1/providers",
    ):
        assert admin.get(url).status_code == 200, url
    rows = admin.post(f"/api/query/v1/execute/{dataset_id}", json={"sql": "SELECT * FROM table"})
    assert rows.status_code == 200
    # the public API, with an OAuth client's bearer token
    made = admin.post("/api/data/v1/clients", json={"name": "tour"})
    assert made.status_code == 201
    secret = (made.json()["clientId"], made.json()["clientSecret"])
    token = client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=secret)
    assert token.status_code == 200
    bearer = Api(client, None)
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    for url in (
        f"/v1/datasets/{dataset_id}",
        f"/v1/streams/{stream_id}",
        f"/v1/users/{user_id}",
        "/v1/groups",
    ):
        assert bearer.get(url, headers=headers).status_code == 200, url
    public_execution = f"/v1/streams/{stream_id}/executions/{execution.json()['id']}"
    for url in ("/v1/streams", "/v1/streams/search?q=dataSource.name:Tour", public_execution):
        assert bearer.get(url, headers=headers).status_code == 200, url
    assert admin.get(f"/api/data/v1/streams/{stream_id}/schedule/ticks").status_code == 200
    person = {"name": "Visitor", "email": "visitor@example.com"}
    assert admin.post("/v1/users", json=person).status_code == 201
    party = admin.post("/v1/groups", json={"name": "party"})
    assert party.status_code == 201
    party_url = f"/v1/groups/{party.json()['id']}"
    assert admin.put(f"{party_url}/users/{user_id}").status_code == 204
    assert admin.put(party_url, json={"description": "fun"}).status_code == 200
    for url in (party_url, f"{party_url}/users"):
        assert admin.get(url).status_code == 200, url
    query = {"sql": "SELECT * FROM table"}
    answer = bearer.post(f"/v1/datasets/query/execute/{dataset_id}", json=query, headers=headers)
    assert answer.status_code == 200
    # Feldera's /v0
    feldera = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    created = client.post(
        "/v0/pipelines", json={"name": "tour", "program_code": PROGRAM}, headers=feldera
    )
    assert created.status_code == 201
    assert client.post("/v0/pipelines/tour/start", headers=feldera).status_code == 202
    pushed = client.post(
        "/v0/pipelines/tour/ingress/orders?format=json&update_format=raw",
        content=b'{"id": 1}',
        headers=feldera,
    )
    assert pushed.status_code == 200
    again = {"name": "again", "program_code": PROGRAM}
    assert client.put("/v0/pipelines/again", json=again, headers=feldera).status_code == 201
    for url in (
        "/v0/config",
        "/v0/cluster_healthz",
        "/v0/pipelines",
        "/v0/pipelines/tour",
        "/v0/pipelines/tour/stats",
    ):
        assert client.get(url, headers=feldera).status_code == 200, url
    done = f"/v0/pipelines/tour/completion_status?token={pushed.json()['token']}"
    assert client.get(done, headers=feldera).status_code in (200, 202)

    families = {template.split("/")[1] for _, template, _ in client.checked if template}
    assert {"health", "api", "oauth", "v1", "v0"} <= families
    assert len(client.checked) >= 25
    assert client.problems == []
