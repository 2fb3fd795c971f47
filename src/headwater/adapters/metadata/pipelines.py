"""Pipelines, their connectors' persisted state, and the lease that says who runs them."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from headwater.adapters.metadata.columns_json import column_from_json, column_to_json
from headwater.adapters.metadata.tables import pipeline_connectors, pipelines
from headwater.domain.pipelines import (
    ConnectorDef,
    ConnectorState,
    ConnectorStats,
    DesiredStatus,
    Format,
    Pipeline,
    Program,
    RuntimeStatus,
    StorageStatus,
    TableDef,
    ViewDef,
)
from headwater.domain.schema_policy import DEFAULT_POLICY, SchemaPolicy


def program_to_json(program: Program) -> dict[str, Any]:
    return {
        "tables": [
            {
                "name": t.name,
                "case_sensitive": t.case_sensitive,
                "columns": [column_to_json(c) for c in t.columns],
                "primary_key": list(t.primary_key),
                "connectors": [c.wire() for c in t.connectors],
                "schema_policy": t.schema_policy.value,
            }
            for t in program.tables
        ],
        "views": [
            {"name": v.name, "sql": v.sql, "materialized": v.materialized} for v in program.views
        ],
    }


def _connector(raw: dict[str, Any]) -> ConnectorDef:
    fmt = raw.get("format")
    return ConnectorDef(
        name=raw["name"],
        transport=raw["transport"]["name"],
        transport_config=dict(raw["transport"].get("config") or {}),
        format=Format(fmt["name"], dict(fmt.get("config") or {})) if fmt else None,
        paused=bool(raw.get("paused", False)),
        labels=tuple(raw.get("labels") or ()),
        start_after=tuple(raw.get("start_after") or ()),
        max_queued_records=int(raw["max_queued_records"]),
    )


def program_from_json(raw: dict[str, Any]) -> Program:
    return Program(
        tables=tuple(
            TableDef(
                name=t["name"],
                case_sensitive=bool(t.get("case_sensitive", False)),
                columns=tuple(column_from_json(c) for c in t["columns"]),
                primary_key=tuple(t.get("primary_key") or ()),
                connectors=tuple(_connector(c) for c in t.get("connectors") or ()),
                # Programs stored before schema policies existed: the default.
                schema_policy=SchemaPolicy(t.get("schema_policy") or DEFAULT_POLICY.value),
            )
            for t in raw.get("tables") or ()
        ),
        views=tuple(
            ViewDef(v["name"], v["sql"], bool(v.get("materialized", False)))
            for v in raw.get("views") or ()
        ),
    )


def _pipeline(row: Any) -> Pipeline:
    return Pipeline(
        id=row.id,
        name=row.name,
        owner_id=row.owner_id,
        program_code=row.program_code,
        program=program_from_json(row.program),
        table_datasets=dict(row.table_datasets),
        description=row.description,
        tags=list(row.tags),
        runtime_config=dict(row.runtime_config),
        program_config=dict(row.program_config),
        desired=DesiredStatus(row.desired_status),
        runtime=RuntimeStatus(row.runtime_status),
        lease_owner=row.lease_owner,
        lease_expires_at=row.lease_expires_at,
        incarnation=row.incarnation,
        started_at=row.started_at,
        storage=StorageStatus(row.storage_status),
        deployment_error=row.deployment_error,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        configured_by=row.configured_by,
        schema_changes=dict(row.schema_changes or {}),
    )


def _values(pipeline: Pipeline) -> dict[str, Any]:
    return {
        "name": pipeline.name,
        "owner_id": pipeline.owner_id,
        "program_code": pipeline.program_code,
        "program": program_to_json(pipeline.program),
        "table_datasets": dict(pipeline.table_datasets),
        "description": pipeline.description,
        "tags": list(pipeline.tags),
        "runtime_config": dict(pipeline.runtime_config),
        "program_config": dict(pipeline.program_config),
        "desired_status": pipeline.desired.value,
        "incarnation": pipeline.incarnation,
        "started_at": pipeline.started_at,
        "storage_status": pipeline.storage.value,
        "deployment_error": pipeline.deployment_error,
        "version": pipeline.version,
        "created_at": pipeline.created_at,
        "updated_at": pipeline.updated_at,
        "configured_by": pipeline.configured_by,
        "schema_changes": dict(pipeline.schema_changes),
    }


def _state(row: Any) -> ConnectorState:
    return ConnectorState(
        pipeline_id=row.pipeline_id,
        table=row.table_name,
        name=row.connector_name,
        paused=row.paused,
        waiting=row.waiting,
        end_of_input=row.end_of_input,
        stats=ConnectorStats(**row.stats),
        updated_at=row.updated_at,
    )


class SqlPipelineRepository:
    def __init__(self, connection: Connection, now: Any) -> None:
        self._c = connection
        self._now = now  # stamps updated_at on connector rows

    def add(self, pipeline: Pipeline) -> None:
        self._c.execute(
            pipelines.insert().values(
                id=pipeline.id,
                runtime_status=pipeline.runtime.value,
                **_values(pipeline),
            )
        )

    def find(self, pipeline_id: str) -> Pipeline | None:
        row = self._c.execute(pipelines.select().where(pipelines.c.id == pipeline_id)).first()
        return _pipeline(row) if row else None

    def find_by_name(self, name: str) -> Pipeline | None:
        row = self._c.execute(pipelines.select().where(pipelines.c.name == name)).first()
        return _pipeline(row) if row else None

    def all(self) -> list[Pipeline]:
        rows = self._c.execute(pipelines.select().order_by(pipelines.c.name))
        return [_pipeline(row) for row in rows]

    def update(self, pipeline: Pipeline) -> None:
        self._c.execute(
            pipelines.update().where(pipelines.c.id == pipeline.id).values(**_values(pipeline))
        )

    def delete(self, pipeline_id: str) -> None:
        self.delete_connectors(pipeline_id)
        self._c.execute(pipelines.delete().where(pipelines.c.id == pipeline_id))

    def take_lease(self, pipeline_id: str, owner: str, now: datetime, until: datetime) -> bool:
        # One compare-and-set: two processes racing for a lapsed lease cannot both win.
        free = sa.or_(
            pipelines.c.lease_owner.is_(None),
            pipelines.c.lease_owner == owner,
            pipelines.c.lease_expires_at < now,
        )
        taken = self._c.execute(
            pipelines.update()
            .where(pipelines.c.id == pipeline_id, free)
            .values(lease_owner=owner, lease_expires_at=until)
        )
        return bool(taken.rowcount)

    def release_lease(self, pipeline_id: str, owner: str) -> None:
        self._c.execute(
            pipelines.update()
            .where(pipelines.c.id == pipeline_id, pipelines.c.lease_owner == owner)
            .values(
                lease_owner=None,
                lease_expires_at=None,
                runtime_status=RuntimeStatus.STOPPED.value,
            )
        )

    def report_runtime(self, pipeline_id: str, owner: str, status: RuntimeStatus) -> bool:
        done = self._c.execute(
            pipelines.update()
            .where(pipelines.c.id == pipeline_id, pipelines.c.lease_owner == owner)
            .values(runtime_status=status.value)
        )
        return bool(done.rowcount)

    def connectors(self, pipeline_id: str) -> list[ConnectorState]:
        rows = self._c.execute(
            pipeline_connectors.select()
            .where(pipeline_connectors.c.pipeline_id == pipeline_id)
            .order_by(pipeline_connectors.c.table_name, pipeline_connectors.c.connector_name)
        )
        return [_state(row) for row in rows]

    def put_connector(self, state: ConnectorState) -> None:
        self._c.execute(
            pipeline_connectors.delete().where(
                *self._key(state.pipeline_id, state.table, state.name)
            )
        )
        self._c.execute(
            pipeline_connectors.insert().values(
                pipeline_id=state.pipeline_id,
                table_name=state.table,
                connector_name=state.name,
                paused=state.paused,
                waiting=state.waiting,
                end_of_input=state.end_of_input,
                stats=asdict(state.stats),
                updated_at=self._now(),
            )
        )

    def delete_connectors(self, pipeline_id: str) -> None:
        self._c.execute(
            pipeline_connectors.delete().where(pipeline_connectors.c.pipeline_id == pipeline_id)
        )

    def set_connector_flags(
        self, pipeline_id: str, table: str, name: str, *, paused: bool, waiting: bool
    ) -> bool:
        done = self._c.execute(
            pipeline_connectors.update()
            .where(*self._key(pipeline_id, table, name))
            .values(paused=paused, waiting=waiting, updated_at=self._now())
        )
        return bool(done.rowcount)

    def save_connector_progress(self, state: ConnectorState) -> None:
        self._c.execute(
            pipeline_connectors.update()
            .where(*self._key(state.pipeline_id, state.table, state.name))
            .values(
                end_of_input=state.end_of_input,
                stats=asdict(state.stats),
                updated_at=self._now(),
            )
        )

    @staticmethod
    def _key(pipeline_id: str, table: str, name: str) -> list[Any]:
        return [
            pipeline_connectors.c.pipeline_id == pipeline_id,
            pipeline_connectors.c.table_name == table,
            pipeline_connectors.c.connector_name == name,
        ]
