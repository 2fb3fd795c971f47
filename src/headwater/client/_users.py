"""Users: create (admins), read, list, and who the token belongs to."""

from __future__ import annotations

import builtins

from headwater.client._core import Call
from headwater.client._models import User
from headwater.client._resource import AsyncResource, SyncResource

PAGE = 500


def create_call(display_name: str, email: str, role_id: int | None) -> Call[User]:
    body = {"displayName": display_name, "detail": {"email": email}, "roleId": role_id}
    return Call("POST", "/api/content/v3/users", User.from_wire, json=body)


def get_call(user_id: int) -> Call[User]:
    return Call("GET", f"/api/content/v2/users/{user_id}", User.from_wire)


def me_call() -> Call[User]:
    return Call("GET", "/api/content/v2/users/me", User.from_wire)


def page_call(limit: int, offset: int) -> Call[list[User]]:
    params = {"limit": limit, "offset": offset}
    return Call("GET", "/api/content/v2/users", User.list_from_wire, params=params)


class Users(SyncResource):
    def create(self, display_name: str, email: str, *, role_id: int | None = None) -> User:
        """Roles: 1 Admin, 2 Privileged, 3 Editor, 4 Participant (the server's default)."""
        return self._t.send(create_call(display_name, email, role_id))

    def get(self, user_id: int) -> User:
        return self._t.send(get_call(user_id))

    def me(self) -> User:
        return self._t.send(me_call())

    def list(self, *, limit: int | None = None) -> builtins.list[User]:
        return self._t.collect(page_call, PAGE, limit)


class AsyncUsers(AsyncResource):
    async def create(self, display_name: str, email: str, *, role_id: int | None = None) -> User:
        return await self._t.send(create_call(display_name, email, role_id))

    async def get(self, user_id: int) -> User:
        return await self._t.send(get_call(user_id))

    async def me(self) -> User:
        return await self._t.send(me_call())

    async def list(self, *, limit: int | None = None) -> builtins.list[User]:
        return await self._t.collect(page_call, PAGE, limit)
