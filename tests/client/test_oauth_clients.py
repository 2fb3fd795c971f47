"""OAuth clients of the public API and the installed connectors, through the client against a
real server: a created client's id and secret really get access tokens, until it is revoked."""

from __future__ import annotations

import httpx
import pytest

from headwater.client import AsyncClient, BadRequest, Client, NotFound
from tests.support.live_server import LiveServer


def access_token(server: LiveServer, client_id: str, secret: str) -> httpx.Response:
    """What pydomo does with a client: trade it for an access token."""
    return httpx.post(
        f"{server.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
    )


def test_create_list_use_revoke(hw: Client, server: LiveServer) -> None:
    made = hw.oauth_clients.create("pydomo")
    assert (made.name, made.scope, made.user_id) == ("pydomo", ["data", "user"], 1)
    assert made.secret
    assert made.secret not in repr(made)
    assert made.created_at is not None
    narrow = hw.oauth_clients.create("reports", scope=["data"])
    assert narrow.scope == ["data"]
    listed = hw.oauth_clients.list()
    assert [(c.id, c.name) for c in listed] == [(made.id, "pydomo"), (narrow.id, "reports")]
    assert all("clientSecret" not in c.raw for c in listed)  # never shown again

    granted = access_token(server, made.id, made.secret)
    assert granted.status_code == 200, granted.text
    assert granted.json()["scope"] == "data user"
    bearer = {"Authorization": f"Bearer {granted.json()['access_token']}"}
    assert httpx.get(f"{server.url}/v1/datasets", headers=bearer).status_code == 200

    hw.oauth_clients.revoke(made.id)
    assert [c.id for c in hw.oauth_clients.list()] == [narrow.id]
    assert access_token(server, made.id, made.secret).status_code == 401
    # tokens it already issued stop working too
    assert httpx.get(f"{server.url}/v1/datasets", headers=bearer).status_code == 401
    with pytest.raises(NotFound):
        hw.oauth_clients.revoke(made.id)


def test_bad_scope_and_others_clients(hw: Client, server: LiveServer) -> None:
    with pytest.raises(BadRequest) as bad:
        hw.oauth_clients.create("x", scope=["everything"])
    assert bad.value.field == "scope"
    assert "unknown scope" in bad.value.message
    ada = hw.users.create("Ada", "ada@example.com", role_id=4)
    secret = hw.tokens.create("ada's", owner_id=ada.id).token
    mine = hw.oauth_clients.create("admin's")
    with Client(server.url, token=secret) as as_ada:
        hers = as_ada.oauth_clients.create("ada's")
        assert hers.user_id == ada.id
        assert [c.id for c in as_ada.oauth_clients.list()] == [hers.id]  # only her own
        with pytest.raises(NotFound):
            as_ada.oauth_clients.revoke(mine.id)
    # an admin sees everyone's
    assert {c.id for c in hw.oauth_clients.list()} == {mine.id, hers.id}


def test_installed_connectors(hw: Client) -> None:
    found = {c.key: c for c in hw.connectors.list()}
    assert {"file", "http", "sql", "sftp", "airbyte"} <= found.keys()
    assert all(c.available and c.error is None for c in found.values())
    file = hw.connectors.get("file")
    assert file.description
    assert "path" in file.spec["properties"]
    assert "path" in file.spec["required"]
    with pytest.raises(NotFound):
        hw.connectors.get("nope")


@pytest.mark.anyio
async def test_the_async_client(ahw: AsyncClient) -> None:
    made = await ahw.oauth_clients.create("pydomo", scope=["user"])
    assert made.scope == ["user"]
    assert [c.id for c in await ahw.oauth_clients.list()] == [made.id]
    await ahw.oauth_clients.revoke(made.id)
    assert await ahw.oauth_clients.list() == []
    assert "file" in {c.key for c in await ahw.connectors.list()}
    assert (await ahw.connectors.get("sql")).available
