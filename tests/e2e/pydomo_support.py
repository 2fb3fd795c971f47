"""A real `headwater serve`, the official pydomo SDK from PyPI, and helpers to act as users."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx
from pydomo import Domo

from tests.e2e.conftest import Server

ADMIN_TOKEN = "hw_e2e-admin-token"


@dataclass
class PublicApi:
    server: Server

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    def product(self, method: str, path: str, token: str = ADMIN_TOKEN, **kwargs: Any) -> Any:
        """A product-API request with a developer token."""
        headers = {"X-DOMO-Developer-Token": token, **kwargs.pop("headers", {})}
        return httpx.request(method, self.server.url + path, headers=headers, timeout=60, **kwargs)

    def client_for(
        self, token: str = ADMIN_TOKEN, scope: list[str] | None = None
    ) -> tuple[str, str]:
        created = self.product(
            "POST",
            "/api/data/v1/clients",
            token,
            json={"name": "pydomo", "scope": scope or ["data", "user"]},
        )
        assert created.status_code == 201, created.text
        return created.json()["clientId"], created.json()["clientSecret"]

    def domo(self, token: str = ADMIN_TOKEN, scope: list[str] | None = None) -> Domo:
        """pydomo, unchanged, pointed at this server over plain HTTP."""
        client_id, secret = self.client_for(token, scope)
        return Domo(
            client_id, secret, api_host=self.host, use_https=False, log_level=logging.WARNING
        )

    def new_user(self, name: str, role: int = 4) -> tuple[int, str]:
        """A user (Participant by default) and a developer token for them."""
        email = f"{name.lower()}@example.com"
        created = self.product(
            "POST",
            "/api/content/v3/users",
            json={"displayName": name, "detail": {"email": email}, "roleId": role},
        )
        assert created.status_code == 201, created.text
        user_id = created.json()["id"]
        token = self.product(
            "POST", "/api/data/v1/accesstokens", json={"name": "e2e", "ownerId": user_id}
        )
        assert token.status_code == 201, token.text
        return user_id, token.json()["token"]
