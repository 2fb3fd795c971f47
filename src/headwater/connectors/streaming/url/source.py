"""`url_input`: the body of an HTTP(S) GET, read line by line as it streams (httpx).

Config: `{"path": "https://host/data.jsonl"}`. The position is the byte offset after the last
committed line, and `done` once the body was read to its end: a restart asks for the rest
with a `Range` header (or skips what it had, if the server ignores ranges), and a finished
URL is not read again. Paused, the body is simply not read: TCP holds the sender back.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

from headwater.connectors import egress, egress_http
from headwater.connectors.sdk import Fetched, SourceContext, TerminalError
from headwater.connectors.streaming.lines import LineBuffer
from headwater.connectors.streaming.url.spec import SPEC

CHUNK = 1 << 20


class UrlSource:
    @staticmethod
    def spec() -> dict[str, Any]:
        """The JSON Schema of `transport.config` (checked when a pipeline is defined)."""
        return SPEC

    def __init__(self, context: SourceContext) -> None:
        self._url = str(context.config.get("path") or context.config.get("url") or "")
        if not self._url.startswith(("http://", "https://")):
            raise TerminalError("url_input needs 'path', an http:// or https:// URL")
        self._client = httpx.Client(
            timeout=httpx.Timeout(30.0),
            # every new connection, a redirect's too, passes the egress policy
            follow_redirects=True,
            transport=egress_http.transport(egress.current(), self._url),
        )
        self._response: httpx.Response | None = None
        self._chunks: Iterator[bytes] | None = None
        self._lines = LineBuffer()
        self._offset = 0
        self._done = False
        self._carry = b""  # bytes past a skipped prefix, handed over first

    def open(self, position: dict[str, Any] | None) -> None:
        self._offset = int((position or {}).get("offset", 0))
        self._done = bool((position or {}).get("done", False))
        if self._done:
            return
        headers = {"Range": f"bytes={self._offset}-"} if self._offset else {}
        request = self._client.build_request("GET", self._url, headers=headers)
        self._response = self._client.send(request, stream=True)
        if self._response.status_code >= 400:
            status = self._response.status_code
            self._response.close()
            message = f"url_input: GET {self._url} answered {status}"
            if 400 <= status < 500 and status not in (408, 429):
                raise TerminalError(message)
            raise ConnectionError(message)
        self._chunks = self._response.iter_bytes(CHUNK)
        if self._offset and self._response.status_code != 206:
            self._skip(self._offset)  # the server sent it all again

    def _skip(self, count: int) -> None:
        assert self._chunks is not None
        while count > 0:
            chunk = next(self._chunks, b"")
            if not chunk:
                return
            if len(chunk) > count:
                self._carry = chunk[count:]
                return
            count -= len(chunk)

    def _position(self) -> dict[str, Any]:
        return {"offset": self._offset, "done": self._done}

    def fetch(self, max_records: int, timeout: float) -> Fetched:
        if self._done or self._chunks is None:
            return Fetched(position=self._position(), end_of_input=True)
        chunk, self._carry = (self._carry or next(self._chunks, b"")), b""
        final = not chunk
        lines, used = self._lines.feed(chunk, final=final)
        self._offset += used
        self._done = final
        return Fetched(payloads=lines, position=self._position(), nbytes=used, end_of_input=final)

    def ack(self, position: dict[str, Any] | None) -> None:
        pass

    def pause(self) -> None:
        pass

    def resume(self) -> None:
        pass

    def close(self) -> None:
        if self._response is not None:
            self._response.close()
        self._client.close()
