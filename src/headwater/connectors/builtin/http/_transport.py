"""One GET, its body spooled to a temporary file, and its failures as connector errors.

Whatever a retry may fix (a timeout, a refused or dropped connection, HTTP 429 or 5xx) is a
TransientError carrying the server's Retry-After; anything else (401/403, other 4xx, a
redirect loop, a certificate the client does not trust) is a TerminalError naming the status
and the URL. URLs in messages have the values of secret-looking query parameters masked.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import IO

import httpx

from headwater.connectors.sdk import TerminalError, TransientError

_SECRET_PARAM = re.compile(r"pass|secret|token|key|sig|auth|credential", re.IGNORECASE)
_CHUNK = 1 << 20


@dataclass
class Fetched:
    """A response whose body is complete in `body` (positioned at its start)."""

    url: httpx.URL
    headers: httpx.Headers
    links: dict[str | None, dict[str, str]]
    body: IO[bytes]

    @property
    def media_type(self) -> str | None:
        value: str | None = self.headers.get("content-type")
        return value


@contextmanager
def fetch(client: httpx.Client, url: httpx.URL) -> Iterator[Fetched]:
    """GET `url`; its body is streamed to a temporary file deleted on exit."""
    with tempfile.TemporaryFile() as body:
        with _errors_classified(client, url), client.stream("GET", url) as response:
            raise_for_status(response)
            for chunk in response.iter_bytes(_CHUNK):
                body.write(chunk)
        body.seek(0)
        yield Fetched(response.url, response.headers, response.links, body)


def probe(client: httpx.Client, url: httpx.URL) -> None:
    """GET `url` and check its status, without reading the body."""
    with _errors_classified(client, url), client.stream("GET", url) as response:
        raise_for_status(response)


def raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    where = shown(response.url)
    if status == 429 or status >= 500:
        raise TransientError(
            f"HTTP {status} {response.reason_phrase} at {where}",
            retry_after=retry_after(response.headers.get("retry-after")),
        )
    if status in (401, 403):
        raise TerminalError(f"authentication failed (HTTP {status}) at {where}")
    raise TerminalError(f"HTTP {status} {response.reason_phrase} at {where}{_excerpt(response)}")


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP-date."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def shown(url: httpx.URL | str) -> str:
    """`url` for a message: values of query parameters that look secret are masked."""
    try:
        url = httpx.URL(url)
    except httpx.InvalidURL:
        return str(url)
    if not url.query:
        return str(url)
    masked = [(k, "***" if _SECRET_PARAM.search(k) else v) for k, v in url.params.multi_items()]
    return str(url.copy_with(params=masked))


@contextmanager
def _errors_classified(client: httpx.Client, url: httpx.URL) -> Iterator[None]:
    try:
        yield
    except httpx.TimeoutException:
        raise TransientError(f"timed out after {client.timeout.read}s at {shown(url)}") from None
    except httpx.TooManyRedirects:
        raise TerminalError(f"too many redirects from {shown(url)}") from None
    except (httpx.UnsupportedProtocol, httpx.LocalProtocolError) as exc:
        raise TerminalError(f"cannot request {shown(url)}: {exc}") from None
    except httpx.TransportError as exc:
        where = shown(url)
        if "CERTIFICATE_VERIFY_FAILED" in str(exc):
            raise TerminalError(f"TLS certificate not trusted at {where}: {exc}") from None
        raise TransientError(f"cannot reach {where}: {_reason(exc)}") from None
    except httpx.DecodingError as exc:
        raise TerminalError(f"the response of {shown(url)} cannot be decoded: {exc}") from None
    except httpx.InvalidURL as exc:
        raise TerminalError(f"invalid URL {shown(url)}: {exc}") from None


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def _excerpt(response: httpx.Response) -> str:
    """The start of an error response's body, on one line, to say what the server objected to."""
    try:
        head = next(response.iter_bytes(512), b"")
    except httpx.HTTPError:
        return ""
    text = " ".join(head.decode("utf-8", "replace").split())[:200]
    return f": {text}" if text else ""
