"""The one error tree. Each API dialect maps these classes to its own envelope in one table.

HeadwaterError
├── InvalidInput          a request that can never succeed as sent (400)
│   ├── BadData           rows that do not fit: names the line and column
│   └── InvalidQuery      SQL refused by the sandbox, or failed while running
├── Unauthenticated       no token, or one that is wrong, expired or revoked (401)
├── PermissionDenied      known to the caller, but not theirs to do (403)
├── NotFound              does not exist, or the caller may not know it does (404)
├── Conflict              valid, but not in the current state (409)
├── Gone                  existed, but is past its retention and cannot come back (410)
│   └── VersionExpired    a data version whose files were vacuumed (or log cleaned up)
└── ConnectorError        what a connector (batch or streaming) raises on purpose
    ├── TerminalError     (+ Terminal) retrying will not help: the run or source stops
    │   └── EgressRefused the egress policy refused the destination
    └── TransientError    (+ Transient) worth retrying, after `RetryPolicy.delay`

`Terminal` and `Transient` are mixins (as dlt's TerminalException/TransientException): they
say whether trying again can help, whatever the error's place in the tree, so the code that
retries (`domain.retries.RetryPolicy` and its callers) asks them and not concrete classes.
The connector classes live with the connector SDK (`headwater.connectors.errors`).

Pipelines add: UnknownPipeline, UnknownTable, UnknownConnector (NotFound); InvalidProgram,
InvalidAction (InvalidInput); RecordErrors (BadData); DuplicateName, PipelineBusy,
PipelineNotDeployed, StaleToken (Conflict).
"""

from __future__ import annotations

from typing import Any


class HeadwaterError(Exception):
    code = "ERROR"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details: dict[str, Any] = details


class Terminal(Exception):
    """Mixin: trying again will not help (bad credentials, a missing table, a refused
    destination). What retries stops at once."""


class Transient(Exception):
    """Mixin: trying again may help (a timeout, a 503, a dropped connection). `retry_after`
    (seconds) is the source's own wish (HTTP Retry-After); the wait is at least that long, up
    to the policy's cap."""

    retry_after: float | None = None


class InvalidInput(HeadwaterError):
    code = "INVALID_INPUT"


class BadData(InvalidInput):
    code = "BAD_DATA"


class InvalidQuery(InvalidInput):
    code = "INVALID_QUERY"


class TimeLimitExceeded(HeadwaterError):
    """Work ran past the time limit the operator set for it and was stopped."""

    code = "TIME_LIMIT"


class Unauthenticated(HeadwaterError):
    code = "UNAUTHENTICATED"


class PermissionDenied(HeadwaterError):
    code = "FORBIDDEN"


class NotFound(HeadwaterError):
    code = "NOT_FOUND"


class Conflict(HeadwaterError):
    code = "CONFLICT"


class Gone(HeadwaterError):
    code = "GONE"


class VersionExpired(Gone):
    """A dataset version past the retention horizon: some of its data files were vacuumed,
    or the log entries describing it were cleaned up. It can be neither read nor restored."""

    code = "VERSION_EXPIRED"


class DatasetChanged(Conflict):
    """A data file a query was about to read is gone (a vacuum, a delete): asking again
    reads the dataset as it is now."""

    code = "DATASET_CHANGED"


# -- pipelines (continuous connectors) ------------------------------------------------------
class UnknownPipeline(NotFound):
    code = "UNKNOWN_PIPELINE"


class UnknownTable(NotFound):
    code = "UNKNOWN_TABLE"


class UnknownConnector(NotFound):
    code = "UNKNOWN_CONNECTOR"


class InvalidProgram(InvalidInput):
    """A pipeline definition (SQL or JSON) that does not parse or does not hold together."""

    code = "INVALID_PROGRAM"


class InvalidAction(InvalidInput):
    code = "INVALID_ACTION"


class RecordErrors(BadData):
    """Records that do not parse; `details["errors"]` lists them. Valid ones still landed."""

    code = "RECORD_ERRORS"


class DuplicateName(Conflict):
    code = "DUPLICATE_NAME"


class PipelineBusy(Conflict):
    """The pipeline is not in a state that allows this (edit or delete while not stopped...)."""

    code = "PIPELINE_BUSY"


class PipelineNotDeployed(Conflict):
    """The pipeline is stopped, so it has no running state to show or change."""

    code = "PIPELINE_NOT_DEPLOYED"


class StaleToken(Conflict):
    """A completion token from another incarnation of the pipeline."""

    code = "STALE_TOKEN"
