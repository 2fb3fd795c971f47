"""Tokens in every header clients use; wrong, revoked and expired tokens get 401."""

from __future__ import annotations

import time

from tests.api.conftest import Api
from tests.conftest import ADMIN_TOKEN


def test_health_needs_no_token(anonymous: Api) -> None:
    response = anonymous.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_docs_need_no_token(anonymous: Api) -> None:
    assert anonymous.get("/openapi.json").status_code == 200
    assert anonymous.get("/docs").status_code == 200


def test_no_token_is_401_with_a_json_body(anonymous: Api) -> None:
    response = anonymous.get("/api/content/v2/users/me")
    assert response.status_code == 401
    body = response.json()
    assert body["status"] == 401
    assert body["code"] == "UNAUTHENTICATED"
    assert "X-DOMO-Developer-Token" in body["message"]
    assert body["toe"]


def test_wrong_token_is_401(anonymous: Api) -> None:
    assert anonymous.as_("hw_not-a-real-token").get("/api/content/v2/users/me").status_code == 401


def test_every_header_form_authenticates(anonymous: Api) -> None:
    forms = [
        {"X-DOMO-Developer-Token": ADMIN_TOKEN},
        {"x-domo-developer-token": ADMIN_TOKEN},
        {"X-DOMO-Authentication": ADMIN_TOKEN},
        {"Authorization": f"Bearer {ADMIN_TOKEN}"},
        {"Authorization": f"bearer {ADMIN_TOKEN}"},  # pydomo's lowercase scheme
    ]
    for headers in forms:
        response = anonymous.get("/api/content/v2/users/me", headers=headers)
        assert response.status_code == 200, headers
        assert response.json()["displayName"] == "admin"


def test_basic_auth_is_not_a_token(anonymous: Api) -> None:
    headers = {"Authorization": f"Basic {ADMIN_TOKEN}"}
    assert anonymous.get("/api/content/v2/users/me", headers=headers).status_code == 401


def test_first_admin_is_an_admin(admin: Api) -> None:
    me = admin.get("/api/content/v2/users/me").json()
    assert me["roleId"] == 1
    assert me["role"] == "Admin"


def test_revoked_token_is_refused_on_the_next_request(admin: Api) -> None:
    user_id, token = admin.new_user("Rita")
    assert admin.as_(token).get("/api/content/v2/users/me").status_code == 200
    token_id = next(
        t["id"] for t in admin.get("/api/data/v1/accesstokens").json() if t["ownerId"] == user_id
    )
    assert admin.delete(f"/api/data/v1/accesstokens/{token_id}").status_code == 204
    assert admin.as_(token).get("/api/content/v2/users/me").status_code == 401


def test_expired_token_is_refused(admin: Api) -> None:
    # Three seconds ahead: under a loaded machine one second could pass before the request.
    expires_ms = int((time.time() + 3.0) * 1000)
    created = admin.post("/api/data/v1/accesstokens", json={"name": "short", "expires": expires_ms})
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    assert admin.as_(token).get("/api/content/v2/users/me").status_code == 200
    time.sleep(max(0.0, expires_ms / 1000 - time.time()) + 0.2)
    assert admin.as_(token).get("/api/content/v2/users/me").status_code == 401


def test_tokens_are_stored_hashed(admin: Api, runtime) -> None:  # type: ignore[no-untyped-def]
    created = admin.post("/api/data/v1/accesstokens", json={"name": "mine"}).json()
    secret = created["token"]
    with runtime.engine.connect() as connection:
        import sqlalchemy as sa

        stored = [
            row[0] for row in connection.execute(sa.text("SELECT token_hash FROM access_tokens"))
        ]
    assert secret not in stored
    assert all(len(value) == 64 for value in stored)
