"""Pipelines and their statistics as Feldera's JSON spells them (what its client reads)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from headwater import __version__
from headwater.domain import access
from headwater.domain.columns import Column
from headwater.domain.pipelines import ConnectorState, DesiredStatus, Pipeline
from headwater.services.pipelines.catalog import PipelineView
from headwater.services.pipelines.program import SQL_NAMES, render_masked_sql

RESOURCES = {  # combined status → (resources status, runtime status)
    "Stopped": ("Stopped", None),
    "Provisioning": ("Provisioning", None),
    "Initializing": ("Provisioned", "Initializing"),
    "Paused": ("Provisioned", "Paused"),
    "Running": ("Provisioned", "Running"),
    "Stopping": ("Stopping", None),
}


def _time(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def pipeline_json(view: PipelineView, selector: str = "all") -> dict[str, Any]:
    p, now = view.pipeline, view.now
    status = p.deployment_status(now)
    resources, runtime = RESOURCES[status]
    body: dict[str, Any] = {
        "id": p.id,
        "name": p.name,
        "description": p.description,
        "created_at": _time(p.created_at),
        "version": p.version,
        "platform_version": __version__,
        "program_version": p.version,
        "refresh_version": p.version,
        "program_status": "Success",
        "program_status_since": _time(p.updated_at),
        "deployment_status": status,
        "deployment_status_since": _time(p.updated_at),
        "deployment_desired_status": p.desired.value,
        "deployment_desired_status_since": _time(p.updated_at),
        "deployment_resources_status": resources,
        "deployment_resources_desired_status": (
            "Stopped" if p.desired is DesiredStatus.STOPPED else "Provisioned"
        ),
        "deployment_runtime_status": runtime,
        "deployment_runtime_desired_status": (
            None if p.desired is DesiredStatus.STOPPED else p.desired.value
        ),
        "deployment_error": p.deployment_error,
        "deployment_id": p.incarnation,
        "deployment_location": p.lease_owner if p.lease_live(now) else None,
        "deployment_initial": "running",
        "storage_status": p.storage.value,
        "storage_status_details": None,
        "tags": list(p.tags),
        "connectors": {"num_errors": _num_errors(view.connectors)},
    }
    if selector == "status":
        return body
    body.update(
        # A caller who may not edit the pipeline does not read its connectors' credentials.
        program_code=p.program_code
        if view.level.allows(access.EDIT)
        else render_masked_sql(p.program),
        udf_rust="",
        udf_toml="",
        program_config=p.program_config,
        runtime_config=p.runtime_config,
        program_info=program_info(p),
        # Headwater's: what the last program change did to each table's dataset (evolved
        # it, or made a new one and why); {} when it changed none. See docs/schema-policy.md.
        schema_changes=p.schema_changes,
        program_error={
            "sql_compilation": {"exit_code": 0, "messages": []},
            "rust_compilation": None,
            "system_error": None,
        },
    )
    return body


def _num_errors(states: list[ConnectorState]) -> int:
    return sum(s.stats.num_parse_errors + s.stats.num_transport_errors for s in states)


def _column_type(column: Column) -> dict[str, Any]:
    """Feldera's column type: a DECIMAL with its `precision` and `scale`."""
    shown: dict[str, Any] = {"type": SQL_NAMES[column.type], "nullable": True}
    if column.precision is not None:
        shown["precision"], shown["scale"] = column.decimal_size
    return shown


def program_info(p: Pipeline) -> dict[str, Any]:
    inputs = [
        {
            "name": t.name,
            "case_sensitive": t.case_sensitive,
            "materialized": True,  # every table is a dataset, so it can always be queried
            "fields": [
                {
                    "name": c.name,
                    "case_sensitive": t.case_sensitive,
                    "columntype": _column_type(c),
                    "unused": False,
                }
                for c in t.columns
            ],
            "properties": {},
        }
        for t in p.program.tables
    ]
    outputs = [
        {
            "name": v.name,
            "case_sensitive": False,
            "materialized": v.materialized,
            "fields": [],
            "properties": {},
        }
        for v in p.program.views
    ]
    return {
        "schema": {"inputs": inputs, "outputs": outputs},
        "udf_stubs": "",
        "input_connectors": {},
        "output_connectors": {},
    }


def connector_json(state: ConnectorState, full: bool) -> dict[str, Any]:
    s = state.stats
    problem = s.fatal_error or s.problem
    body: dict[str, Any] = {
        "endpoint_name": state.endpoint,
        "config": {"stream": state.table},
        "metrics": {
            "total_bytes": s.total_bytes,
            "total_records": s.total_records,
            "buffered_records": s.buffered_records,
            "buffered_bytes": s.buffered_bytes,
            "num_transport_errors": s.num_transport_errors,
            "num_parse_errors": s.num_parse_errors,
            "end_of_input": state.end_of_input,
            "num_duplicates_dropped": s.num_duplicates_dropped,  # Headwater's own
            # Headwater's own: records that landed without fields the table does not declare
            # (dropped under EVOLVE and IGNORE_NEW), and the latest of those fields' names.
            "num_records_with_unknown_fields": s.num_records_with_unknown_fields,
            "unknown_fields": list(s.unknown_fields),
        },
        "fatal_error": s.fatal_error,
        "health": {"status": "Unhealthy" if problem else "Healthy", "description": problem},
        "paused": state.paused,
        "barrier": False,
        "completed_frontier": None,
    }
    if s.last_commit_latency_ms is not None:
        body["metrics"]["commit_latency_ms"] = s.last_commit_latency_ms
    if full:
        body["parse_errors"] = list(s.parse_errors)
        body["transport_errors"] = list(s.transport_errors)
        body["warnings"] = list(s.warnings)  # Headwater's own
    return body


def stats_json(view: PipelineView, with_errors: bool) -> dict[str, Any]:
    p, now = view.pipeline, view.now
    states = sorted(view.connectors, key=lambda s: s.endpoint)
    received = sum(s.stats.total_records for s in states)
    buffered = sum(s.stats.buffered_records for s in states)
    started = int((p.started_at or now).timestamp())
    state = "Paused" if p.desired is DesiredStatus.PAUSED else "Running"
    return {
        "global_metrics": {
            "state": state,
            "bootstrap_in_progress": False,
            "transaction_status": "NoTransaction",
            "transaction_id": 0,
            "transaction_msecs": None,
            "transaction_records": None,
            "commit_progress": None,
            "rss_bytes": 0,
            "cpu_msecs": 0,
            "uptime_msecs": int((now - (p.started_at or now)).total_seconds() * 1000),
            "start_time": started,
            "incarnation_uuid": p.incarnation or "00000000-0000-0000-0000-000000000000",
            "initial_start_time": started,
            "storage_bytes": 0,
            "storage_mb_secs": 0,
            "runtime_elapsed_msecs": 0,
            "buffered_input_records": buffered,
            "buffered_input_bytes": 0,
            "total_input_records": received,
            "total_input_bytes": sum(s.stats.total_bytes for s in states),
            "total_processed_records": received - buffered,
            "total_processed_bytes": 0,
            "total_completed_records": received - buffered,
            "output_stall_msecs": 0,
            "total_initiated_steps": 0,
            "total_completed_steps": 0,
            "pipeline_complete": bool(states)
            and all(s.end_of_input and not s.stats.buffered_records for s in states),
        },
        "suspend_error": None,
        "checkpoint_activity": {"status": "idle"},
        "permanent_checkpoint_errors": None,
        "inputs": [connector_json(s, with_errors) for s in states],
        "outputs": [],
    }
