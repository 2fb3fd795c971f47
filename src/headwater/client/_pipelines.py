"""Pipelines (Feldera's API, `/v0`): definitions, lifecycle, statistics, input connectors and
ad-hoc queries.

`start`, `pause`, `resume` and `stop` return once the pipeline shows the status they asked
for (as the feldera client does), polling `GET /v0/pipelines/{name}?selector=status`;
`wait=False` returns as soon as the server took the request. Connector `start`/`pause` set
the connector's stored flag: it reads only while the pipeline and the connector both run.
"""

from __future__ import annotations

import builtins
import json
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import anyio

from headwater.client._core import Call
from headwater.client._exceptions import PipelineTimeout
from headwater.client._models import QueryResult
from headwater.client._pipeline_models import ConnectorStats, Pipeline, PipelineStats
from headwater.client._resource import AsyncResource, SyncResource

BASE = "/v0/pipelines"
POLL_SECONDS = 0.25
WAIT_SECONDS = 60.0
# What each action waits for.
ACTIONS = {"start": "Running", "pause": "Paused", "resume": "Running", "stop": "Stopped"}


def _path(name: str, *rest: str) -> str:
    return "/".join([BASE, *(quote(part, safe="") for part in (name, *rest))])


def _definition(
    name: str, sql: str | None, description: str | None, tables: Any, views: Any
) -> dict[str, Any]:
    if (sql is None) == (tables is None):
        raise ValueError("give the program as sql (Feldera SQL) or as tables (JSON), not both")
    body: dict[str, Any] = {"name": name}
    if sql is not None:
        body["program_code"] = sql
    else:
        body["tables"] = list(tables)
        body["views"] = list(views or [])
    if description is not None:
        body["description"] = description
    return body


def list_call() -> Call[list[Pipeline]]:
    return Call("GET", BASE, Pipeline.list_from_wire, params={"selector": "all"})


def get_call(name: str, selector: str = "all") -> Call[Pipeline]:
    return Call("GET", _path(name), Pipeline.from_wire, params={"selector": selector})


def create_call(name: str, body: dict[str, Any]) -> Call[Pipeline]:
    return Call("POST", BASE, Pipeline.from_wire, json=body)


def replace_call(name: str, body: dict[str, Any]) -> Call[Pipeline]:
    return Call("PUT", _path(name), Pipeline.from_wire, json=body)


def delete_call(name: str) -> Call[None]:
    return Call("DELETE", _path(name))


def action_call(name: str, action: str, paused: bool = False) -> Call[None]:
    params = {"initial": "paused"} if action == "start" and paused else None
    return Call("POST", _path(name, action), params=params)


def stats_call(name: str, errors: bool) -> Call[PipelineStats]:
    params = {"include_connector_errors": "true"} if errors else None
    return Call("GET", _path(name, "stats"), PipelineStats.from_wire, params=params)


def connector_stats_call(name: str, table: str, connector: str) -> Call[ConnectorStats]:
    path = _path(name, "tables", table, "connectors", connector, "stats")
    return Call("GET", path, ConnectorStats.from_wire)


def connector_action_call(name: str, table: str, connector: str, action: str) -> Call[None]:
    return Call("POST", _path(name, "tables", table, "connectors", connector, action))


def _rows(body: Any) -> QueryResult:
    """NDJSON, one object a row. A one-row answer decodes as JSON already; none is empty."""
    if body is None or body == "":
        return QueryResult(rows=[])
    if isinstance(body, dict):
        return QueryResult(rows=[body])
    return QueryResult(rows=[json.loads(line) for line in str(body).splitlines() if line.strip()])


def query_call(name: str, sql: str) -> Call[QueryResult]:
    return Call("GET", _path(name, "query"), _rows, params={"sql": sql, "format": "json"})


def _wanted(action: str, paused: bool) -> str:
    return "Paused" if action == "start" and paused else ACTIONS[action]


class _Deadline:
    def __init__(self, timeout: float | None) -> None:
        self.timeout = timeout
        self._at = None if timeout is None else time.monotonic() + timeout

    def check(self, pipeline: Pipeline, wanted: str) -> None:
        if self._at is not None and time.monotonic() >= self._at:
            raise PipelineTimeout(pipeline, wanted, self.timeout or 0)


class Pipelines(SyncResource):
    def list(self) -> builtins.list[Pipeline]:
        return self._t.send(list_call())

    def get(self, name: str) -> Pipeline:
        return self._t.send(get_call(name))

    def create(
        self,
        name: str,
        sql: str | None = None,
        *,
        description: str | None = None,
        tables: Sequence[dict[str, Any]] | None = None,
        views: Sequence[dict[str, Any]] | None = None,
    ) -> Pipeline:
        """A new pipeline from Feldera SQL (`CREATE TABLE ... WITH ('connectors' = ...)`) or
        from tables and views as JSON. It starts stopped."""
        return self._t.send(create_call(name, _definition(name, sql, description, tables, views)))

    def replace(
        self,
        name: str,
        sql: str | None = None,
        *,
        description: str | None = None,
        tables: Sequence[dict[str, Any]] | None = None,
        views: Sequence[dict[str, Any]] | None = None,
    ) -> Pipeline:
        """Create the pipeline, or replace its program while it is stopped."""
        body = _definition(name, sql, description, tables, views)
        return self._t.send(replace_call(name, body))

    def delete(self, name: str) -> None:
        """Delete a stopped pipeline; its tables stay, as datasets with their data."""
        self._t.send(delete_call(name))

    def start(
        self,
        name: str,
        *,
        paused: bool = False,
        wait: bool = True,
        timeout: float | None = WAIT_SECONDS,
    ) -> Pipeline:
        """Start (or, if paused, resume) it; with `paused`, start it Paused."""
        return self._act(name, "start", paused, wait, timeout)

    def pause(
        self, name: str, *, wait: bool = True, timeout: float | None = WAIT_SECONDS
    ) -> Pipeline:
        return self._act(name, "pause", False, wait, timeout)

    def resume(
        self, name: str, *, wait: bool = True, timeout: float | None = WAIT_SECONDS
    ) -> Pipeline:
        return self._act(name, "resume", False, wait, timeout)

    def stop(
        self, name: str, *, wait: bool = True, timeout: float | None = WAIT_SECONDS
    ) -> Pipeline:
        """Stop it: the connectors commit what they buffered first, so nothing is lost."""
        return self._act(name, "stop", False, wait, timeout)

    def wait_for(
        self,
        name: str,
        status: str,
        *,
        timeout: float | None = WAIT_SECONDS,
        interval: float = POLL_SECONDS,
    ) -> Pipeline:
        """The pipeline once its `deployment_status` is `status`; `PipelineTimeout` if not
        by `timeout` seconds."""
        deadline = _Deadline(timeout)
        while True:
            pipeline = self._t.send(get_call(name, "status"))
            if pipeline.status == status:
                return pipeline
            deadline.check(pipeline, status)
            time.sleep(interval)

    def stats(self, name: str, *, errors: bool = False) -> PipelineStats:
        """Totals and every input connector's counters; `errors` adds their recent errors."""
        return self._t.send(stats_call(name, errors))

    def connector_stats(self, name: str, table: str, connector: str) -> ConnectorStats:
        return self._t.send(connector_stats_call(name, table, connector))

    def start_connector(self, name: str, table: str, connector: str) -> None:
        self._t.send(connector_action_call(name, table, connector, "start"))

    def pause_connector(self, name: str, table: str, connector: str) -> None:
        """Stop reading at the source (after committing what it buffered)."""
        self._t.send(connector_action_call(name, table, connector, "pause"))

    def query(self, name: str, sql: str) -> QueryResult:
        """One SELECT over the pipeline's tables and views, whatever its state."""
        return self._t.send(query_call(name, sql))

    def _act(
        self, name: str, action: str, paused: bool, wait: bool, timeout: float | None
    ) -> Pipeline:
        self._t.send(action_call(name, action, paused))
        if not wait:
            return self._t.send(get_call(name, "status"))
        return self.wait_for(name, _wanted(action, paused), timeout=timeout)


class AsyncPipelines(AsyncResource):
    async def list(self) -> builtins.list[Pipeline]:
        return await self._t.send(list_call())

    async def get(self, name: str) -> Pipeline:
        return await self._t.send(get_call(name))

    async def create(
        self,
        name: str,
        sql: str | None = None,
        *,
        description: str | None = None,
        tables: Sequence[dict[str, Any]] | None = None,
        views: Sequence[dict[str, Any]] | None = None,
    ) -> Pipeline:
        body = _definition(name, sql, description, tables, views)
        return await self._t.send(create_call(name, body))

    async def replace(
        self,
        name: str,
        sql: str | None = None,
        *,
        description: str | None = None,
        tables: Sequence[dict[str, Any]] | None = None,
        views: Sequence[dict[str, Any]] | None = None,
    ) -> Pipeline:
        body = _definition(name, sql, description, tables, views)
        return await self._t.send(replace_call(name, body))

    async def delete(self, name: str) -> None:
        await self._t.send(delete_call(name))

    async def start(
        self,
        name: str,
        *,
        paused: bool = False,
        wait: bool = True,
        timeout: float | None = WAIT_SECONDS,
    ) -> Pipeline:
        return await self._act(name, "start", paused, wait, timeout)

    async def pause(
        self, name: str, *, wait: bool = True, timeout: float | None = WAIT_SECONDS
    ) -> Pipeline:
        return await self._act(name, "pause", False, wait, timeout)

    async def resume(
        self, name: str, *, wait: bool = True, timeout: float | None = WAIT_SECONDS
    ) -> Pipeline:
        return await self._act(name, "resume", False, wait, timeout)

    async def stop(
        self, name: str, *, wait: bool = True, timeout: float | None = WAIT_SECONDS
    ) -> Pipeline:
        return await self._act(name, "stop", False, wait, timeout)

    async def wait_for(
        self,
        name: str,
        status: str,
        *,
        timeout: float | None = WAIT_SECONDS,
        interval: float = POLL_SECONDS,
    ) -> Pipeline:
        deadline = _Deadline(timeout)
        while True:
            pipeline = await self._t.send(get_call(name, "status"))
            if pipeline.status == status:
                return pipeline
            deadline.check(pipeline, status)
            await anyio.sleep(interval)

    async def stats(self, name: str, *, errors: bool = False) -> PipelineStats:
        return await self._t.send(stats_call(name, errors))

    async def connector_stats(self, name: str, table: str, connector: str) -> ConnectorStats:
        return await self._t.send(connector_stats_call(name, table, connector))

    async def start_connector(self, name: str, table: str, connector: str) -> None:
        await self._t.send(connector_action_call(name, table, connector, "start"))

    async def pause_connector(self, name: str, table: str, connector: str) -> None:
        await self._t.send(connector_action_call(name, table, connector, "pause"))

    async def query(self, name: str, sql: str) -> QueryResult:
        return await self._t.send(query_call(name, sql))

    async def _act(
        self, name: str, action: str, paused: bool, wait: bool, timeout: float | None
    ) -> Pipeline:
        await self._t.send(action_call(name, action, paused))
        if not wait:
            return await self._t.send(get_call(name, "status"))
        return await self.wait_for(name, _wanted(action, paused), timeout=timeout)
