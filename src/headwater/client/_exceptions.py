"""Everything the client raises, decoded from the server's JSON error bodies.

HeadwaterError                 base of every error this client raises
├── RequestError               no answer: the server could not be reached, or the
│   │                          connection dropped or timed out (after the retries)
│   └── RequestTimeout         no answer in time
├── APIError                   the server answered with an error body (status, code, message, toe)
│   ├── BadRequest             400: the request can never succeed as sent
│   │   ├── BadData            rows that do not fit the schema: `line` and `column` say where
│   │   └── InvalidQuery       SQL the sandbox refused, or that failed while running
│   ├── Unauthenticated        401: no token, or a wrong, expired or revoked one
│   ├── Forbidden              403: visible to you, but not yours to change
│   ├── NotFound               404: does not exist, or you may not know it does
│   ├── Conflict               409: valid, but not in the current state
│   ├── Gone                   410: it was there, but is past its retention (an expired version)
│   ├── RateLimited            429: slow down (`retry_after` seconds, when the server says)
│   └── ServerError            5xx: the server failed; quote `toe` in a report
├── ExecutionFailed            an execution ended ERROR or ABORTED (`execution` holds it)
├── UploadIncomplete           parts still failing after their retries; the execution stays
│                              open so `upload(..., resume=execution_id)` sends only those
├── WaitTimeout                an execution was still ACTIVE when a wait gave up
└── PipelineTimeout            a pipeline had not reached the status a wait asked for

The server's body is kept whole in `APIError.body`; both envelopes are read: the Domo paths'
`{status, statusReason, code, message, toe, ...}` and the Feldera paths'
`{message, error_code, details}`. Feldera's codes pick the class where the status alone would
mislead: `PipelineInteractionNotDeployed` (a 503 for a stopped pipeline) is a `Conflict`, and
`AdHocQueryError` an `InvalidQuery`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

    from headwater.client._models import Execution
    from headwater.client._pipeline_models import Pipeline

__all__ = [
    "APIError",
    "BadData",
    "BadRequest",
    "Conflict",
    "ExecutionFailed",
    "Forbidden",
    "Gone",
    "HeadwaterError",
    "InvalidQuery",
    "NotFound",
    "PipelineTimeout",
    "RateLimited",
    "RequestError",
    "RequestTimeout",
    "ServerError",
    "Unauthenticated",
    "UploadIncomplete",
    "WaitTimeout",
]


class HeadwaterError(Exception):
    """Base of every error the client raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RequestError(HeadwaterError):
    """The request got no answer (connection refused, dropped, or no route)."""

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        super().__init__(message)
        self.method = method
        self.url = url


class RequestTimeout(RequestError):
    """The request got no answer in time."""


class APIError(HeadwaterError):
    """The server answered with an error status; its JSON body is decoded here."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str,
        toe: str | None = None,
        body: Any = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.toe = toe
        self.body = body
        self.response = response

    @property
    def details(self) -> dict[str, Any]:
        """The body's extra keys (Domo) or its `details` (Feldera): `field`, `line`, ..."""
        if not isinstance(self.body, dict):
            return {}
        if isinstance(self.body.get("details"), dict):
            return dict(self.body["details"])
        envelope = {"status", "statusReason", "code", "message", "toe", "error_code"}
        return {k: v for k, v in self.body.items() if k not in envelope}

    @property
    def field(self) -> str | None:
        value = self.details.get("field")
        return str(value) if value else None

    def __str__(self) -> str:
        return f"{self.message} ({self.status_code} {self.code})"


class BadRequest(APIError):
    """400: the request can never succeed as sent."""


class BadData(BadRequest):
    """Rows that do not fit the dataset; `line` and `column` say where."""

    @property
    def line(self) -> int | None:
        value = self.details.get("line")
        return int(value) if isinstance(value, int) else None

    @property
    def column(self) -> str | None:
        value = self.details.get("column")
        return str(value) if value is not None else None


class InvalidQuery(BadRequest):
    """SQL the sandbox refused, or that failed while running."""


class Unauthenticated(APIError):
    """401: no token, or a wrong, expired or revoked one."""


class Forbidden(APIError):
    """403: you can see it, but this is not yours to do."""


class NotFound(APIError):
    """404: it does not exist, or you may not know it does."""


class Conflict(APIError):
    """409: valid, but not in the current state (e.g. an execution already finished)."""


class Gone(APIError):
    """410: it existed, but is past its retention and cannot come back (`code`
    VERSION_EXPIRED: a data version whose files were vacuumed)."""


class RateLimited(APIError):
    """429: too many requests; `retry_after` is the server's wait, in seconds, if it sent one."""

    retry_after: float | None = None


class ServerError(APIError):
    """5xx: the server failed. Quote `toe` when reporting it."""


class ExecutionFailed(HeadwaterError):
    """An execution ended ERROR or ABORTED."""

    def __init__(self, execution: Execution) -> None:
        reason = "; ".join(execution.errors) or "no reason given"
        super().__init__(
            f"execution {execution.id} of stream {execution.stream_id} ended "
            f"{execution.state}: {reason}"
        )
        self.execution = execution


class UploadIncomplete(HeadwaterError):
    """Parts kept failing after their retries. Nothing was committed; the execution stays open
    so that resuming it sends only `failed_parts`."""

    def __init__(
        self,
        message: str,
        *,
        stream_id: int,
        execution_id: int,
        failed_parts: list[int],
        cause: BaseException | None = None,
    ) -> None:
        super().__init__(message)
        self.stream_id = stream_id
        self.execution_id = execution_id
        self.failed_parts = failed_parts
        self.cause = cause


class WaitTimeout(HeadwaterError):
    """An execution was still ACTIVE when the wait's deadline passed."""

    def __init__(self, execution: Execution, timeout: float) -> None:
        super().__init__(
            f"execution {execution.id} of stream {execution.stream_id} is still "
            f"{execution.state} after {timeout:g} s"
        )
        self.execution = execution


class PipelineTimeout(HeadwaterError):
    """A pipeline was still not in the status waited for when the wait's deadline passed
    (`pipeline` is how it was last seen)."""

    def __init__(self, pipeline: Pipeline, wanted: str, timeout: float) -> None:
        super().__init__(
            f"pipeline {pipeline.name!r} is still {pipeline.status}, not {wanted}, "
            f"after {timeout:g} s"
        )
        self.pipeline = pipeline
        self.wanted = wanted
