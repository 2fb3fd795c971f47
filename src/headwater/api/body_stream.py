"""Feed a request body, chunk by chunk, to blocking code running on a worker thread.

Parts can be large; reading them whole into memory would break the memory bound. The worker
pulls each chunk from the event loop as it needs it, so the body streams straight to disk.
Such a body is data: it may be as large as `HEADWATER_LIMITS__DATA_BYTES`, not the limit of a
body read whole (`body_limit`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

import anyio.from_thread
import anyio.to_thread
from starlette.requests import Request

from headwater.api.body_limit import allow_data_body

T = TypeVar("T")


async def with_body_chunks(request: Request, work: Callable[[Iterator[bytes]], T]) -> T:
    allow_data_body(request)
    stream = request.stream().__aiter__()

    async def next_chunk() -> bytes:
        return await stream.__anext__()

    def chunks() -> Iterator[bytes]:
        while True:
            try:
                chunk = anyio.from_thread.run(next_chunk)
            except StopAsyncIteration:
                return
            if chunk:
                yield chunk

    return await anyio.to_thread.run_sync(lambda: work(chunks()))


def gzip_hint(request: Request) -> bool:
    """Gzip as pydomo (Content-Encoding) and the Node SDK (application/gzip) signal it;
    staging also sniffs the magic bytes, for clients that signal nothing."""
    encoding = request.headers.get("content-encoding", "").lower()
    content_type = request.headers.get("content-type", "").lower()
    return "gzip" in encoding or "gzip" in content_type
