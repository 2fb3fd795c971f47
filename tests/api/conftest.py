"""The real app, in process, through an HTTP client; helpers to act as different users."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from headwater.bootstrap import Runtime, build_app
from tests.conftest import ADMIN_TOKEN


class Api:
    """An HTTP client that sends one user's token on every request."""

    def __init__(self, client: TestClient, token: str | None) -> None:
        self.client = client
        self.token = token

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        sent = {"X-DOMO-Developer-Token": self.token} if self.token else {}
        return {**sent, **(headers or {})}

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        kwargs["headers"] = self._headers(kwargs.get("headers"))
        return self.client.request(method, url, **kwargs)

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> Any:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Any:
        return self.request("DELETE", url, **kwargs)

    def as_(self, token: str | None) -> Api:
        return Api(self.client, token)

    # -- shortcuts for setting up a scene ---------------------------------------------
    def new_user(self, name: str, role: int = 3) -> tuple[int, str]:
        """Create a user (as this caller, an admin) and a token for them: (id, token)."""
        email = f"{name.lower().replace(' ', '.')}@example.com"
        created = self.post(
            "/api/content/v3/users",
            json={"displayName": name, "detail": {"email": email}, "roleId": role},
        )
        assert created.status_code == 201, created.text
        user_id = created.json()["id"]
        token = self.post("/api/data/v1/accesstokens", json={"name": "t", "ownerId": user_id})
        assert token.status_code == 201, token.text
        return user_id, token.json()["token"]

    def new_dataset(self, name: str = "Sales", columns: list[dict[str, str]] | None = None) -> str:
        columns = columns or [{"type": "STRING", "name": "region"}, {"type": "LONG", "name": "n"}]
        created = self.post(
            "/api/data/v3/datasources", json={"name": name, "schema": {"columns": columns}}
        )
        assert created.status_code == 201, created.text
        return str(created.json()["id"])

    def new_api_stream(self, name: str, columns: list[dict[str, Any]]) -> tuple[int, str]:
        """A dataset fed by uploads (an API stream, APPEND): (stream id, dataset id)."""
        created = self.post(
            "/api/data/v1/streams",
            json={
                "transport": {"type": "API"},
                "updateMethod": "APPEND",
                "dataSource": {"name": name, "schema": {"columns": columns}},
            },
        )
        assert created.status_code == 201, created.text
        return created.json()["id"], created.json()["dataSource"]["id"]


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(build_app(runtime)) as test_client:
        yield test_client


@pytest.fixture
def admin(client: TestClient) -> Api:
    return Api(client, ADMIN_TOKEN)


@pytest.fixture
def anonymous(client: TestClient) -> Api:
    return Api(client, None)
