"""Pipelines and their statistics, as Feldera's API (`/v0`) spells them.

The field names follow Feldera's JSON (`deployment_status`, `global_metrics`, `metrics`, ...);
the typed names are the ones a program reads (`status`, `total_records`, ...), and `raw` keeps
the whole body.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AliasPath, Field, field_validator

from headwater.client._models import Column, Wire, _moment

__all__ = ["ConnectorStats", "Pipeline", "PipelineStats", "PipelineTable"]

# What `deployment_status` settles on; the others (Provisioning, Initializing, Stopping) pass.
SETTLED = frozenset({"Stopped", "Running", "Paused"})


class PipelineTable(Wire):
    """A table of a pipeline: each is also a dataset, `<pipeline>.<table>`."""

    name: str
    columns: list[Column] = Field(default_factory=list, validation_alias="fields")

    @field_validator("columns", mode="before")
    @classmethod
    def _fields(cls, value: Any) -> Any:
        return [
            {
                "name": f["name"],
                "type": (f.get("columntype") or {}).get("type", ""),
                "precision": (f.get("columntype") or {}).get("precision"),
                "scale": (f.get("columntype") or {}).get("scale"),
            }
            for f in value or []
            if isinstance(f, dict)
        ]


class Pipeline(Wire):
    id: str
    name: str
    description: str = ""
    status: str = Field(alias="deployment_status")
    desired_status: str = Field(alias="deployment_desired_status")
    location: str | None = Field(default=None, alias="deployment_location")
    storage_status: str | None = None
    error: dict[str, Any] | None = Field(default=None, alias="deployment_error")
    program_code: str | None = None
    tables: list[PipelineTable] = Field(
        default_factory=list, validation_alias=AliasPath("program_info", "schema", "inputs")
    )
    views: list[str] = Field(
        default_factory=list, validation_alias=AliasPath("program_info", "schema", "outputs")
    )
    connector_errors: int = Field(default=0, validation_alias=AliasPath("connectors", "num_errors"))
    version: int | None = None
    tags: list[str] = Field(default_factory=list)
    created_at: datetime | None = None

    _times = field_validator("created_at", mode="before")(_moment)

    @field_validator("tables", mode="before")
    @classmethod
    def _tables(cls, value: Any) -> Any:
        return [PipelineTable.from_wire(t) for t in value or []]

    @field_validator("views", mode="before")
    @classmethod
    def _views(cls, value: Any) -> Any:
        return [v["name"] if isinstance(v, dict) else str(v) for v in value or []]

    @property
    def settled(self) -> bool:
        """Not on its way between two states (Provisioning, Initializing, Stopping)."""
        return self.status in SETTLED


class ConnectorStats(Wire):
    """One input connector of a running pipeline: its own flag, its counters, its health.

    It reads only while the pipeline and the connector are both running; `paused` is the
    connector's own flag."""

    endpoint: str = Field(alias="endpoint_name")
    table: str = Field(validation_alias=AliasPath("config", "stream"))
    paused: bool = False
    total_records: int = Field(default=0, validation_alias=AliasPath("metrics", "total_records"))
    total_bytes: int = Field(default=0, validation_alias=AliasPath("metrics", "total_bytes"))
    buffered_records: int = Field(
        default=0, validation_alias=AliasPath("metrics", "buffered_records")
    )
    parse_error_count: int = Field(
        default=0, validation_alias=AliasPath("metrics", "num_parse_errors")
    )
    transport_error_count: int = Field(
        default=0, validation_alias=AliasPath("metrics", "num_transport_errors")
    )
    end_of_input: bool = Field(default=False, validation_alias=AliasPath("metrics", "end_of_input"))
    duplicates_dropped: int = Field(
        default=0, validation_alias=AliasPath("metrics", "num_duplicates_dropped")
    )
    commit_latency_ms: float | None = Field(
        default=None, validation_alias=AliasPath("metrics", "commit_latency_ms")
    )
    health: str | None = Field(default=None, validation_alias=AliasPath("health", "status"))
    problem: str | None = Field(default=None, validation_alias=AliasPath("health", "description"))
    fatal_error: str | None = None
    parse_errors: list[dict[str, Any]] = Field(default_factory=list)
    transport_errors: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def name(self) -> str:
        """The connector's name: the endpoint is `table.connector`."""
        prefix = f"{self.table}."
        return self.endpoint[len(prefix) :] if self.endpoint.startswith(prefix) else self.endpoint


class PipelineStats(Wire):
    """A running pipeline's totals (`global_metrics`) and its input connectors."""

    state: str = Field(validation_alias=AliasPath("global_metrics", "state"))
    total_input_records: int = Field(
        default=0, validation_alias=AliasPath("global_metrics", "total_input_records")
    )
    total_input_bytes: int = Field(
        default=0, validation_alias=AliasPath("global_metrics", "total_input_bytes")
    )
    buffered_input_records: int = Field(
        default=0, validation_alias=AliasPath("global_metrics", "buffered_input_records")
    )
    total_processed_records: int = Field(
        default=0, validation_alias=AliasPath("global_metrics", "total_processed_records")
    )
    uptime_ms: int = Field(default=0, validation_alias=AliasPath("global_metrics", "uptime_msecs"))
    started_at: datetime | None = Field(
        default=None, validation_alias=AliasPath("global_metrics", "start_time")
    )
    complete: bool = Field(
        default=False, validation_alias=AliasPath("global_metrics", "pipeline_complete")
    )
    inputs: list[ConnectorStats] = Field(default_factory=list)

    _times = field_validator("started_at", mode="before")(_moment)

    @field_validator("inputs", mode="before")
    @classmethod
    def _inputs(cls, value: Any) -> Any:
        return [ConnectorStats.from_wire(i) for i in value or []]

    def connector(self, table: str, name: str) -> ConnectorStats | None:
        for stats in self.inputs:
            if stats.table == table and stats.name == name:
                return stats
        return None
