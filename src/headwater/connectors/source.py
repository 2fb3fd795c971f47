"""The streaming shape of a connector: what every continuous transport implements, and what
it is given.

A source's class is its factory: `spec()` (a static method) is the JSON Schema of its
`transport.config`, checked when a pipeline is defined, exactly as a batch connector's spec
checks a stream's configuration; calling the class with a `SourceContext` makes the source.
Installed through the entry-point group `headwater.sources`, keyed by Feldera's transport
name (`nats_input`), and found by the same registry as batch connectors.

A source reads from where its position says, hands over payloads (bytes to decode) or ready
Arrow rows, and learns after each commit which position is now durable, so it can
acknowledge the source up to there. `pause()` stops fetching at the source itself: nothing is
read, requested or buffered while a connector is paused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import pyarrow as pa

from headwater.domain.datasets import Column


@dataclass(frozen=True)
class SourceContext:
    pipeline: str
    table: str
    connector: str
    config: dict[str, Any]
    columns: tuple[Column, ...]
    table_id: str  # the table's dataset id: unique, and kept for the table's whole life
    allowed_dirs: tuple[str, ...] = ()  # for file_input: what the operator lets it read
    max_queued_records: int = 1_000_000

    @property
    def stable_id(self) -> str:
        """A name for this connector at the source (durable consumer, MQTT client id). Built
        on the table's id, not on names: two servers (or a pipeline dropped and made again)
        with the same pipeline name must not share an MQTT session or a durable consumer, or
        each would take the other's messages."""
        raw = f"headwater-{self.table_id}-{self.connector}"
        return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in raw)


@dataclass
class Fetched:
    payloads: list[bytes] = field(default_factory=list)
    rows: pa.Table | None = None  # sources that make rows themselves (datagen)
    position: dict[str, Any] | None = None  # the position after everything fetched so far
    end_of_input: bool = False
    nbytes: int = 0
    duplicates: int = 0  # redelivered records dropped because they were already taken
    idle: bool = False  # the source had nothing more right now: a good moment to commit
    notices: list[str] = field(default_factory=list)  # what the connector's stats should say

    @property
    def records(self) -> int:
        return self.rows.num_rows if self.rows is not None else len(self.payloads)


class Source(Protocol):
    def open(self, position: dict[str, Any] | None) -> None: ...
    def fetch(self, max_records: int, timeout: float) -> Fetched: ...
    def ack(self, position: dict[str, Any] | None) -> None:
        """Everything up to `position` is committed: acknowledge it at the source."""
        ...

    def pause(self) -> Fetched | None:
        """Stop reading at the source; what was already on its way (if anything) is handed
        over, to be committed before the connector rests."""
        ...

    def resume(self) -> None: ...
    def close(self) -> None: ...


class SourceFactory(Protocol):
    """A source's class (or any callable with a `spec`): what the entry point names.

    Errors: `TerminalError` (the connector cannot run as configured: bad config, a missing
    file, a refused destination) stops the connector; `TransientError`, or any other
    exception, is counted and the source reopened at the committed position after the
    reconnect policy's delay (`RetryPolicy`)."""

    def __call__(self, context: SourceContext) -> Source: ...
    def spec(self) -> dict[str, Any]: ...
