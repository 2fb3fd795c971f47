"""Streams: create (with a new dataset or an existing one), read, list, update, delete,
search, and their execution history."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any

from headwater.client._core import Call
from headwater.client._models import HistoryEntry, Stream
from headwater.client._resource import AsyncResource, ColumnsIn, SyncResource, columns_json

BASE = "/api/data/v1/streams"
PAGE = 500
ALL = {"fields": "all"}

Configuration = Mapping[str, Any] | Sequence[Mapping[str, Any]]


def _configuration(configuration: Configuration) -> list[dict[str, Any]]:
    if isinstance(configuration, Mapping):
        return [{"name": k, "value": v} for k, v in configuration.items()]
    return [dict(entry) for entry in configuration]


def create_call(
    name: str | None,
    columns: ColumnsIn | None,
    *,
    dataset_id: str | None,
    description: str,
    provider: str | None,
    configuration: Configuration | None,
    account_id: int | None,
    update_method: str,
    key_columns: Sequence[str] | None,
    schedule: Mapping[str, Any] | None,
    schema_policy: str | None = None,
) -> Call[Stream]:
    if (name is None) == (dataset_id is None):
        raise ValueError("give a name (for a new dataset) or the dataset_id of an existing one")
    data_source: dict[str, Any] = (
        {"id": dataset_id} if dataset_id else {"name": name, "description": description}
    )
    if columns is not None and not dataset_id:
        data_source["schema"] = {"columns": columns_json(columns)}
    body: dict[str, Any] = {
        "transport": {"type": "CONNECTOR" if provider else "API", "version": "1"},
        "dataSource": data_source,
        "updateMethod": update_method.upper(),
    }
    if provider:
        body["dataProvider"] = {"key": provider}
    if configuration is not None:
        body["configuration"] = _configuration(configuration)
    if account_id is not None:
        body["account"] = {"id": account_id}
    if key_columns:
        body["keyColumnNames"] = list(key_columns)
    if schedule is not None:
        body["schedule"] = dict(schedule)
    if schema_policy is not None:
        body["schemaPolicy"] = schema_policy.upper()
    return Call("POST", BASE, Stream.from_wire, json=body)


def get_call(stream_id: int) -> Call[Stream]:
    return Call("GET", f"{BASE}/{stream_id}", Stream.from_wire, params=ALL)


def page_call(limit: int, offset: int) -> Call[list[Stream]]:
    params = {**ALL, "limit": limit, "offset": offset}
    return Call("GET", BASE, Stream.list_from_wire, params=params)


def update_call(
    stream_id: int,
    *,
    configuration: Configuration | None,
    account_id: int | None,
    columns: ColumnsIn | None,
    dataset_name: str | None,
    dataset_description: str | None,
) -> Call[Stream]:
    body: dict[str, Any] = {}
    if configuration is not None:
        body["configuration"] = _configuration(configuration)
    if account_id is not None:
        body["account"] = {"id": account_id}
    if columns is not None:
        body["schemaDefinition"] = {"columns": columns_json(columns)}
    source = {
        k: v
        for k, v in (("name", dataset_name), ("description", dataset_description))
        if v is not None
    }
    if source:
        body["dataSource"] = source
    return Call("PUT", f"{BASE}/{stream_id}", Stream.from_wire, json=body)


def schedule_call(stream_id: int, body: dict[str, Any]) -> Call[Stream]:
    """`schedule` (null removes it) and `scheduleActive` (false pauses, true resumes)."""
    return Call("PUT", f"{BASE}/{stream_id}", Stream.from_wire, json=body)


def delete_call(stream_id: int) -> Call[None]:
    return Call("DELETE", f"{BASE}/{stream_id}")


def search_call(query: str) -> Call[list[Stream]]:
    return Call("GET", f"{BASE}/search", Stream.list_from_wire, params={**ALL, "q": query})


def history_call(stream_id: int) -> Call[list[HistoryEntry]]:
    return Call("GET", f"{BASE}/{stream_id}/history/aggregate", HistoryEntry.list_from_wire)


class Streams(SyncResource):
    def create(
        self,
        name: str | None = None,
        columns: ColumnsIn | None = None,
        *,
        dataset_id: str | None = None,
        description: str = "",
        provider: str | None = None,
        configuration: Configuration | None = None,
        account_id: int | None = None,
        update_method: str = "REPLACE",
        key_columns: Sequence[str] | None = None,
        schedule: Mapping[str, Any] | None = None,
        schema_policy: str | None = None,
    ) -> Stream:
        """An API stream (uploads) or, with `provider`, a connector stream; it feeds a new
        dataset called `name` or the existing `dataset_id`. `schema_policy`: EVOLVE (the
        default), STRICT or IGNORE_NEW, what a load with other columns does."""
        return self._t.send(
            create_call(
                name,
                columns,
                dataset_id=dataset_id,
                description=description,
                provider=provider,
                configuration=configuration,
                account_id=account_id,
                update_method=update_method,
                key_columns=key_columns,
                schedule=schedule,
                schema_policy=schema_policy,
            )
        )

    def get(self, stream_id: int) -> Stream:
        return self._t.send(get_call(stream_id))

    def list(self, *, limit: int | None = None) -> builtins.list[Stream]:
        return self._t.collect(page_call, PAGE, limit)

    def update(
        self,
        stream_id: int,
        *,
        configuration: Configuration | None = None,
        account_id: int | None = None,
        columns: ColumnsIn | None = None,
        dataset_name: str | None = None,
        dataset_description: str | None = None,
    ) -> Stream:
        return self._t.send(
            update_call(
                stream_id,
                configuration=configuration,
                account_id=account_id,
                columns=columns,
                dataset_name=dataset_name,
                dataset_description=dataset_description,
            )
        )

    def delete(self, stream_id: int) -> None:
        self._t.send(delete_call(stream_id))

    def set_schedule(self, stream_id: int, schedule: Mapping[str, Any] | None) -> Stream:
        """Run the connector on `schedule` (`{"cron": "0 2 * * *"}`, ...); None: never."""
        body = {"schedule": dict(schedule) if schedule is not None else None}
        return self._t.send(schedule_call(stream_id, body))

    def set_schema_policy(self, stream_id: int, policy: str) -> Stream:
        """EVOLVE, STRICT or IGNORE_NEW: what the stream's loads do when their columns
        differ from the dataset's."""
        return self._t.send(schedule_call(stream_id, {"schemaPolicy": policy.upper()}))

    def pause_schedule(self, stream_id: int) -> Stream:
        """Stop the scheduled runs; the schedule is kept."""
        return self._t.send(schedule_call(stream_id, {"scheduleActive": False}))

    def resume_schedule(self, stream_id: int) -> Stream:
        """Run on the schedule again, from now (ticks missed while paused are not caught up)."""
        return self._t.send(schedule_call(stream_id, {"scheduleActive": True}))

    def search(self, query: str) -> builtins.list[Stream]:
        """`dataSource.id:<id>`, `dataSource.name:<name*>`, `transport.type:API`, ..."""
        return self._t.send(search_call(query))

    def for_dataset(self, dataset_id: str) -> Stream | None:
        found = self.search(f"dataSource.id:{dataset_id}")
        return found[0] if found else None

    def history(self, stream_id: int) -> builtins.list[HistoryEntry]:
        return self._t.send(history_call(stream_id))


class AsyncStreams(AsyncResource):
    async def create(
        self,
        name: str | None = None,
        columns: ColumnsIn | None = None,
        *,
        dataset_id: str | None = None,
        description: str = "",
        provider: str | None = None,
        configuration: Configuration | None = None,
        account_id: int | None = None,
        update_method: str = "REPLACE",
        key_columns: Sequence[str] | None = None,
        schedule: Mapping[str, Any] | None = None,
        schema_policy: str | None = None,
    ) -> Stream:
        return await self._t.send(
            create_call(
                name,
                columns,
                dataset_id=dataset_id,
                description=description,
                provider=provider,
                configuration=configuration,
                account_id=account_id,
                update_method=update_method,
                key_columns=key_columns,
                schedule=schedule,
                schema_policy=schema_policy,
            )
        )

    async def get(self, stream_id: int) -> Stream:
        return await self._t.send(get_call(stream_id))

    async def list(self, *, limit: int | None = None) -> builtins.list[Stream]:
        return await self._t.collect(page_call, PAGE, limit)

    async def update(
        self,
        stream_id: int,
        *,
        configuration: Configuration | None = None,
        account_id: int | None = None,
        columns: ColumnsIn | None = None,
        dataset_name: str | None = None,
        dataset_description: str | None = None,
    ) -> Stream:
        return await self._t.send(
            update_call(
                stream_id,
                configuration=configuration,
                account_id=account_id,
                columns=columns,
                dataset_name=dataset_name,
                dataset_description=dataset_description,
            )
        )

    async def delete(self, stream_id: int) -> None:
        await self._t.send(delete_call(stream_id))

    async def set_schedule(self, stream_id: int, schedule: Mapping[str, Any] | None) -> Stream:
        body = {"schedule": dict(schedule) if schedule is not None else None}
        return await self._t.send(schedule_call(stream_id, body))

    async def set_schema_policy(self, stream_id: int, policy: str) -> Stream:
        return await self._t.send(schedule_call(stream_id, {"schemaPolicy": policy.upper()}))

    async def pause_schedule(self, stream_id: int) -> Stream:
        return await self._t.send(schedule_call(stream_id, {"scheduleActive": False}))

    async def resume_schedule(self, stream_id: int) -> Stream:
        return await self._t.send(schedule_call(stream_id, {"scheduleActive": True}))

    async def search(self, query: str) -> builtins.list[Stream]:
        return await self._t.send(search_call(query))

    async def for_dataset(self, dataset_id: str) -> Stream | None:
        found = await self.search(f"dataSource.id:{dataset_id}")
        return found[0] if found else None

    async def history(self, stream_id: int) -> builtins.list[HistoryEntry]:
        return await self._t.send(history_call(stream_id))
