"""Uploading a CSV file: parallel gzip parts, retried one by one, resumable, then one commit.

The file is cut into parts on record boundaries (`_upload_plan`); each part is read and
compressed as it is sent, so memory stays at a block per part in flight, and a retried part
is simply read again. A part that still fails after its retries leaves the execution open and
raises `UploadIncomplete`; `upload(..., resume=execution_id)` asks the server which parts
landed (`GET .../executions/{id}/parts`) and sends only the others. Rows that do not fit are a
`BadData` naming the line of the file; the execution is then aborted. Nothing reaches the
dataset before the commit, and the commit lands every part or none.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from headwater.client import _exceptions as errors
from headwater.client._core import Call
from headwater.client._datasets import get_call
from headwater.client._executions import (
    AsyncExecutions,
    Executions,
    commit_call,
    part_call,
)
from headwater.client._models import Dataset, Execution, Stream, UploadResult
from headwater.client._resource import AsyncResource, SyncResource
from headwater.client._retry import RetryConfig
from headwater.client._streams import get_call as stream_call
from headwater.client._transport import AsyncTransport, SyncTransport
from headwater.client._upload_plan import PartSpan, UploadPlan, plan, read_part, restate_line

DEFAULT_PART_SIZE = 32 * 1024 * 1024
DEFAULT_PARALLEL = 4
DEFAULT_GZIP_LEVEL = 1  # 90 MB/s a core on CSV at 0.27 of the size; level 6 is 3x slower
# Parts get more patience than single calls: a dropped connection costs only that part.
PART_RETRY = RetryConfig(max_retries=5, initial_backoff=0.5, max_backoff=30.0)
# Errors worth retrying later by resuming; anything else is the data's or the caller's fault.
TRANSIENT = (errors.RequestError, errors.ServerError, errors.RateLimited)


@dataclass(frozen=True)
class UploadProgress:
    bytes_done: int
    bytes_total: int
    parts_done: int
    parts_total: int


OnProgress = Callable[[UploadProgress], None]


@dataclass
class _Tally:
    """Progress across parts in flight; a retried part starts its count again."""

    total: int
    parts_total: int
    on_progress: OnProgress | None
    done: int = 0
    parts_done: int = 0
    sent: int = 0
    _per_part: dict[int, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def restart(self, part_id: int) -> None:
        with self._lock:
            self.done -= self._per_part.pop(part_id, 0)
            update = self._snapshot()
        self._emit(update)

    def advance(self, part_id: int, raw: int, wire: int) -> None:
        with self._lock:
            self._per_part[part_id] = self._per_part.get(part_id, 0) + raw
            self.done += raw
            self.sent += wire
            update = self._snapshot()
        self._emit(update)

    def finish(self, span: PartSpan) -> None:
        with self._lock:
            self.done += span.length - self._per_part.pop(span.part_id, 0)
            self.parts_done += 1
            update = self._snapshot()
        self._emit(update)

    def _snapshot(self) -> UploadProgress:
        return UploadProgress(self.done, self.total, self.parts_done, self.parts_total)

    def _emit(self, update: UploadProgress) -> None:
        # outside the lock: the callback may draw on a terminal, and parts should not wait
        if self.on_progress:
            self.on_progress(update)


def open_call(dataset_id: str) -> Call[dict[str, Any]]:
    """Open an upload on the dataset's stream (made on first use): `{"uploadId": ...}`."""
    return Call("POST", f"/api/data/v3/datasources/{dataset_id}/uploads", dict, json={})


def _check_header(upload: UploadPlan, dataset: Dataset) -> None:
    if upload.header is None or not dataset.columns:
        return
    expected = [c.name for c in dataset.columns]
    if [h.strip() for h in upload.header] != expected:
        raise ValueError(
            f"the header of {upload.path.name} ({', '.join(upload.header)}) does not match the "
            f"columns of dataset {dataset.id} ({', '.join(expected)}); reorder the file, or "
            "pass has_header=False if its first line is data"
        )


def _check_stream(stream: Stream) -> None:
    if not stream.takes_uploads:
        raise ValueError(
            f"stream {stream.id} is fed by the {stream.provider or stream.transport} connector; "
            "uploads go to API streams"
        )


def _failure(
    stream_id: int, execution_id: int, failed: dict[int, BaseException], upload: UploadPlan
) -> errors.UploadIncomplete:
    first = next(iter(failed.values()))
    ids = sorted(failed)
    return errors.UploadIncomplete(
        f"{len(ids)} of {len(upload.parts)} parts of {upload.path.name} did not land ({first}); "
        f"nothing was committed. Resume execution {execution_id} to send only those parts",
        stream_id=stream_id,
        execution_id=execution_id,
        failed_parts=ids,
        cause=first,
    )


def _located(error: errors.APIError, span: PartSpan, path: Path) -> errors.APIError:
    """The server's error about a part, restated with the line of the file."""
    if isinstance(error, errors.BadData):
        restated = errors.BadData(
            restate_line(error.message, span, path),
            status_code=error.status_code,
            code=error.code,
            toe=error.toe,
            body=error.body,
            response=error.response,
        )
        line = error.line
        if line is not None and isinstance(restated.body, dict):
            restated.body = {
                **restated.body,
                "line": span.first_line + line - 1,
                "part": span.part_id,
            }
        return restated
    return error


def _landed(parts: list[PartSpan], landed: set[int], upload: UploadPlan) -> list[PartSpan]:
    unknown = landed - {p.part_id for p in parts}
    if unknown:
        raise ValueError(
            f"the execution holds parts {sorted(unknown)} that {upload.path.name} does not cut "
            "into: resume with the same file and part size"
        )
    return [p for p in parts if p.part_id not in landed]


class Uploads(SyncResource):
    def __init__(self, transport: SyncTransport, executions: Executions) -> None:
        super().__init__(transport)
        self._executions = executions

    def upload(
        self,
        dataset_id: str,
        path: str | Path,
        *,
        update_method: str | None = None,
        has_header: bool = True,
        part_size: int = DEFAULT_PART_SIZE,
        parallel: int = DEFAULT_PARALLEL,
        gzip_level: int = DEFAULT_GZIP_LEVEL,
        resume: int | None = None,
        part_retry: RetryConfig = PART_RETRY,
        on_progress: OnProgress | None = None,
    ) -> UploadResult:
        """Upload a CSV file into a dataset and commit it (REPLACE unless the dataset's stream
        or `update_method` says otherwise). `resume` continues an execution that
        `UploadIncomplete` left open."""

        upload = plan(Path(path), part_size, has_header)
        dataset = self._t.send(get_call(dataset_id))
        _check_header(upload, dataset)
        if dataset.stream_id is not None:
            _check_stream(self._t.send(stream_call(dataset.stream_id)))
        if resume is None:
            opened = self._t.send(open_call(dataset_id))
            execution_id = int(opened["uploadId"])
            dataset = self._t.send(get_call(dataset_id))
        else:
            execution_id = resume
        assert dataset.stream_id is not None
        return self._run(
            dataset.stream_id,
            execution_id,
            upload,
            resume is not None,
            update_method,
            parallel,
            gzip_level,
            part_retry,
            on_progress,
        )

    def upload_to_stream(
        self,
        stream_id: int,
        path: str | Path,
        *,
        update_method: str | None = None,
        has_header: bool = True,
        part_size: int = DEFAULT_PART_SIZE,
        parallel: int = DEFAULT_PARALLEL,
        gzip_level: int = DEFAULT_GZIP_LEVEL,
        resume: int | None = None,
        part_retry: RetryConfig = PART_RETRY,
        on_progress: OnProgress | None = None,
    ) -> UploadResult:
        """The same, into an API stream's dataset."""

        upload = plan(Path(path), part_size, has_header)
        stream = self._t.send(stream_call(stream_id))
        _check_stream(stream)
        assert stream.dataset_id is not None
        _check_header(upload, self._t.send(get_call(stream.dataset_id)))
        execution_id = resume if resume is not None else self._executions.create(stream_id).id
        return self._run(
            stream_id,
            execution_id,
            upload,
            resume is not None,
            update_method,
            parallel,
            gzip_level,
            part_retry,
            on_progress,
        )

    def _run(
        self,
        stream_id: int,
        execution_id: int,
        upload: UploadPlan,
        resuming: bool,
        update_method: str | None,
        parallel: int,
        gzip_level: int,
        part_retry: RetryConfig,
        on_progress: OnProgress | None,
    ) -> UploadResult:
        todo = upload.parts
        if resuming:
            current = self._executions.get(stream_id, execution_id)
            if current.finished:
                raise errors.ExecutionFailed(current)
            landed = {p.part_id for p in self._executions.parts(stream_id, execution_id)}
            todo = _landed(upload.parts, landed, upload)
        tally = _Tally(upload.data_bytes, len(upload.parts), on_progress)
        sending = {span.part_id for span in todo}
        for span in upload.parts:
            if span.part_id not in sending:
                tally.finish(span)
        failed: dict[int, BaseException] = {}
        fatal: list[tuple[PartSpan, errors.APIError]] = []

        def send(span: PartSpan) -> None:
            if fatal:
                return
            call = part_call(
                stream_id,
                execution_id,
                span.part_id,
                self._body(upload, span, gzip_level, tally),
                gzipped=gzip_level > 0,
            )
            try:
                self._t.send(call, retry=part_retry)
            except TRANSIENT as exc:
                failed[span.part_id] = exc
            except errors.APIError as exc:
                fatal.append((span, exc))
            else:
                tally.finish(span)

        with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
            list(pool.map(send, todo))
        if fatal:
            span, error = fatal[0]
            _abort_quietly(lambda: self._executions.abort(stream_id, execution_id))
            raise _located(error, span, upload.path) from error
        if failed:
            raise _failure(stream_id, execution_id, failed, upload)
        done = self._commit(stream_id, execution_id, update_method)
        return UploadResult(
            execution=done,
            parts=len(upload.parts),
            parts_resumed=len(upload.parts) - len(todo),
            bytes_read=upload.data_bytes,
            bytes_sent=tally.sent,
        )

    @staticmethod
    def _body(
        upload: UploadPlan, span: PartSpan, gzip_level: int, tally: _Tally
    ) -> Callable[[], Iterator[bytes]]:
        def body() -> Iterator[bytes]:
            tally.restart(span.part_id)
            for data, raw in read_part(upload.path, span, gzip_level):
                tally.advance(span.part_id, raw, len(data))
                if data:
                    yield data

        return body

    def _commit(self, stream_id: int, execution_id: int, update_method: str | None) -> Execution:
        try:
            return self._t.send(commit_call(stream_id, execution_id, update_method))
        except (errors.Conflict, errors.RequestError):
            # the commit may have landed before the answer was lost: ask how it ended
            done = self._executions.wait(stream_id, execution_id, raise_on_failure=False)
        if not done.succeeded:
            raise errors.ExecutionFailed(done)
        return done


class AsyncUploads(AsyncResource):
    def __init__(self, transport: AsyncTransport, executions: AsyncExecutions) -> None:
        super().__init__(transport)
        self._executions = executions

    async def upload(
        self,
        dataset_id: str,
        path: str | Path,
        *,
        update_method: str | None = None,
        has_header: bool = True,
        part_size: int = DEFAULT_PART_SIZE,
        parallel: int = DEFAULT_PARALLEL,
        gzip_level: int = DEFAULT_GZIP_LEVEL,
        resume: int | None = None,
        part_retry: RetryConfig = PART_RETRY,
        on_progress: OnProgress | None = None,
    ) -> UploadResult:

        upload = await anyio.to_thread.run_sync(plan, Path(path), part_size, has_header)
        dataset = await self._t.send(get_call(dataset_id))
        _check_header(upload, dataset)
        if dataset.stream_id is not None:
            _check_stream(await self._t.send(stream_call(dataset.stream_id)))
        if resume is None:
            opened = await self._t.send(open_call(dataset_id))
            execution_id = int(opened["uploadId"])
            dataset = await self._t.send(get_call(dataset_id))
        else:
            execution_id = resume
        assert dataset.stream_id is not None
        return await self._run(
            dataset.stream_id,
            execution_id,
            upload,
            resume is not None,
            update_method,
            parallel,
            gzip_level,
            part_retry,
            on_progress,
        )

    async def upload_to_stream(
        self,
        stream_id: int,
        path: str | Path,
        *,
        update_method: str | None = None,
        has_header: bool = True,
        part_size: int = DEFAULT_PART_SIZE,
        parallel: int = DEFAULT_PARALLEL,
        gzip_level: int = DEFAULT_GZIP_LEVEL,
        resume: int | None = None,
        part_retry: RetryConfig = PART_RETRY,
        on_progress: OnProgress | None = None,
    ) -> UploadResult:

        upload = await anyio.to_thread.run_sync(plan, Path(path), part_size, has_header)
        stream = await self._t.send(stream_call(stream_id))
        _check_stream(stream)
        assert stream.dataset_id is not None
        _check_header(upload, await self._t.send(get_call(stream.dataset_id)))
        execution_id = resume
        if execution_id is None:
            execution_id = (await self._executions.create(stream_id)).id
        return await self._run(
            stream_id,
            execution_id,
            upload,
            resume is not None,
            update_method,
            parallel,
            gzip_level,
            part_retry,
            on_progress,
        )

    async def _run(
        self,
        stream_id: int,
        execution_id: int,
        upload: UploadPlan,
        resuming: bool,
        update_method: str | None,
        parallel: int,
        gzip_level: int,
        part_retry: RetryConfig,
        on_progress: OnProgress | None,
    ) -> UploadResult:
        todo = upload.parts
        if resuming:
            current = await self._executions.get(stream_id, execution_id)
            if current.finished:
                raise errors.ExecutionFailed(current)
            landed = {p.part_id for p in await self._executions.parts(stream_id, execution_id)}
            todo = _landed(upload.parts, landed, upload)
        tally = _Tally(upload.data_bytes, len(upload.parts), on_progress)
        sending = {span.part_id for span in todo}
        for span in upload.parts:
            if span.part_id not in sending:
                tally.finish(span)
        failed: dict[int, BaseException] = {}
        fatal: list[tuple[PartSpan, errors.APIError]] = []
        limiter = anyio.CapacityLimiter(max(1, parallel))

        async def send(span: PartSpan, scope: anyio.CancelScope) -> None:
            async with limiter:
                call = part_call(
                    stream_id,
                    execution_id,
                    span.part_id,
                    self._body(upload, span, gzip_level, tally),
                    gzipped=gzip_level > 0,
                )
                try:
                    await self._t.send(call, retry=part_retry)
                except TRANSIENT as exc:
                    failed[span.part_id] = exc
                except errors.APIError as exc:
                    fatal.append((span, exc))
                    scope.cancel()
                else:
                    tally.finish(span)

        async with anyio.create_task_group() as group:
            for span in todo:
                group.start_soon(send, span, group.cancel_scope)
        if fatal:
            span, error = fatal[0]
            with contextlib.suppress(errors.HeadwaterError):  # best effort, as in the sync path
                await self._executions.abort(stream_id, execution_id)
            raise _located(error, span, upload.path) from error
        if failed:
            raise _failure(stream_id, execution_id, failed, upload)
        done = await self._commit(stream_id, execution_id, update_method)
        return UploadResult(
            execution=done,
            parts=len(upload.parts),
            parts_resumed=len(upload.parts) - len(todo),
            bytes_read=upload.data_bytes,
            bytes_sent=tally.sent,
        )

    @staticmethod
    def _body(
        upload: UploadPlan, span: PartSpan, gzip_level: int, tally: _Tally
    ) -> Callable[[], AsyncIterator[bytes]]:
        async def body() -> AsyncIterator[bytes]:
            tally.restart(span.part_id)
            pieces = read_part(upload.path, span, gzip_level)
            while (piece := await anyio.to_thread.run_sync(next, pieces, None)) is not None:
                data, raw = piece
                tally.advance(span.part_id, raw, len(data))
                if data:
                    yield data

        return body

    async def _commit(
        self, stream_id: int, execution_id: int, update_method: str | None
    ) -> Execution:
        try:
            return await self._t.send(commit_call(stream_id, execution_id, update_method))
        except (errors.Conflict, errors.RequestError):
            done = await self._executions.wait(stream_id, execution_id, raise_on_failure=False)
        if not done.succeeded:
            raise errors.ExecutionFailed(done)
        return done


def _abort_quietly(abort: Callable[[], Execution]) -> None:
    # best effort: the upload failed either way, and nothing was committed
    with contextlib.suppress(errors.HeadwaterError):
        abort()
