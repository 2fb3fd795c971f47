"""The real app, in process, through an HTTP client; helpers to act as different users.

The client checks every 2xx JSON answer against the app's OpenAPI document
(`tests/support/openapi_responses.py`): a test whose answers the document does not describe
fails at teardown, listing them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from headwater.bootstrap import Runtime, build_app
from tests.conftest import ADMIN_TOKEN
from tests.support.openapi_responses import ResponseSchemas, json_body

# The document is the same for every app the suite builds: compiled once per process (each
# xdist worker has its own).
_schemas: ResponseSchemas | None = None


def response_schemas(app: FastAPI) -> ResponseSchemas:
    global _schemas
    if _schemas is None:
        _schemas = ResponseSchemas(app.openapi())
    return _schemas


class CheckedClient(TestClient):
    """A test client that checks each 2xx JSON answer against the OpenAPI document, keeping
    what it found in `problems` (and the operations it checked in `checked`)."""

    def __init__(self, app: FastAPI, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.schemas = response_schemas(app)
        self.problems: list[str] = []
        self.checked: set[tuple[str, str | None, int]] = set()

    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> httpx.Response:  # type: ignore[override]
        response = super().request(method, url, *args, **kwargs)
        if 200 <= response.status_code < 300:
            is_json, body = json_body(response.headers.get("content-type", ""), response.content)
            if is_json:
                path = response.request.url.path
                self.checked.add(
                    (method.upper(), self.schemas.template(method, path), response.status_code)
                )
                self.problems += self.schemas.problems(method, path, response.status_code, body)
        return response


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
def client(runtime: Runtime) -> Iterator[CheckedClient]:
    with CheckedClient(build_app(runtime)) as test_client:
        yield test_client
    if test_client.problems:
        problems = "\n".join(sorted(set(test_client.problems)))
        pytest.fail(f"answers the OpenAPI document does not describe:\n{problems}")


@pytest.fixture
def admin(client: TestClient) -> Api:
    return Api(client, ADMIN_TOKEN)


@pytest.fixture
def anonymous(client: TestClient) -> Api:
    return Api(client, None)
