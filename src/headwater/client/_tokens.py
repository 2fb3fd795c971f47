"""Access tokens: create (the secret is shown only then), list, revoke."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from headwater.client._core import Call
from headwater.client._models import IssuedToken, Token
from headwater.client._resource import AsyncResource, SyncResource

BASE = "/api/data/v1/accesstokens"


def create_call(name: str, owner_id: int | None, expires: datetime | None) -> Call[IssuedToken]:
    body: dict[str, Any] = {"name": name}
    if owner_id is not None:
        body["ownerId"] = owner_id
    if expires is not None:
        body["expires"] = int(expires.timestamp() * 1000)
    return Call("POST", BASE, IssuedToken.from_wire, json=body)


def list_call() -> Call[list[Token]]:
    return Call("GET", BASE, Token.list_from_wire)


def revoke_call(token_id: int) -> Call[None]:
    return Call("DELETE", f"{BASE}/{token_id}")


class Tokens(SyncResource):
    def create(
        self, name: str, *, owner_id: int | None = None, expires: datetime | None = None
    ) -> IssuedToken:
        """A token for you, or (admins) for `owner_id`; keep `.token`, it is not shown again."""
        return self._t.send(create_call(name, owner_id, expires))

    def list(self) -> builtins.list[Token]:
        return self._t.send(list_call())

    def revoke(self, token_id: int) -> None:
        self._t.send(revoke_call(token_id))


class AsyncTokens(AsyncResource):
    async def create(
        self, name: str, *, owner_id: int | None = None, expires: datetime | None = None
    ) -> IssuedToken:
        return await self._t.send(create_call(name, owner_id, expires))

    async def list(self) -> builtins.list[Token]:
        return await self._t.send(list_call())

    async def revoke(self, token_id: int) -> None:
        await self._t.send(revoke_call(token_id))
