"""The batch shape of a connector: spec, check, discover, read (see `headwater.connectors.sdk`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import pyarrow as pa

from headwater.domain.datasets import Column


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
