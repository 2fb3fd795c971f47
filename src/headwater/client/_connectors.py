"""The connectors this server can run for streams (`/api/data/v1/providers`), with the JSON
Schema of their configuration. A plug-in that failed to load is listed BROKEN, with why."""

from __future__ import annotations

import builtins
from urllib.parse import quote

from headwater.client._core import Call
from headwater.client._models import Connector
from headwater.client._resource import AsyncResource, SyncResource

BASE = "/api/data/v1/providers"


def list_call() -> Call[list[Connector]]:
    return Call("GET", BASE, Connector.list_from_wire)


def get_call(key: str) -> Call[Connector]:
    return Call("GET", f"{BASE}/{quote(key, safe='')}", Connector.from_wire)


class Connectors(SyncResource):
    def list(self) -> builtins.list[Connector]:
        return self._t.send(list_call())

    def get(self, key: str) -> Connector:
        return self._t.send(get_call(key))


class AsyncConnectors(AsyncResource):
    async def list(self) -> builtins.list[Connector]:
        return await self._t.send(list_call())

    async def get(self, key: str) -> Connector:
        return await self._t.send(get_call(key))
