"""OAuth clients, `/oauth/token` and bearer authentication of the public API."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from headwater.bootstrap import Runtime
from tests.api.conftest import Api


def new_client(api: Api, scope: object = None) -> tuple[str, str]:
    body = {"name": "tool"} if scope is None else {"name": "tool", "scope": scope}
    created = api.post("/api/data/v1/clients", json=body)
    assert created.status_code == 201, created.text
    return created.json()["clientId"], created.json()["clientSecret"]


def token_for(api: Api, client: tuple[str, str], scope: str | None = None) -> str:
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    response = api.client.post("/oauth/token", data=data, auth=client)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"bearer {token}"}


def test_clients_are_created_listed_and_revoked(admin: Api) -> None:
    created = admin.post("/api/data/v1/clients", json={"name": "pydomo", "scope": "data user"})
    assert created.status_code == 201
    body = created.json()
    assert body["scope"] == ["data", "user"]
    assert body["clientSecret"].startswith("hwc_")
    listed = admin.get("/api/data/v1/clients").json()
    assert [c["clientId"] for c in listed] == [body["clientId"]]
    assert "clientSecret" not in listed[0]
    assert admin.delete(f"/api/data/v1/clients/{body['clientId']}").status_code == 204
    again = admin.delete(f"/api/data/v1/clients/{body['clientId']}")
    assert again.status_code == 404
    assert again.json()["code"] == "NOT_FOUND"
    assert admin.get("/api/data/v1/clients").json() == []


def test_clients_need_a_developer_token_and_stay_their_owners(admin: Api, anonymous: Api) -> None:
    assert anonymous.post("/api/data/v1/clients", json={"name": "x"}).status_code == 401
    _, token = admin.new_user("Ann")
    ann = admin.as_(token)
    client_id, _ = new_client(ann)
    _, other = admin.new_user("Ben")
    assert admin.as_(other).get("/api/data/v1/clients").json() == []
    assert admin.as_(other).delete(f"/api/data/v1/clients/{client_id}").status_code == 404
    bad = ann.post("/api/data/v1/clients", json={"name": "x", "scope": ["root"]})
    assert bad.status_code == 400
    assert bad.json()["field"] == "scope"


def test_token_by_post_form_get_query_and_parameters(admin: Api) -> None:
    client = new_client(admin)
    posted = admin.client.post(
        "/oauth/token", data={"grant_type": "client_credentials", "scope": "data user"}, auth=client
    )
    assert posted.status_code == 200
    body = posted.json()
    assert body["token_type"] == "bearer"
    assert body["scope"] == "data user"
    assert body["userId"] == 1
    assert body["expires_in"] == 3600
    assert {"customer", "role", "jti", "domain"} <= body.keys()
    payload = body["access_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))  # as pydomo reads it
    assert claims["exp"] > time.time()
    got = admin.client.get(
        "/oauth/token", params={"grant_type": "client_credentials", "scope": "data"}, auth=client
    )
    assert got.status_code == 200
    assert got.json()["scope"] == "data"
    by_params = admin.client.get(
        "/oauth/token",
        params={
            "grant_type": "client_credentials",
            "client_id": client[0],
            "client_secret": client[1],
        },
    )
    assert by_params.status_code == 200


def test_token_errors_name_the_oauth_error(admin: Api) -> None:
    client_id, secret = new_client(admin, ["data"])
    wrong = admin.client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, "nope")
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    assert wrong.json()["status"] == 401
    grant = admin.client.post(
        "/oauth/token", data={"grant_type": "password"}, auth=(client_id, secret)
    )
    assert grant.status_code == 400
    assert grant.json()["error"] == "unsupported_grant_type"
    scope = admin.client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "user"},
        auth=(client_id, secret),
    )
    assert scope.status_code == 400
    assert scope.json()["error"] == "invalid_scope"
    assert (
        admin.client.post("/oauth/token", data={"grant_type": "client_credentials"}).status_code
        == 401
    )


def test_bearer_tokens_and_scopes_on_v1(admin: Api, anonymous: Api) -> None:
    none = anonymous.get("/v1/datasets")
    assert none.status_code == 401
    assert none.json()["code"] == "UNAUTHENTICATED"
    data_only = token_for(admin, new_client(admin), "data")
    assert admin.client.get("/v1/datasets", headers=bearer(data_only)).status_code == 200
    refused = admin.client.get("/v1/users", headers=bearer(data_only))
    assert refused.status_code == 403
    assert refused.json()["code"] == "INSUFFICIENT_SCOPE"
    both = token_for(admin, new_client(admin))
    assert (
        admin.client.get("/v1/users", headers={"Authorization": f"Bearer {both}"}).status_code
        == 200
    )
    tampered = both[:-4] + ("AAAA" if not both.endswith("AAAA") else "BBBB")
    assert admin.client.get("/v1/datasets", headers=bearer(tampered)).status_code == 401
    # a developer token works on /v1 too
    assert admin.get("/v1/datasets").status_code == 200


def test_expired_and_revoked_tokens_are_refused(admin: Api, runtime: Runtime) -> None:
    client = new_client(admin)
    token = token_for(admin, client)
    key = (runtime.settings.data_dir / "oauth-signing.key").read_bytes().strip()
    claims = jwt.decode(token, key, algorithms=["HS256"], issuer="headwater")
    expired = jwt.encode({**claims, "exp": int(time.time()) - 5}, key, algorithm="HS256")
    response = admin.client.get("/v1/datasets", headers=bearer(expired))
    assert response.status_code == 401
    assert response.json()["code"] == "TOKEN_EXPIRED"
    forged = jwt.encode({**claims, "exp": int(time.time()) + 60}, b"x" * 32, algorithm="HS256")
    assert admin.client.get("/v1/datasets", headers=bearer(forged)).status_code == 401

    assert admin.client.get("/v1/datasets", headers=bearer(token)).status_code == 200
    assert admin.delete(f"/api/data/v1/clients/{client[0]}").status_code == 204
    revoked = admin.client.get("/v1/datasets", headers=bearer(token))
    assert revoked.status_code == 401
    again = admin.client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=client
    )
    assert again.status_code == 401


@pytest.mark.parametrize("path", ["/v1/datasets/", "/v1/streams/", "/v1/users/", "/v1/groups/"])
def test_slash_forms_answer_without_redirects(admin: Api, path: str) -> None:
    response = admin.client.get(
        path, headers={"X-DOMO-Developer-Token": admin.token or ""}, follow_redirects=False
    )
    assert response.status_code == 200  # not a 307 to the no-slash form
    assert isinstance(response.json(), list)
