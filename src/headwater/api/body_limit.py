"""The request body limit: a 413 before a byte too many is read.

Two sizes: a body read whole into memory (JSON, forms, pipeline ingress) may be `body_bytes`;
a data body streamed to disk (an upload part, a CSV import) may be `data_bytes`, and a route
says so by calling `allow_data_body` before it reads (`body_stream.with_body_chunks` does).

A declared `Content-Length` over the limit is refused at the first read, before anything is
received; a chunked body is cut as soon as the bytes received pass it. The refusal is an
`HTTPException` raised from `receive`, inside the route: FastAPI passes it through its body
parsing untouched, and each dialect's error table answers it in its own envelope. (FastAPI's
own `max_body_size` answers a too-long `Content-Length` with a plain-text 413 whatever the
dialect, and takes its per-route sizes at import time, not from settings.)
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SCOPE_KEY = "headwater.body_limit"


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int, setting: str) -> None:
        super().__init__(
            413, f"the request body is larger than {limit} bytes (the server's {setting})"
        )


@dataclass(slots=True)
class _Allowance:
    limit: int
    setting: str
    data_limit: int
    declared: int | None
    received: int = 0

    def check(self) -> None:
        if self.received > self.limit or (self.declared or 0) > self.limit:
            raise BodyTooLarge(self.limit, self.setting)


class BodyLimit:
    """ASGI middleware; `body_bytes` and `data_bytes` come from `LimitSettings`."""

    def __init__(self, app: ASGIApp, body_bytes: int, data_bytes: int) -> None:
        self.app = app
        self.body_bytes = body_bytes
        self.data_bytes = data_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        allowance = _Allowance(
            self.body_bytes,
            "HEADWATER_LIMITS__BODY_BYTES",
            self.data_bytes,
            _content_length(scope),
        )
        scope[SCOPE_KEY] = allowance

        async def limited() -> Message:
            allowance.check()
            message = await receive()
            if message["type"] == "http.request":
                allowance.received += len(message.get("body", b""))
                allowance.check()
            return message

        await self.app(scope, limited, send)


def allow_data_body(request: Request) -> None:
    """This request's body is data streamed to disk: it may be as large as `data_bytes`."""
    allowance = request.scope.get(SCOPE_KEY)
    if isinstance(allowance, _Allowance):
        allowance.limit = allowance.data_limit
        allowance.setting = "HEADWATER_LIMITS__DATA_BYTES"


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:  # what Headers() would do, without building one
        if name == b"content-length":
            if not value.isdigit():
                return None  # the HTTP server refuses a malformed one before we see it
            return int(value) if len(value) < 19 else 2**63
    return None
