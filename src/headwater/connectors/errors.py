"""What a connector raises on purpose, batch or streaming: one branch of the error tree
(`headwater.domain.errors`), each error marked terminal or transient by its mixin."""

from __future__ import annotations

from headwater.domain.errors import HeadwaterError, Terminal, Transient


class ConnectorError(HeadwaterError):
    """Base of the errors a connector raises on purpose."""

    code = "CONNECTOR_ERROR"


class TransientError(ConnectorError, Transient):
    """Worth retrying: a timeout, a 503, a dropped connection. `retry_after` (seconds) is the
    source's own wish (HTTP Retry-After); the run waits at least that long, up to its cap. A
    batch run retries it with backoff up to its budget; a streaming source is reopened at the
    committed position, with backoff, for as long as the pipeline runs."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TerminalError(ConnectorError, Terminal):
    """Retrying will not help: bad credentials, a missing table, a malformed source. A batch
    run fails; a streaming source stops, its connector showing the message as `fatal_error`."""
