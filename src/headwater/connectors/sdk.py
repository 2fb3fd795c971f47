"""The connector contract (see the package docstring)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import pyarrow as pa

from headwater.domain.datasets import Column


class ConnectorError(Exception):
    """Base of the errors a connector raises on purpose."""


class TransientError(ConnectorError):
    """Worth retrying: a timeout, a 503, a dropped connection. `retry_after` (seconds) is the
    source's own wish (HTTP Retry-After); the run waits at least that long, up to its cap."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TerminalError(ConnectorError):
    """Retrying will not help: bad credentials, a missing table, a malformed source."""


@dataclass(frozen=True)
class Checkpoint:
    """Incremental state, valid once every batch yielded before it is committed."""

    state: Mapping[str, Any]


@dataclass(frozen=True)
class Notice:
    """What the run should report without failing, on its execution's `warnings` (a file
    read again from its start because it was replaced or truncated)."""

    message: str


@runtime_checkable
class Connector(Protocol):
    name: str

    def spec(self) -> dict[str, Any]: ...
    def check(self, config: Mapping[str, Any]) -> None: ...
    def discover(self, config: Mapping[str, Any]) -> list[Column]: ...
    def read(
        self, config: Mapping[str, Any], state: Mapping[str, Any]
    ) -> Iterator[pa.RecordBatch | Checkpoint | Notice]: ...
