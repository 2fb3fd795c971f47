"""Executions of a stream: start, read, list, abort, commit, parts, and following one live.

`follow` yields the execution each time its state, phase, rows or bytes change, ending with
the finished one; `wait` returns that last one (raising `ExecutionFailed` unless it
succeeded, if asked). Both poll: the server pushes nothing.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio

from headwater.client._core import Call
from headwater.client._exceptions import ExecutionFailed, WaitTimeout
from headwater.client._models import Execution, Part
from headwater.client._resource import AsyncResource, SyncResource

PAGE = 500
POLL_SECONDS = 0.5


def _base(stream_id: int) -> str:
    return f"/api/data/v1/streams/{stream_id}/executions"


def create_call(stream_id: int, update_method: str | None) -> Call[Execution]:
    body: dict[str, Any] = {"runType": "MANUAL"}
    if update_method:
        body["updateMethod"] = update_method.upper()
    return Call("POST", _base(stream_id), Execution.from_wire, json=body)


def get_call(stream_id: int, execution_id: int) -> Call[Execution]:
    return Call("GET", f"{_base(stream_id)}/{execution_id}", Execution.from_wire)


def page_call(stream_id: int) -> Any:
    def fetch(limit: int, offset: int) -> Call[list[Execution]]:
        params = {"limit": limit, "offset": offset}
        return Call("GET", _base(stream_id), Execution.list_from_wire, params=params)

    return fetch


def abort_call(stream_id: int, execution_id: int | None) -> Call[Execution]:
    path = f"{_base(stream_id)}/{execution_id if execution_id is not None else ''}"
    return Call("PUT", path.rstrip("/") + "/abort", Execution.from_wire, json={})


def commit_call(stream_id: int, execution_id: int, update_method: str | None) -> Call[Execution]:
    body = {"updateMethod": update_method.upper()} if update_method else {}
    return Call("PUT", f"{_base(stream_id)}/{execution_id}/commit", Execution.from_wire, json=body)


def parts_call(stream_id: int, execution_id: int) -> Call[list[Part]]:
    return Call("GET", f"{_base(stream_id)}/{execution_id}/parts", Part.list_from_wire)


def part_call(
    stream_id: int, execution_id: int, part_id: int, content: Any, gzipped: bool
) -> Call[Execution]:
    headers = {"Content-Type": "text/csv"}
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    return Call(
        "PUT",
        f"{_base(stream_id)}/{execution_id}/part/{part_id}",
        Execution.from_wire,
        content=content,
        headers=headers,
    )


def _signature(execution: Execution) -> tuple[Any, ...]:
    return (execution.state, execution.phase, execution.rows, execution.bytes)


def _settle(execution: Execution, raise_on_failure: bool) -> Execution:
    if raise_on_failure and not execution.succeeded:
        raise ExecutionFailed(execution)
    return execution


class Executions(SyncResource):
    def create(self, stream_id: int, *, update_method: str | None = None) -> Execution:
        """Run a connector stream now, or open an upload on an API stream."""
        return self._t.send(create_call(stream_id, update_method))

    def get(self, stream_id: int, execution_id: int) -> Execution:
        return self._t.send(get_call(stream_id, execution_id))

    def list(self, stream_id: int, *, limit: int | None = None) -> builtins.list[Execution]:
        """Newest first."""
        return self._t.collect(page_call(stream_id), PAGE, limit)

    def abort(self, stream_id: int, execution_id: int | None = None) -> Execution:
        """Abort one execution, or the stream's current one when no id is given."""
        return self._t.send(abort_call(stream_id, execution_id))

    def commit(
        self, stream_id: int, execution_id: int, *, update_method: str | None = None
    ) -> Execution:
        return self._t.send(commit_call(stream_id, execution_id, update_method))

    def parts(self, stream_id: int, execution_id: int) -> builtins.list[Part]:
        """The parts that landed: what resuming an upload skips."""
        return self._t.send(parts_call(stream_id, execution_id))

    def upload_part(
        self, stream_id: int, execution_id: int, part_id: int, data: bytes, *, gzipped: bool
    ) -> Execution:
        """One headerless CSV part (gzip it and say so for large parts)."""
        return self._t.send(part_call(stream_id, execution_id, part_id, data, gzipped))

    def follow(
        self,
        stream_id: int,
        execution_id: int,
        *,
        interval: float = POLL_SECONDS,
        timeout: float | None = None,
    ) -> Iterator[Execution]:
        """Yield the execution now and at each change, until it finishes (the last yield)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        seen = None
        while True:
            execution = self.get(stream_id, execution_id)
            if _signature(execution) != seen:
                seen = _signature(execution)
                yield execution
            if execution.finished:
                return
            if deadline is not None and time.monotonic() >= deadline:
                raise WaitTimeout(execution, timeout or 0)
            time.sleep(interval)

    def wait(
        self,
        stream_id: int,
        execution_id: int,
        *,
        timeout: float | None = None,
        interval: float = POLL_SECONDS,
        raise_on_failure: bool = True,
    ) -> Execution:
        """The finished execution; `ExecutionFailed` if it did not succeed (unless told not)."""
        seen = list(self.follow(stream_id, execution_id, interval=interval, timeout=timeout))
        return _settle(seen[-1], raise_on_failure)


class AsyncExecutions(AsyncResource):
    async def create(self, stream_id: int, *, update_method: str | None = None) -> Execution:
        return await self._t.send(create_call(stream_id, update_method))

    async def get(self, stream_id: int, execution_id: int) -> Execution:
        return await self._t.send(get_call(stream_id, execution_id))

    async def list(self, stream_id: int, *, limit: int | None = None) -> builtins.list[Execution]:
        return await self._t.collect(page_call(stream_id), PAGE, limit)

    async def abort(self, stream_id: int, execution_id: int | None = None) -> Execution:
        return await self._t.send(abort_call(stream_id, execution_id))

    async def commit(
        self, stream_id: int, execution_id: int, *, update_method: str | None = None
    ) -> Execution:
        return await self._t.send(commit_call(stream_id, execution_id, update_method))

    async def parts(self, stream_id: int, execution_id: int) -> builtins.list[Part]:
        return await self._t.send(parts_call(stream_id, execution_id))

    async def upload_part(
        self, stream_id: int, execution_id: int, part_id: int, data: bytes, *, gzipped: bool
    ) -> Execution:
        return await self._t.send(part_call(stream_id, execution_id, part_id, data, gzipped))

    async def follow(
        self,
        stream_id: int,
        execution_id: int,
        *,
        interval: float = POLL_SECONDS,
        timeout: float | None = None,
    ) -> AsyncIterator[Execution]:
        deadline = None if timeout is None else time.monotonic() + timeout
        seen = None
        while True:
            execution = await self.get(stream_id, execution_id)
            if _signature(execution) != seen:
                seen = _signature(execution)
                yield execution
            if execution.finished:
                return
            if deadline is not None and time.monotonic() >= deadline:
                raise WaitTimeout(execution, timeout or 0)
            await anyio.sleep(interval)

    async def wait(
        self,
        stream_id: int,
        execution_id: int,
        *,
        timeout: float | None = None,
        interval: float = POLL_SECONDS,
        raise_on_failure: bool = True,
    ) -> Execution:
        last: Execution | None = None
        async for change in self.follow(
            stream_id, execution_id, interval=interval, timeout=timeout
        ):
            last = change
        assert last is not None  # follow yields at least once
        return _settle(last, raise_on_failure)
