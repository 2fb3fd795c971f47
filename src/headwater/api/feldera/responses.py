"""What `/v0` answers, as response models for the OpenAPI document: Feldera's JSON, as its
client reads it, plus Headwater's own fields (marked). Free-form parts (a program's configs,
connector configs) are `dict[str, Any]`. See `api.shared.wire_model`."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from headwater.api.shared.wire_model import WireModel


class FelderaConfig(WireModel):
    version: str
    edition: str
    revision: str
    runtime_revision: str
    changelog_url: str
    license_validity: None
    telemetry: str
    update_info: None
    unstable_features: str


class FelderaHealth(WireModel):
    healthy: bool


class FelderaClusterHealth(WireModel):
    all_healthy: bool
    api: FelderaHealth
    compiler: FelderaHealth
    runner: FelderaHealth


class FelderaConnectorErrors(WireModel):
    num_errors: int


class FelderaColumnType(WireModel):
    type: str
    nullable: bool
    precision: int | None = None
    scale: int | None = None


class FelderaField(WireModel):
    name: str
    case_sensitive: bool
    columntype: FelderaColumnType
    unused: bool


class FelderaRelation(WireModel):
    name: str
    case_sensitive: bool
    materialized: bool
    fields: list[FelderaField]
    properties: dict[str, Any]


class FelderaProgramSchema(WireModel):
    inputs: list[FelderaRelation]
    outputs: list[FelderaRelation]


class FelderaProgramInfo(WireModel):
    schema_: FelderaProgramSchema = Field(alias="schema")
    udf_stubs: str
    input_connectors: dict[str, Any]
    output_connectors: dict[str, Any]


class FelderaSqlCompilation(WireModel):
    exit_code: int
    messages: list[Any]


class FelderaProgramError(WireModel):
    sql_compilation: FelderaSqlCompilation
    rust_compilation: None
    system_error: None


class FelderaPipeline(WireModel):
    """A pipeline. With `selector=status` only the status fields (down to `connectors`)."""

    id: str
    name: str
    description: str
    created_at: str | None
    version: int
    platform_version: str
    program_version: int
    refresh_version: int
    program_status: str
    program_status_since: str | None
    deployment_status: str
    deployment_status_since: str | None
    deployment_desired_status: str
    deployment_desired_status_since: str | None
    deployment_resources_status: str
    deployment_resources_desired_status: str
    deployment_runtime_status: str | None
    deployment_runtime_desired_status: str | None
    deployment_error: dict[str, Any] | None
    deployment_id: str | None
    deployment_location: str | None
    deployment_initial: str
    storage_status: str
    storage_status_details: None
    tags: list[str]
    connectors: FelderaConnectorErrors
    program_code: str | None = Field(
        default=None, description="Connector secrets masked for callers who may not edit."
    )
    udf_rust: str | None = None
    udf_toml: str | None = None
    program_config: dict[str, Any] | None = None
    runtime_config: dict[str, Any] | None = None
    program_info: FelderaProgramInfo | None = None
    schema_changes: dict[str, Any] | None = Field(
        default=None,
        description="Headwater's: what the last program change did to each table's dataset "
        "(docs/schema-policy.md); {} when it changed none.",
    )
    program_error: FelderaProgramError | None = None


class FelderaConnectorConfig(WireModel):
    stream: str


class FelderaConnectorMetrics(WireModel):
    total_bytes: int
    total_records: int
    buffered_records: int
    buffered_bytes: int
    num_transport_errors: int
    num_parse_errors: int
    end_of_input: bool
    num_duplicates_dropped: int = Field(description="Headwater's.")
    num_records_with_unknown_fields: int = Field(description="Headwater's.")
    unknown_fields: list[str] = Field(description="Headwater's.")
    commit_latency_ms: float | None = None


class FelderaConnectorHealth(WireModel):
    status: str = Field(description="Healthy or Unhealthy")
    description: str | None


class FelderaConnectorStats(WireModel):
    """An input connector. The error lists only on its own stats, or with
    `include_connector_errors`."""

    endpoint_name: str
    config: FelderaConnectorConfig
    metrics: FelderaConnectorMetrics
    fatal_error: str | None
    health: FelderaConnectorHealth
    paused: bool
    barrier: bool
    completed_frontier: None
    parse_errors: list[Any] | None = None
    transport_errors: list[Any] | None = None
    warnings: list[Any] | None = Field(default=None, description="Headwater's.")


class FelderaGlobalMetrics(WireModel):
    state: str
    bootstrap_in_progress: bool
    transaction_status: str
    transaction_id: int
    transaction_msecs: None
    transaction_records: None
    commit_progress: None
    rss_bytes: int
    cpu_msecs: int
    uptime_msecs: int
    start_time: int
    incarnation_uuid: str
    initial_start_time: int
    storage_bytes: int
    storage_mb_secs: int
    runtime_elapsed_msecs: int
    buffered_input_records: int
    buffered_input_bytes: int
    total_input_records: int
    total_input_bytes: int
    total_processed_records: int
    total_processed_bytes: int
    total_completed_records: int
    output_stall_msecs: int
    total_initiated_steps: int
    total_completed_steps: int
    pipeline_complete: bool


class FelderaCheckpointActivity(WireModel):
    status: str


class FelderaPipelineStats(WireModel):
    global_metrics: FelderaGlobalMetrics
    suspend_error: None
    checkpoint_activity: FelderaCheckpointActivity
    permanent_checkpoint_errors: None
    inputs: list[FelderaConnectorStats]
    outputs: list[Any]


class FelderaCompletionToken(WireModel):
    token: str


class FelderaUnknownFields(WireModel):
    records: int
    fields: list[str]


class FelderaIngress(WireModel):
    token: str = Field(description="A completion token for what this push brought.")
    unknown_fields: FelderaUnknownFields | None = Field(
        default=None,
        description="Headwater's: how many records landed without fields the table does "
        "not declare, and which fields.",
    )


class FelderaCompletionStatus(WireModel):
    status: str = Field(description="complete (200) or inprogress (202)")
    step: int | None
