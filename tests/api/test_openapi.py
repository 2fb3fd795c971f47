"""The OpenAPI document tells the truth about errors (issue 15, item 7): no 422 (never sent),
the 4xx each operation can send, with its dialect's error body, and `/v0` in the document.
What the server really sends is checked against it by schemathesis (tests/e2e)."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api

DOMO = "#/components/schemas/DomoError"
FELDERA = "#/components/schemas/FelderaError"


def error_bodies(operation: dict[str, Any]) -> dict[str, str]:
    return {
        status: response["content"]["application/json"]["schema"]["$ref"]
        for status, response in operation["responses"].items()
        if int(status) >= 400
    }


def test_every_operation_documents_its_errors_in_its_dialect(anonymous: Api) -> None:
    document = anonymous.get("/openapi.json").json()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    seen = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            seen += 1
            statuses = set(operation["responses"])
            assert "422" not in statuses, (method, path)
            bodies = error_bodies(operation)
            wanted = FELDERA if path.startswith("/v0/") else DOMO
            assert set(bodies.values()) <= {wanted}, (method, path, bodies)
            if operation.get("security"):
                assert {"401", "403"} <= statuses, (method, path)
            if "{" in path:
                assert "404" in statuses, (method, path)
            if "requestBody" in operation:
                assert {"400", "413"} <= statuses, (method, path)
    assert seen > 100


def test_feldera_operations_are_in_the_one_document(anonymous: Api) -> None:
    main = anonymous.get("/openapi.json").json()
    own = anonymous.get("/v0/openapi.json").json()
    assert {f"/v0{p}" for p in own["paths"]} <= set(main["paths"])
    stats = main["paths"]["/v0/pipelines/{name}/stats"]["get"]["responses"]
    assert stats["503"]["content"]["application/json"]["schema"]["$ref"] == FELDERA
    assert "410" in main["paths"]["/v0/pipelines/{name}/completion_status"]["get"]["responses"]


def test_documented_error_bodies_are_the_ones_sent(admin: Api, anonymous: Api) -> None:
    document = admin.get("/openapi.json").json()
    domo = document["components"]["schemas"]["DomoError"]
    feldera = document["components"]["schemas"]["FelderaError"]
    for response in (
        anonymous.get("/api/content/v2/users/me"),
        admin.get("/api/content/v2/users/7"),
        admin.get("/v1/users/abc"),
    ):
        assert set(domo["required"]) <= set(response.json()), response.text
    for response in (anonymous.get("/v0/pipelines"), admin.get("/v0/pipelines/nope")):
        assert set(feldera["required"]) <= set(response.json()), response.text


def test_hand_read_bodies_are_described(anonymous: Api) -> None:
    paths = anonymous.get("/openapi.json").json()["paths"]
    part = paths["/v1/streams/{stream_id}/executions/{execution_id}/part/{part_id}"]["put"]
    assert "text/csv" in part["requestBody"]["content"]
    assert "413" in part["responses"]
    data = paths["/v1/datasets/{dataset_id}/data"]["put"]
    assert "text/csv" in data["requestBody"]["content"]
    token = paths["/oauth/token"]["post"]
    assert "application/x-www-form-urlencoded" in token["requestBody"]["content"]
    assert {"400", "401"} <= set(token["responses"])
