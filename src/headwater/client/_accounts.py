"""Accounts: the credentials connector streams use. Secrets go in; they never come back."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any

from headwater.client._core import Call
from headwater.client._models import Account
from headwater.client._resource import AsyncResource, SyncResource, grant_json

BASE = "/api/data/v1/accounts"

Configurations = Mapping[str, Any] | Sequence[Mapping[str, Any]]


def _entries(configurations: Configurations) -> list[dict[str, Any]]:
    if isinstance(configurations, Mapping):
        return [{"name": k, "value": v} for k, v in configurations.items()]
    return [dict(e) for e in configurations]


def create_call(
    name: str, provider: str, configurations: Configurations, display_name: str | None
) -> Call[Account]:
    body = {
        "name": name,
        "displayName": display_name or name,
        "dataProviderType": provider,
        "configurations": _entries(configurations),
    }
    return Call("POST", BASE, Account.from_wire, json=body)


def get_call(account_id: int) -> Call[Account]:
    return Call("GET", f"{BASE}/{account_id}", Account.from_wire)


def list_call() -> Call[list[Account]]:
    return Call("GET", BASE, Account.list_from_wire)


def update_call(
    account_id: int, display_name: str | None, configurations: Configurations | None
) -> Call[Account]:
    body: dict[str, Any] = {}
    if display_name is not None:
        body["displayName"] = display_name
    if configurations is not None:
        body["configurations"] = _entries(configurations)
    return Call("PUT", f"{BASE}/{account_id}", Account.from_wire, json=body)


def delete_call(account_id: int) -> Call[None]:
    return Call("DELETE", f"{BASE}/{account_id}")


def share_call(account_id: int, principal_id: int, level: str, group: bool) -> Call[None]:
    body = {"permissions": [grant_json(principal_id, level, group)]}
    return Call("POST", f"{BASE}/{account_id}/share", json=body)


def revoke_call(account_id: int, principal_id: int, group: bool) -> Call[None]:
    kind = "GROUP" if group else "USER"
    return Call("DELETE", f"{BASE}/{account_id}/permissions/{kind}/{principal_id}")


class Accounts(SyncResource):
    def create(
        self,
        name: str,
        provider: str,
        configurations: Configurations,
        *,
        display_name: str | None = None,
    ) -> Account:
        return self._t.send(create_call(name, provider, configurations, display_name))

    def get(self, account_id: int) -> Account:
        return self._t.send(get_call(account_id))

    def list(self) -> builtins.list[Account]:
        return self._t.send(list_call())

    def update(
        self,
        account_id: int,
        *,
        display_name: str | None = None,
        configurations: Configurations | None = None,
    ) -> Account:
        """Entries not sent keep their values."""
        return self._t.send(update_call(account_id, display_name, configurations))

    def delete(self, account_id: int) -> None:
        self._t.send(delete_call(account_id))

    def share(
        self, account_id: int, principal_id: int, level: str = "CAN_VIEW", *, group: bool = False
    ) -> None:
        self._t.send(share_call(account_id, principal_id, level, group))

    def revoke(self, account_id: int, principal_id: int, *, group: bool = False) -> None:
        self._t.send(revoke_call(account_id, principal_id, group))


class AsyncAccounts(AsyncResource):
    async def create(
        self,
        name: str,
        provider: str,
        configurations: Configurations,
        *,
        display_name: str | None = None,
    ) -> Account:
        return await self._t.send(create_call(name, provider, configurations, display_name))

    async def get(self, account_id: int) -> Account:
        return await self._t.send(get_call(account_id))

    async def list(self) -> builtins.list[Account]:
        return await self._t.send(list_call())

    async def update(
        self,
        account_id: int,
        *,
        display_name: str | None = None,
        configurations: Configurations | None = None,
    ) -> Account:
        return await self._t.send(update_call(account_id, display_name, configurations))

    async def delete(self, account_id: int) -> None:
        await self._t.send(delete_call(account_id))

    async def share(
        self, account_id: int, principal_id: int, level: str = "CAN_VIEW", *, group: bool = False
    ) -> None:
        await self._t.send(share_call(account_id, principal_id, level, group))

    async def revoke(self, account_id: int, principal_id: int, *, group: bool = False) -> None:
        await self._t.send(revoke_call(account_id, principal_id, group))
