"""Datasets: create, read, list, update, delete, share, revoke, permissions, query, export,
and their data versions (list, restore) and quality checks."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import anyio

from headwater.client._core import Call
from headwater.client._models import (
    Check,
    Checks,
    Dataset,
    Execution,
    Permission,
    QueryResult,
    Version,
)
from headwater.client._resource import (
    AsyncResource,
    ColumnsIn,
    SyncResource,
    columns_json,
    grant_json,
)

BASE = "/api/data/v3/datasources"
PAGE = 500
Progress = Callable[[int], None]


def _permissions(body: Any) -> list[Permission]:
    return Permission.list_from_wire((body or {}).get("list", []))


def create_call(
    name: str, columns: ColumnsIn | None, description: str, tags: Sequence[str] | None
) -> Call[Dataset]:
    body: dict[str, Any] = {"name": name, "description": description}
    if columns is not None:
        body["schema"] = {"columns": columns_json(columns)}
    if tags is not None:
        body["tags"] = list(tags)
    return Call("POST", BASE, Dataset.from_wire, json=body)


def get_call(dataset_id: str) -> Call[Dataset]:
    return Call("GET", f"{BASE}/{dataset_id}", Dataset.from_wire)


def page_call(name_like: str | None) -> Callable[[int, int], Call[list[Dataset]]]:
    def fetch(limit: int, offset: int) -> Call[list[Dataset]]:
        params = {"limit": limit, "offset": offset, "nameLike": name_like}
        return Call("GET", BASE, Dataset.list_from_wire, params=params)

    return fetch


def update_call(
    dataset_id: str,
    name: str | None,
    description: str | None,
    tags: Sequence[str] | None,
    columns: ColumnsIn | None,
) -> Call[Dataset]:
    body: dict[str, Any] = {}
    if name is not None:
        body["name"] = name
    if description is not None:
        body["description"] = description
    if tags is not None:
        body["tags"] = list(tags)
    if columns is not None:
        body["schema"] = {"columns": columns_json(columns)}
    return Call("PUT", f"{BASE}/{dataset_id}", Dataset.from_wire, json=body)


def delete_call(dataset_id: str, hard: bool) -> Call[None]:
    return Call(
        "DELETE", f"{BASE}/{dataset_id}", params={"deleteMethod": "hard" if hard else "soft"}
    )


def share_call(
    dataset_id: str, principal_id: int, level: str, group: bool
) -> Call[list[Permission]]:
    body = {"permissions": [grant_json(principal_id, level, group)], "sendEmail": False}
    return Call("POST", f"{BASE}/{dataset_id}/share", _permissions, json=body)


def revoke_call(dataset_id: str, principal_id: int, group: bool) -> Call[None]:
    kind = "GROUP" if group else "USER"
    return Call("DELETE", f"{BASE}/{dataset_id}/permissions/{kind}/{principal_id}")


def permissions_call(dataset_id: str) -> Call[list[Permission]]:
    return Call("GET", f"{BASE}/{dataset_id}/permissions", _permissions)


def query_call(dataset_id: str, sql: str, version: int | None = None) -> Call[QueryResult]:
    body: dict[str, Any] = {"sql": sql}
    if version is not None:
        body["dataVersion"] = version
    return Call(
        "POST",
        f"/api/query/v1/execute/{dataset_id}",
        lambda answer: QueryResult(rows=answer or []),
        json=body,
    )


def versions_call(dataset_id: str) -> Callable[[int, int], Call[list[Version]]]:
    def fetch(limit: int, offset: int) -> Call[list[Version]]:
        params = {"limit": limit, "offset": offset}
        return Call("GET", f"{BASE}/{dataset_id}/versions", Version.list_from_wire, params=params)

    return fetch


def restore_call(dataset_id: str, version: int) -> Call[Execution]:
    return Call("POST", f"{BASE}/{dataset_id}/versions/{version}/restore", Execution.from_wire)


def export_call(dataset_id: str, include_header: bool) -> Call[None]:
    return Call(
        "GET",
        f"/api/data/v2/datasources/{dataset_id}/dataversions/latest",
        params={"includeHeader": "true" if include_header else "false"},
        headers={"Accept": "text/csv"},
    )


CheckIn = Check | Mapping[str, Any]


def checks_call(dataset_id: str) -> Call[Checks]:
    return Call("GET", f"{BASE}/{dataset_id}/checks", Checks.from_wire)


def set_checks_call(dataset_id: str, checks: Sequence[CheckIn], on_failure: str) -> Call[Checks]:
    body = {
        "onFailure": on_failure.upper(),
        "checks": [c.to_wire() if isinstance(c, Check) else dict(c) for c in checks],
    }
    return Call("PUT", f"{BASE}/{dataset_id}/checks", Checks.from_wire, json=body)


class Datasets(SyncResource):
    def create(
        self,
        name: str,
        columns: ColumnsIn | None = None,
        *,
        description: str = "",
        tags: Sequence[str] | None = None,
    ) -> Dataset:
        """A new dataset; `columns` as `("name", "LONG")`, `"name:LONG"` or `Column`s."""
        return self._t.send(create_call(name, columns, description, tags))

    def get(self, dataset_id: str) -> Dataset:
        return self._t.send(get_call(dataset_id))

    def list(
        self, *, name_like: str | None = None, limit: int | None = None
    ) -> builtins.list[Dataset]:
        """Every dataset you can see (paged through), or the first `limit`."""
        return self._t.collect(page_call(name_like), PAGE, limit)

    def update(
        self,
        dataset_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        tags: Sequence[str] | None = None,
        columns: ColumnsIn | None = None,
    ) -> Dataset:
        return self._t.send(update_call(dataset_id, name, description, tags, columns))

    def delete(self, dataset_id: str, *, hard: bool = False) -> None:
        """Soft delete by default; `hard=True` also removes the data files."""
        self._t.send(delete_call(dataset_id, hard))

    def share(
        self, dataset_id: str, principal_id: int, level: str = "CAN_VIEW", *, group: bool = False
    ) -> builtins.list[Permission]:
        return self._t.send(share_call(dataset_id, principal_id, level, group))

    def revoke(self, dataset_id: str, principal_id: int, *, group: bool = False) -> None:
        self._t.send(revoke_call(dataset_id, principal_id, group))

    def permissions(self, dataset_id: str) -> builtins.list[Permission]:
        return self._t.send(permissions_call(dataset_id))

    def query(self, dataset_id: str, sql: str, *, version: int | None = None) -> QueryResult:
        """`sql` names the dataset as `table`: `SELECT region, SUM(n) FROM table GROUP BY 1`.
        `version`: read that version of the data (see `versions`) rather than the current."""
        return self._t.send(query_call(dataset_id, sql, version))

    def versions(self, dataset_id: str, *, limit: int | None = None) -> builtins.list[Version]:
        """The data's versions, newest first (paged through), or the first `limit`."""
        return self._t.collect(versions_call(dataset_id), PAGE, limit)

    def restore(self, dataset_id: str, version: int) -> Execution:
        """Make `version` the current data again, as a new version (needs CAN_EDIT). The
        execution that did it; `NotFound`, `Conflict` or `Gone` (VERSION_EXPIRED) when it
        cannot."""
        return self._t.send(restore_call(dataset_id, version))

    def checks(self, dataset_id: str) -> Checks:
        """The dataset's quality checks and what a load that fails them does."""
        return self._t.send(checks_call(dataset_id))

    def set_checks(
        self, dataset_id: str, checks: Sequence[CheckIn], *, on_failure: str = "FAIL"
    ) -> Checks:
        """Replace the dataset's checks (`[]` removes them). Each is a `Check` or its JSON
        form, e.g. `{"name": "id present", "type": "NOT_NULL", "column": "id"}`;
        `on_failure` is FAIL or QUARANTINE."""
        return self._t.send(set_checks_call(dataset_id, checks, on_failure))

    def export(
        self,
        dataset_id: str,
        destination: str | Path | IO[bytes],
        *,
        include_header: bool = True,
        on_progress: Progress | None = None,
    ) -> int:
        """Write the committed data as CSV to a path or a binary file; the bytes written."""
        with (
            self._t.stream(export_call(dataset_id, include_header)) as r,
            _sink(destination) as out,
        ):
            written = 0
            for chunk in r.iter_bytes():
                out.write(chunk)
                written += len(chunk)
                if on_progress:
                    on_progress(len(chunk))
            return written


class AsyncDatasets(AsyncResource):
    async def create(
        self,
        name: str,
        columns: ColumnsIn | None = None,
        *,
        description: str = "",
        tags: Sequence[str] | None = None,
    ) -> Dataset:
        return await self._t.send(create_call(name, columns, description, tags))

    async def get(self, dataset_id: str) -> Dataset:
        return await self._t.send(get_call(dataset_id))

    async def list(
        self, *, name_like: str | None = None, limit: int | None = None
    ) -> builtins.list[Dataset]:
        return await self._t.collect(page_call(name_like), PAGE, limit)

    async def update(
        self,
        dataset_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        tags: Sequence[str] | None = None,
        columns: ColumnsIn | None = None,
    ) -> Dataset:
        return await self._t.send(update_call(dataset_id, name, description, tags, columns))

    async def delete(self, dataset_id: str, *, hard: bool = False) -> None:
        await self._t.send(delete_call(dataset_id, hard))

    async def share(
        self, dataset_id: str, principal_id: int, level: str = "CAN_VIEW", *, group: bool = False
    ) -> builtins.list[Permission]:
        return await self._t.send(share_call(dataset_id, principal_id, level, group))

    async def revoke(self, dataset_id: str, principal_id: int, *, group: bool = False) -> None:
        await self._t.send(revoke_call(dataset_id, principal_id, group))

    async def permissions(self, dataset_id: str) -> builtins.list[Permission]:
        return await self._t.send(permissions_call(dataset_id))

    async def query(self, dataset_id: str, sql: str, *, version: int | None = None) -> QueryResult:
        return await self._t.send(query_call(dataset_id, sql, version))

    async def versions(
        self, dataset_id: str, *, limit: int | None = None
    ) -> builtins.list[Version]:
        return await self._t.collect(versions_call(dataset_id), PAGE, limit)

    async def restore(self, dataset_id: str, version: int) -> Execution:
        return await self._t.send(restore_call(dataset_id, version))

    async def checks(self, dataset_id: str) -> Checks:
        return await self._t.send(checks_call(dataset_id))

    async def set_checks(
        self, dataset_id: str, checks: Sequence[CheckIn], *, on_failure: str = "FAIL"
    ) -> Checks:
        return await self._t.send(set_checks_call(dataset_id, checks, on_failure))

    async def export(
        self,
        dataset_id: str,
        destination: str | Path,
        *,
        include_header: bool = True,
        on_progress: Progress | None = None,
    ) -> int:
        written = 0
        final = Path(destination)
        partial = final.with_name(final.name + ".part")
        async with self._t.stream(export_call(dataset_id, include_header)) as r:
            try:
                async with await anyio.open_file(partial, "wb") as out:
                    async for chunk in r.aiter_bytes():
                        await out.write(chunk)
                        written += len(chunk)
                        if on_progress:
                            on_progress(len(chunk))
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
        partial.replace(final)
        return written


@contextmanager
def _sink(destination: str | Path | IO[bytes]) -> Iterator[IO[bytes]]:
    """A file the caller owns (left open), or a path: written as `<path>.part` and renamed
    when complete, so a failed export never leaves a truncated file under the real name."""
    if not isinstance(destination, str | Path):
        yield destination
        return
    final = Path(destination)
    partial = final.with_name(final.name + ".part")
    try:
        with partial.open("wb") as out:
            yield out
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(final)
