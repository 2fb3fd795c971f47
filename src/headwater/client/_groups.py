"""Groups: create, read, list, delete, and who is in them."""

from __future__ import annotations

import builtins
from collections.abc import Sequence

from headwater.client._core import Call
from headwater.client._models import Group
from headwater.client._resource import AsyncResource, SyncResource

BASE = "/api/content/v2/groups"
PAGE = 500


def create_call(name: str, description: str) -> Call[Group]:
    return Call("POST", BASE, Group.from_wire, json={"name": name, "description": description})


def get_call(group_id: int) -> Call[Group]:
    return Call("GET", f"{BASE}/{group_id}", Group.from_wire)


def page_call(limit: int, offset: int) -> Call[list[Group]]:
    return Call("GET", BASE, Group.list_from_wire, params={"limit": limit, "offset": offset})


def delete_call(group_id: int) -> Call[None]:
    return Call("DELETE", f"{BASE}/{group_id}")


def members_call(group_id: int, add: Sequence[int], remove: Sequence[int]) -> Call[Group]:
    body = [
        {
            "groupId": group_id,
            "addMembers": [{"type": "USER", "id": u} for u in add],
            "removeMembers": [{"type": "USER", "id": u} for u in remove],
        }
    ]
    return Call("PUT", f"{BASE}/access", lambda groups: Group.from_wire(groups[0]), json=body)


class Groups(SyncResource):
    def create(self, name: str, *, description: str = "") -> Group:
        return self._t.send(create_call(name, description))

    def get(self, group_id: int) -> Group:
        return self._t.send(get_call(group_id))

    def list(self, *, limit: int | None = None) -> builtins.list[Group]:
        return self._t.collect(page_call, PAGE, limit)

    def delete(self, group_id: int) -> None:
        self._t.send(delete_call(group_id))

    def add_members(self, group_id: int, user_ids: Sequence[int]) -> Group:
        return self._t.send(members_call(group_id, user_ids, ()))

    def remove_members(self, group_id: int, user_ids: Sequence[int]) -> Group:
        return self._t.send(members_call(group_id, (), user_ids))


class AsyncGroups(AsyncResource):
    async def create(self, name: str, *, description: str = "") -> Group:
        return await self._t.send(create_call(name, description))

    async def get(self, group_id: int) -> Group:
        return await self._t.send(get_call(group_id))

    async def list(self, *, limit: int | None = None) -> builtins.list[Group]:
        return await self._t.collect(page_call, PAGE, limit)

    async def delete(self, group_id: int) -> None:
        await self._t.send(delete_call(group_id))

    async def add_members(self, group_id: int, user_ids: Sequence[int]) -> Group:
        return await self._t.send(members_call(group_id, user_ids, ()))

    async def remove_members(self, group_id: int, user_ids: Sequence[int]) -> Group:
        return await self._t.send(members_call(group_id, (), user_ids))
