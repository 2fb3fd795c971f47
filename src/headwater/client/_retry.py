"""When to retry a request, and how long to wait first: `Retry-After` wins when sent.

As the Feldera client does: transient statuses (408, 429, 502, 503, 504) and failed
connections are retried with capped exponential backoff; a server's `Retry-After` (seconds or
an HTTP date) replaces the computed wait, capped at `max_backoff`. A request that may have
reached the server is retried only when repeating it is harmless (its method is idempotent,
as every PUT here is: re-sending a part replaces it); one that cannot have (the connection
was never made, or the server said 429/503 and did nothing) is retried whatever its method.

Unlike the Feldera client, a 503 `PipelineInteractionNotDeployed` is not retried: Headwater
sends it only for a pipeline that is stopped (a start is recorded before its answer), and
waiting does not start it.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

__all__ = ["RetryConfig"]

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Statuses that say the request was not acted on, so any method may be sent again.
NOT_ACTED_ON = frozenset({429, 503})
# Error codes of a retryable status that no wait will change.
LASTING = frozenset({"PipelineInteractionNotDeployed"})


@dataclass(frozen=True)
class RetryConfig:
    """How the client retries transient failures.

    :param max_retries: retries after the first attempt (3 means up to 4 attempts).
    :param initial_backoff: seconds before the first retry; then times `multiplier` each time.
    :param max_backoff: the longest wait, also the cap on a server's `Retry-After`.
    :param jitter: up to this many random seconds added to a computed wait.
    :param retryable_status_codes: statuses worth another try.
    """

    max_retries: int = 3
    initial_backoff: float = 0.25
    max_backoff: float = 30.0
    multiplier: float = 2.0
    jitter: float = 0.1
    retryable_status_codes: frozenset[int] = field(
        default_factory=lambda: frozenset({408, 429, 502, 503, 504})
    )

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if self.initial_backoff < 0 or self.max_backoff < 0 or self.jitter < 0:
            raise ValueError("backoff and jitter must be >= 0")
        if self.multiplier <= 0:
            raise ValueError("multiplier must be > 0")
        if not isinstance(self.retryable_status_codes, frozenset):
            object.__setattr__(
                self, "retryable_status_codes", frozenset(self.retryable_status_codes)
            )

    def backoff(self, attempt: int) -> float:
        """The computed wait before retry number `attempt` (0 for the first retry)."""
        wait = min(self.initial_backoff * self.multiplier**attempt, self.max_backoff)
        return wait + (random.uniform(0, self.jitter) if self.jitter else 0.0)  # noqa: S311

    def after_response(self, attempt: int, method: str, response: httpx.Response) -> float | None:
        """Seconds to wait before sending again, or None to give the answer back as it is."""
        if attempt >= self.max_retries or response.status_code not in self.retryable_status_codes:
            return None
        if method.upper() not in IDEMPOTENT and response.status_code not in NOT_ACTED_ON:
            return None
        if _error_code(response) in LASTING:
            return None
        told = retry_after(response.headers.get("retry-after"))
        return min(told, self.max_backoff) if told is not None else self.backoff(attempt)

    def after_error(self, attempt: int, method: str, error: httpx.TransportError) -> float | None:
        """Seconds to wait before sending again after `error`, or None to give up."""
        if attempt >= self.max_retries:
            return None
        never_sent = isinstance(error, httpx.ConnectError | httpx.ConnectTimeout)
        if method.upper() not in IDEMPOTENT and not never_sent:
            return None
        return self.backoff(attempt)


def _error_code(response: httpx.Response) -> str | None:
    """The `error_code` of a Feldera-style body already read; None for anything else (a
    streamed body is not read here)."""
    if "json" not in response.headers.get("content-type", ""):
        return None
    try:
        body = json.loads(response.content)
    except (httpx.ResponseNotRead, ValueError):
        return None
    code = body.get("error_code") if isinstance(body, dict) else None
    return str(code) if code else None


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """A `Retry-After` header in seconds: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())
