"""OAuth clients of the public API (what `pydomo` logs in with): create (the secret is shown
only then), list, revoke. Revoking one ends the access tokens already issued to it."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from headwater.client._core import Call
from headwater.client._models import IssuedOAuthClient, OAuthClient
from headwater.client._resource import AsyncResource, SyncResource

BASE = "/api/data/v1/clients"


def create_call(name: str, scope: Sequence[str] | None) -> Call[IssuedOAuthClient]:
    body: dict[str, Any] = {"name": name}
    if scope is not None:
        body["scope"] = list(scope)
    return Call("POST", BASE, IssuedOAuthClient.from_wire, json=body)


def list_call() -> Call[list[OAuthClient]]:
    return Call("GET", BASE, OAuthClient.list_from_wire)


def revoke_call(client_id: str) -> Call[None]:
    return Call("DELETE", f"{BASE}/{quote(client_id, safe='')}")


class OAuthClients(SyncResource):
    def create(self, name: str, *, scope: Sequence[str] | None = None) -> IssuedOAuthClient:
        """A client acting as you, with `scope` (default `data` and `user`); keep `.secret`,
        it is not shown again."""
        return self._t.send(create_call(name, scope))

    def list(self) -> builtins.list[OAuthClient]:
        """Your clients (admins: everyone's); never their secrets."""
        return self._t.send(list_call())

    def revoke(self, client_id: str) -> None:
        self._t.send(revoke_call(client_id))


class AsyncOAuthClients(AsyncResource):
    async def create(self, name: str, *, scope: Sequence[str] | None = None) -> IssuedOAuthClient:
        return await self._t.send(create_call(name, scope))

    async def list(self) -> builtins.list[OAuthClient]:
        return await self._t.send(list_call())

    async def revoke(self, client_id: str) -> None:
        await self._t.send(revoke_call(client_id))
