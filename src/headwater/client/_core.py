"""The sans-IO core the sync and async clients share: what to send, and what an answer means.

A resource method builds a `Call`: method, path, parameters, body, and how to read a
successful answer. The transports (`_transport.py`) only send it, retry it as `RetryConfig`
says, and hand the answer to `decode`, which either parses it or raises the typed error the
server's JSON body describes. Nothing here does I/O.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx

from headwater.client import _exceptions as errors
from headwater.client._retry import retry_after

T = TypeVar("T")

NO_BODY: Any = object()

# Error classes by status, then by the body's `code` where one status carries several meanings.
BY_STATUS: dict[int, type[errors.APIError]] = {
    400: errors.BadRequest,
    401: errors.Unauthenticated,
    403: errors.Forbidden,
    404: errors.NotFound,
    409: errors.Conflict,
    410: errors.Gone,
    429: errors.RateLimited,
}
BY_CODE: dict[str, type[errors.APIError]] = {
    "BAD_DATA": errors.BadData,
    "INVALID_QUERY": errors.InvalidQuery,
    "AdHocQueryError": errors.InvalidQuery,
    # a 503 that says the pipeline is stopped: a state to change, not a server failure
    "PipelineInteractionNotDeployed": errors.Conflict,
}


def _ignore(_: Any) -> None:
    return None


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request, described: sending it is the transport's job, reading it is `parse`'s.

    `content` is bytes, or a factory of a fresh body iterator per attempt (sync or async), so
    a retried part is read and compressed again rather than held in memory.
    """

    method: str
    path: str
    parse: Callable[[Any], T] = _ignore  # type: ignore[assignment]
    params: Mapping[str, Any] | None = None
    json: Any = NO_BODY
    content: bytes | Callable[[], Iterator[bytes]] | Callable[[], AsyncIterator[bytes]] | None = (
        None
    )
    headers: Mapping[str, str] = field(default_factory=dict)

    def request_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"headers": dict(self.headers)}
        if self.params:
            kwargs["params"] = {k: v for k, v in self.params.items() if v is not None}
        if self.json is not NO_BODY:
            kwargs["json"] = self.json
        elif callable(self.content):
            kwargs["content"] = self.content()
        elif self.content is not None:
            kwargs["content"] = self.content
        return kwargs


def decode(call: Call[T], response: httpx.Response) -> T:
    """The parsed answer of a 2xx response; the typed error of any other."""
    if response.is_success:
        return call.parse(body_of(response))
    raise error_from(response)


def body_of(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text


def error_from(response: httpx.Response) -> errors.APIError:
    """Decode a Domo-style `{status, code, message, toe}` or a Feldera-style
    `{message, error_code, details}` body; anything else keeps its status and text."""
    status = response.status_code
    body = body_of(response)
    if isinstance(body, dict):
        code = str(body.get("code") or body.get("error_code") or _generic_code(status))
        message = str(body.get("message") or response.reason_phrase or f"HTTP {status}")
        toe = body.get("toe")
    else:
        code = _generic_code(status)
        text = (body or "").strip() if isinstance(body, str) else ""
        message = text[:500] or response.reason_phrase or f"HTTP {status}"
        toe = None
    cls = BY_CODE.get(code) or BY_STATUS.get(status)
    if cls is None:
        cls = errors.ServerError if status >= 500 else errors.APIError
    error = cls(
        message,
        status_code=status,
        code=code,
        toe=str(toe) if toe else None,
        body=body,
        response=response,
    )
    if isinstance(error, errors.RateLimited):
        error.retry_after = retry_after(response.headers.get("retry-after"))
    return error


def _generic_code(status: int) -> str:
    return {
        400: "INVALID_INPUT",
        401: "UNAUTHENTICATED",
        403: "FORBIDDEN",
        404: "NOT_FOUND",
        409: "CONFLICT",
        410: "GONE",
        429: "RATE_LIMITED",
    }.get(status, "INTERNAL" if status >= 500 else "HTTP_ERROR")


def request_error(error: httpx.TransportError, request: httpx.Request) -> errors.RequestError:
    """Name what failed and where, in words a person at a terminal can act on."""
    where = f"{request.method} {request.url}"
    cls = (
        errors.RequestTimeout if isinstance(error, httpx.TimeoutException) else errors.RequestError
    )
    if isinstance(error, httpx.ConnectError):
        message = f"cannot reach {request.url.scheme}://{request.url.netloc.decode()}: {error}"
    else:
        message = f"{where} failed: {error or type(error).__name__}"
    return cls(message, method=request.method, url=str(request.url))


class Pager(Generic[T]):
    """Successive `limit`/`offset` pages until a short page, or `limit` items in all. The
    transports drive it: `while (call := pager.next_call()): pager.add(send(call))`."""

    def __init__(
        self, fetch: Callable[[int, int], Call[list[T]]], page_size: int, limit: int | None
    ) -> None:
        self._fetch = fetch
        self._page_size = page_size
        self._limit = limit
        self._done = False
        self._asked = 0
        self.items: list[T] = []

    def next_call(self) -> Call[list[T]] | None:
        if self._done or (self._limit is not None and len(self.items) >= self._limit):
            return None
        left = None if self._limit is None else self._limit - len(self.items)
        self._asked = self._page_size if left is None else min(self._page_size, left)
        return self._fetch(self._asked, len(self.items))

    def add(self, page: list[T]) -> None:
        self.items.extend(page)
        self._done = len(page) < self._asked
