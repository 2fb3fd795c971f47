"""Pipelines: named groups of tables whose input connectors run continuously (seed 003).

A pipeline has a desired status (Stopped, Paused, Running) that the API sets, and a runtime
status that the process running it (the holder of its lease) reports. Each input connector
has its own Running/Paused flag. A connector is *active*, i.e. fetches from its source, only
when both the pipeline and the connector are Running:

    pipeline  connector  active?
    Paused    Paused     no
    Paused    Running    no
    Running   Paused     no
    Running   Running    yes
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from headwater.domain.datasets import Column
from headwater.domain.errors import InvalidProgram
from headwater.domain.schema_policy import DEFAULT_POLICY, SchemaPolicy

# Tables, views and connectors are stored under their names in columns this wide.
MAX_NAME_CHARS = 255
NAME_PATTERN = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_]*)?[A-Za-z0-9]$")
DEFAULT_MAX_QUEUED_RECORDS = 1_000_000
MAX_RECENT_ERRORS = 100
MAX_RECENT_UNKNOWN_FIELDS = 10  # the names of fields a table lacks, kept in a connector's stats


class DesiredStatus(Enum):
    STOPPED = "Stopped"
    PAUSED = "Paused"
    RUNNING = "Running"


class RuntimeStatus(Enum):
    """What the lease holder reports; `STOPPED` also when no process runs the pipeline."""

    STOPPED = "Stopped"
    INITIALIZING = "Initializing"
    PAUSED = "Paused"
    RUNNING = "Running"


class StorageStatus(Enum):
    CLEARED = "Cleared"
    IN_USE = "InUse"


def connector_active(pipeline_running: bool, connector_paused: bool) -> bool:
    """The seed's 2x2 table: active only when pipeline and connector are both Running."""
    return pipeline_running and not connector_paused


def endpoint_name(table: str, connector: str) -> str:
    return f"{table}.{connector}"


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name or ""):
        raise InvalidProgram(
            f"pipeline name {name!r} must match {NAME_PATTERN.pattern}",
            code="NAME_DOES_NOT_MATCH_PATTERN",
            field="name",
        )
    return name


@dataclass(frozen=True)
class Format:
    name: str
    config: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ConnectorDef:
    name: str
    transport: str
    transport_config: dict[str, Any]
    format: Format | None
    paused: bool = False
    labels: tuple[str, ...] = ()
    start_after: tuple[str, ...] = ()
    max_queued_records: int = DEFAULT_MAX_QUEUED_RECORDS

    @property
    def starts_paused(self) -> bool:
        return self.paused or bool(self.start_after)

    def wire(self) -> dict[str, Any]:
        """The connector as Feldera's JSON spells it."""
        body: dict[str, Any] = {
            "name": self.name,
            "transport": {"name": self.transport, "config": self.transport_config},
            "paused": self.paused,
            "labels": list(self.labels),
            "max_queued_records": self.max_queued_records,
        }
        if self.format is not None:
            body["format"] = {"name": self.format.name, "config": self.format.config}
        if self.start_after:
            body["start_after"] = list(self.start_after)
        return body


@dataclass(frozen=True)
class TableDef:
    name: str  # canonical: lower case unless the SQL quoted it
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    connectors: tuple[ConnectorDef, ...] = ()
    case_sensitive: bool = False
    # What a program change does to the table's dataset, and what records with fields the
    # table does not declare do (see `domain/table_evolution.py`, docs/schema-policy.md).
    schema_policy: SchemaPolicy = DEFAULT_POLICY

    def connector(self, name: str) -> ConnectorDef | None:
        return next((c for c in self.connectors if c.name == name), None)


@dataclass(frozen=True)
class ViewDef:
    name: str
    sql: str  # the SELECT that defines it; evaluated at query time
    materialized: bool = False


@dataclass(frozen=True)
class Program:
    tables: tuple[TableDef, ...]
    views: tuple[ViewDef, ...] = ()

    def table(self, name: str) -> TableDef | None:
        wanted = canonical(name)
        return next((t for t in self.tables if t.name in (name, wanted)), None)

    def check(self) -> Program:
        """Names unique, connector orchestration well formed (no empty or cyclic start_after)."""
        seen: set[str] = set()
        names = [*(t.name for t in self.tables), *(v.name for v in self.views)]
        names += [c.name for t in self.tables for c in t.connectors]
        too_long = next((n for n in names if len(n) > MAX_NAME_CHARS), None)
        if too_long is not None:
            raise InvalidProgram(
                f"the name {too_long[:40]!r}... has {len(too_long)} characters; at most "
                f"{MAX_NAME_CHARS} are allowed"
            )
        for relation in [*(t.name for t in self.tables), *(v.name for v in self.views)]:
            if relation.lower() in seen:
                raise InvalidProgram(f"{relation!r} is declared twice")
            seen.add(relation.lower())
        labels: dict[str, set[str]] = {}
        for table in self.tables:
            names = [c.name for c in table.connectors]
            duplicate = next((n for n in names if names.count(n) > 1), None)
            if duplicate:
                raise InvalidProgram(f"table {table.name!r} has two connectors {duplicate!r}")
            for connector in table.connectors:
                for label in connector.labels:
                    labels.setdefault(label, set()).add(endpoint_name(table.name, connector.name))
        _check_start_after(self, labels)
        return self


def canonical(identifier: str) -> str:
    """Unquoted SQL identifiers are case-insensitive: `T` is `t`."""
    return identifier.lower()


def _check_start_after(program: Program, labels: dict[str, set[str]]) -> None:
    waits: dict[str, set[str]] = {}
    for table in program.tables:
        for connector in table.connectors:
            name = endpoint_name(table.name, connector.name)
            for label in connector.start_after:
                if label not in labels:
                    raise InvalidProgram(
                        f"connector {name!r} starts after label {label!r}, which no connector has"
                    )
                waits.setdefault(name, set()).update(labels[label])

    def visit(node: str, path: tuple[str, ...]) -> None:
        if node in path:
            raise InvalidProgram(
                f"cyclic 'start_after' dependency detected: {' -> '.join((*path, node))}"
            )
        for other in waits.get(node, ()):
            visit(other, (*path, node))

    for node in waits:
        visit(node, ())


@dataclass
class ConnectorStats:
    """Counters of one input connector, as its lease holder last saved them."""

    total_records: int = 0
    total_bytes: int = 0
    buffered_records: int = 0
    buffered_bytes: int = 0
    num_transport_errors: int = 0
    num_parse_errors: int = 0
    num_duplicates_dropped: int = 0  # source redeliveries of records already taken
    # Records that landed without fields the table does not declare (EVOLVE, IGNORE_NEW;
    # under STRICT they are parse errors), and the latest of those fields' names.
    num_records_with_unknown_fields: int = 0
    unknown_fields: list[str] = field(default_factory=list)
    parse_errors: list[dict[str, Any]] = field(default_factory=list)
    transport_errors: list[dict[str, Any]] = field(default_factory=list)
    # What the source reported without failing (a file read again from its start).
    warnings: list[dict[str, Any]] = field(default_factory=list)
    fatal_error: str | None = None
    problem: str | None = None  # the source's current trouble (cleared once it works again)
    last_commit_latency_ms: float | None = None
    # Taking records from its source. A pause is settled once this is false: the source is
    # stopped and what it had read is committed (see `PipelineService.connector_action`).
    fetching: bool = False

    def note_parse_error(self, error: dict[str, Any]) -> None:
        self.num_parse_errors += 1
        self.parse_errors = [*self.parse_errors, error][-MAX_RECENT_ERRORS:]

    def note_unknown_fields(self, records: int, names: tuple[str, ...] | list[str]) -> None:
        self.num_records_with_unknown_fields += records
        latest = [n for n in self.unknown_fields if n not in names] + list(names)
        self.unknown_fields = latest[-MAX_RECENT_UNKNOWN_FIELDS:]

    def note_warning(self, warning: dict[str, Any]) -> None:
        self.warnings = [*self.warnings, warning][-MAX_RECENT_ERRORS:]

    def note_transport_error(self, error: dict[str, Any]) -> None:
        self.num_transport_errors += 1
        self.transport_errors = [*self.transport_errors, error][-MAX_RECENT_ERRORS:]


@dataclass
class ConnectorState:
    """The persisted runtime state of one input connector: its flag survives restarts."""

    pipeline_id: str
    table: str
    name: str
    paused: bool
    waiting: bool = False  # paused until its start_after labels finish; cleared once started
    end_of_input: bool = False
    stats: ConnectorStats = field(default_factory=ConnectorStats)
    updated_at: datetime | None = None

    @property
    def endpoint(self) -> str:
        return endpoint_name(self.table, self.name)


@dataclass
class Pipeline:
    id: str
    name: str
    owner_id: int
    program_code: str
    program: Program
    table_datasets: dict[str, str]  # table name -> dataset id
    created_at: datetime
    updated_at: datetime
    description: str = ""
    tags: list[str] = field(default_factory=list)
    runtime_config: dict[str, Any] = field(default_factory=dict)
    program_config: dict[str, Any] = field(default_factory=dict)
    desired: DesiredStatus = DesiredStatus.STOPPED
    runtime: RuntimeStatus = RuntimeStatus.STOPPED
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    incarnation: str | None = None
    started_at: datetime | None = None
    storage: StorageStatus = StorageStatus.CLEARED
    deployment_error: dict[str, Any] | None = None
    version: int = 1
    configured_by: int | None = None  # who last set the program (None: the owner)
    # What the last program change did to each table that had a dataset: see
    # `services/pipelines/catalog.py` and docs/schema-policy.md. Empty when nothing changed.
    schema_changes: dict[str, Any] = field(default_factory=dict)

    @property
    def chooser(self) -> int:
        """Who chose where the connectors connect: the egress policy's exemption follows."""
        return self.owner_id if self.configured_by is None else self.configured_by

    def lease_live(self, now: datetime) -> bool:
        return (
            self.lease_owner is not None
            and self.lease_expires_at is not None
            and self.lease_expires_at > now
        )

    def deployment_status(self, now: datetime) -> str:
        """Feldera's combined status, from what the API asked and what the runtime reports.

        Stopped → (start) Provisioning until a process holds the lease → Initializing while it
        opens the connectors → Running or Paused; stop → Stopping until the holder has
        committed what it buffered and let go → Stopped.
        """
        running_here = self.lease_live(now) and self.runtime is not RuntimeStatus.STOPPED
        if self.desired is DesiredStatus.STOPPED:
            return "Stopping" if running_here else "Stopped"
        if not running_here:
            return "Provisioning"
        return self.runtime.value

    @property
    def deployed(self) -> bool:
        return self.desired is not DesiredStatus.STOPPED


def ready_to_start(program: Program, states: list[ConnectorState]) -> list[tuple[str, str]]:
    """Paused connectors whose `start_after` labels all belong to finished connectors.

    A connector is finished when it reached end of input (its buffer is empty once that is
    committed). Returns (table, connector) pairs to start.
    """
    by_endpoint = {s.endpoint: s for s in states}
    unfinished: set[str] = set()
    for table in program.tables:
        for connector in table.connectors:
            state = by_endpoint.get(endpoint_name(table.name, connector.name))
            if state is None or not state.end_of_input:
                unfinished.update(connector.labels)
    ready = []
    for table in program.tables:
        for connector in table.connectors:
            state = by_endpoint.get(endpoint_name(table.name, connector.name))
            if (
                state is not None
                and state.waiting
                and not (set(connector.start_after) & unfinished)
            ):
                ready.append((table.name, connector.name))
    return ready
