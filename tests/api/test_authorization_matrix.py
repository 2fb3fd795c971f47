"""For every endpoint: no token → 401; not shared → 404; too low → 403; granted → allowed;
revoked → denied again on the very next request. Group grants count for members."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.api.conftest import Api

PUBLIC = {"/health", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every endpoint, also those inside included routers (FastAPI nests them lazily)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from api_routes(route.original_router.routes)


def test_every_route_but_health_and_docs_needs_a_token(client: TestClient) -> None:
    checked = 0
    for route in api_routes(client.app.routes):  # type: ignore[attr-defined]
        if route.path in PUBLIC:
            continue
        path = re.sub(r"\{[^}]+\}", "1", route.path)
        for method in route.methods:
            response = client.request(method, path, json={})
            assert response.status_code == 401, (method, route.path, response.status_code)
            assert response.json()["code"] == "UNAUTHENTICATED"
            checked += 1
    assert checked >= 20


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    needs: str  # the lowest level that may call it
    body: Callable[[int], Any] | None = None  # given a third user's id, the request body

    def call(self, api: Api, dataset_id: str, third_id: int) -> Any:
        body = self.body(third_id) if self.body else None
        return api.request(self.method, self.path.format(id=dataset_id), json=body)


ENDPOINTS = [
    Endpoint("GET", "/api/data/v3/datasources/{id}", "CAN_VIEW"),
    Endpoint(
        "POST", "/api/query/v1/execute/{id}", "CAN_VIEW", lambda _: {"sql": "SELECT * FROM table"}
    ),
    Endpoint("GET", "/api/data/v3/datasources/{id}/permissions", "CAN_VIEW"),
    Endpoint("GET", "/api/data/v3/datasources/{id}/versions", "CAN_VIEW"),
    Endpoint("GET", "/api/data/v3/datasources/{id}/checks", "CAN_VIEW"),
    Endpoint("PUT", "/api/data/v3/datasources/{id}/checks", "CAN_EDIT", lambda _: {"checks": []}),
    Endpoint(
        "POST",
        "/api/data/v3/datasources/{id}/share",
        "CAN_SHARE",
        lambda third: {"permissions": [{"type": "USER", "id": third, "accessLevel": "CAN_VIEW"}]},
    ),
    Endpoint(
        "PUT", "/api/data/v3/datasources/{id}", "CAN_EDIT", lambda _: {"description": "changed"}
    ),
    Endpoint(
        "POST", "/api/data/v3/datasources/{id}/uploads", "CAN_EDIT", lambda _: {"values": "x,1"}
    ),
    Endpoint("DELETE", "/api/data/v3/datasources/{id}", "CO_OWNER"),
]
BELOW = {"CAN_SHARE": "CAN_VIEW", "CAN_EDIT": "CAN_SHARE", "CO_OWNER": "CAN_EDIT"}


@dataclass
class Scene:
    owner: Api
    bob: Api
    bob_id: int
    third_id: int
    group_id: int


@pytest.fixture
def scene(admin: Api) -> Scene:
    _, owner_token = admin.new_user("Olga")
    bob_id, bob_token = admin.new_user("Bob")
    third_id, _ = admin.new_user("Tess")
    group_id = admin.post("/api/content/v2/groups", json={"name": "Readers"}).json()["id"]
    admin.put(
        "/api/content/v2/groups/access",
        json={"groupId": group_id, "addMembers": [{"type": "USER", "id": bob_id}]},
    )
    return Scene(admin.as_(owner_token), admin.as_(bob_token), bob_id, third_id, group_id)


def _grant(scene: Scene, dataset_id: str, kind: str, principal_id: int, level: str) -> None:
    response = scene.owner.post(
        f"/api/data/v3/datasources/{dataset_id}/share",
        json={"permissions": [{"type": kind, "id": principal_id, "accessLevel": level}]},
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method} {e.path}")
def test_user_grant_matrix(scene: Scene, endpoint: Endpoint) -> None:
    dataset_id = scene.owner.new_dataset()

    assert endpoint.call(scene.owner.as_(None), dataset_id, scene.third_id).status_code == 401
    assert endpoint.call(scene.bob, dataset_id, scene.third_id).status_code == 404

    if endpoint.needs in BELOW:
        _grant(scene, dataset_id, "USER", scene.bob_id, BELOW[endpoint.needs])
        too_low = endpoint.call(scene.bob, dataset_id, scene.third_id)
        assert too_low.status_code == 403, too_low.text

    _grant(scene, dataset_id, "USER", scene.bob_id, endpoint.needs)
    allowed = endpoint.call(scene.bob, dataset_id, scene.third_id)
    assert allowed.status_code in (200, 201, 204), allowed.text

    if endpoint.method == "DELETE":
        return  # the dataset is gone; nothing left to revoke
    revoked = scene.owner.delete(
        f"/api/data/v3/datasources/{dataset_id}/permissions/USER/{scene.bob_id}"
    )
    assert revoked.status_code == 200
    assert endpoint.call(scene.bob, dataset_id, scene.third_id).status_code == 404


@pytest.mark.parametrize("endpoint", ENDPOINTS[:3], ids=lambda e: f"{e.method} {e.path}")
def test_group_grants_count_for_members(scene: Scene, endpoint: Endpoint) -> None:
    dataset_id = scene.owner.new_dataset()
    assert endpoint.call(scene.bob, dataset_id, scene.third_id).status_code == 404
    _grant(scene, dataset_id, "GROUP", scene.group_id, endpoint.needs)
    assert endpoint.call(scene.bob, dataset_id, scene.third_id).status_code == 200
    scene.owner.delete(f"/api/data/v3/datasources/{dataset_id}/permissions/GROUP/{scene.group_id}")
    assert endpoint.call(scene.bob, dataset_id, scene.third_id).status_code == 404


def test_leaving_a_group_loses_its_access(admin: Api, scene: Scene) -> None:
    dataset_id = scene.owner.new_dataset()
    _grant(scene, dataset_id, "GROUP", scene.group_id, "CAN_VIEW")
    assert scene.bob.get(f"/api/data/v3/datasources/{dataset_id}").status_code == 200
    admin.put(
        "/api/content/v2/groups/access",
        json={"groupId": scene.group_id, "removeMembers": [{"type": "USER", "id": scene.bob_id}]},
    )
    assert scene.bob.get(f"/api/data/v3/datasources/{dataset_id}").status_code == 404


def test_lists_show_only_what_a_user_may_see(admin: Api, scene: Scene) -> None:
    mine = scene.owner.new_dataset("Mine")
    shared = scene.owner.new_dataset("Shared")
    _grant(scene, shared, "USER", scene.bob_id, "CAN_VIEW")
    assert [d["id"] for d in scene.bob.get("/api/data/v3/datasources").json()] == [shared]
    assert {d["id"] for d in admin.get("/api/data/v3/datasources").json()} == {mine, shared}


def test_permission_list_and_levels(scene: Scene) -> None:
    dataset_id = scene.owner.new_dataset()
    _grant(scene, dataset_id, "USER", scene.bob_id, "READ")  # the seed's alias for CAN_VIEW
    _grant(scene, dataset_id, "GROUP", scene.group_id, "WRITE")  # ... and for CAN_EDIT
    body = scene.owner.get(f"/api/data/v3/datasources/{dataset_id}/permissions").json()
    assert body["totalUserCount"] == 2
    assert body["totalGroupCount"] == 1
    levels = {(e["type"], e["name"]): e["accessLevel"] for e in body["list"]}
    assert levels == {
        ("USER", "Olga"): "OWNER",
        ("USER", "Bob"): "CAN_VIEW",
        ("GROUP", "Readers"): "CAN_EDIT",
    }


def test_nobody_grants_more_than_they_hold(scene: Scene) -> None:
    dataset_id = scene.owner.new_dataset()
    _grant(scene, dataset_id, "USER", scene.bob_id, "CAN_SHARE")
    too_much = scene.bob.post(
        f"/api/data/v3/datasources/{dataset_id}/share",
        json={"permissions": [{"type": "USER", "id": scene.third_id, "accessLevel": "CAN_EDIT"}]},
    )
    assert too_much.status_code == 403
    owner_grant = scene.owner.post(
        f"/api/data/v3/datasources/{dataset_id}/share",
        json={"permissions": [{"type": "USER", "id": scene.third_id, "accessLevel": "OWNER"}]},
    )
    assert owner_grant.status_code == 400
    unknown_level = scene.owner.post(
        f"/api/data/v3/datasources/{dataset_id}/share",
        json={"permissions": [{"type": "USER", "id": scene.third_id, "accessLevel": "GOD"}]},
    )
    assert unknown_level.status_code == 400
    assert unknown_level.json()["field"] == "accessLevel"


def test_the_owner_cannot_be_revoked(scene: Scene, admin: Api) -> None:
    dataset_id = scene.owner.new_dataset()
    owner_id = scene.owner.get("/api/content/v2/users/me").json()["id"]
    response = admin.delete(f"/api/data/v3/datasources/{dataset_id}/permissions/USER/{owner_id}")
    assert response.status_code == 409
    missing = admin.delete(
        f"/api/data/v3/datasources/{dataset_id}/permissions/USER/{scene.third_id}"
    )
    assert missing.status_code == 404
