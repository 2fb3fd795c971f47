"""Executions and their uploaded parts in SQL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from headwater.adapters.metadata.ids import inserted_id
from headwater.adapters.metadata.tables import execution_parts, executions
from headwater.domain.check_results import CheckReport
from headwater.domain.datasets import UpdateMethod
from headwater.domain.errors import Conflict
from headwater.domain.executions import Execution, ExecutionState, Phase, RunType
from headwater.domain.parts import Part
from headwater.domain.schema_policy import SchemaChanges


def _execution(row: Any) -> Execution:
    return Execution(
        id=row.id,
        stream_id=row.stream_id,
        dataset_id=row.dataset_id,
        state=ExecutionState(row.state),
        phase=Phase(row.phase),
        run_type=RunType(row.run_type),
        update_method=UpdateMethod(row.update_method),
        started_at=row.started_at,
        started_by=row.started_by,
        toe=row.toe,
        ended_at=row.ended_at,
        rows_inserted=row.rows_inserted,
        bytes_inserted=row.bytes_inserted,
        cancelled_by=row.cancelled_by,
        retry_count=row.retry_count,
        retry_execution=row.retry_execution,
        errors=list(row.errors or []),
        data_version=row.data_version,
        peak_memory_bytes=row.peak_memory_bytes,
        upload_id=row.upload_id,
        attempt=row.attempt,
        runner_id=row.runner_id,
        check_report=CheckReport.from_dict(row.check_report) if row.check_report else None,
        warnings=list(row.warnings or []),
        schema_changes=SchemaChanges.from_dict(row.schema_changes) if row.schema_changes else None,
    )


def _values(e: Execution) -> dict[str, Any]:
    return {
        "stream_id": e.stream_id,
        "dataset_id": e.dataset_id,
        "state": e.state.value,
        "phase": e.phase.value,
        "run_type": e.run_type.value,
        "update_method": e.update_method.value,
        "started_at": e.started_at,
        "ended_at": e.ended_at,
        "started_by": e.started_by,
        "cancelled_by": e.cancelled_by,
        "toe": e.toe,
        "rows_inserted": e.rows_inserted,
        "bytes_inserted": e.bytes_inserted,
        "retry_count": e.retry_count,
        "retry_execution": e.retry_execution,
        "errors": list(e.errors),
        "data_version": e.data_version,
        "peak_memory_bytes": e.peak_memory_bytes,
        "upload_id": e.upload_id,
        "attempt": e.attempt,
        "runner_id": e.runner_id,
        "check_report": e.check_report.as_dict() if e.check_report else None,
        "warnings": list(e.warnings) or None,
        "schema_changes": e.schema_changes.to_dict() if e.schema_changes else None,
    }


class SqlExecutionRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, execution: Execution) -> Execution:
        try:
            with self._c.begin_nested():
                result = self._c.execute(executions.insert().values(**_values(execution)))
        except sa.exc.IntegrityError:
            # The partial unique index: another ACTIVE execution won the race.
            raise Conflict(
                f"stream {execution.stream_id} already has an ACTIVE execution",
                code="EXECUTION_ACTIVE",
            ) from None
        execution_id = inserted_id(result)
        execution.id = execution_id
        return execution

    def find(self, execution_id: int) -> Execution | None:
        row = self._c.execute(executions.select().where(executions.c.id == execution_id)).first()
        return _execution(row) if row else None

    def active_for_stream(self, stream_id: int) -> Execution | None:
        row = self._c.execute(
            executions.select().where(
                executions.c.stream_id == stream_id,
                executions.c.state == ExecutionState.ACTIVE.value,
            )
        ).first()
        return _execution(row) if row else None

    def list_for_stream(self, stream_id: int, limit: int, offset: int) -> list[Execution]:
        query = (
            executions.select()
            .where(executions.c.stream_id == stream_id)
            .order_by(executions.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [_execution(row) for row in self._c.execute(query)]

    def list_by_phase(self, phase: Phase) -> list[Execution]:
        query = executions.select().where(
            executions.c.state == ExecutionState.ACTIVE.value, executions.c.phase == phase.value
        )
        return [_execution(row) for row in self._c.execute(query)]

    def list_finished_with_parts(self) -> list[int]:
        query = (
            sa.select(executions.c.id)
            .where(executions.c.state != ExecutionState.ACTIVE.value)
            .where(sa.exists().where(execution_parts.c.execution_id == executions.c.id))
        )
        return list(self._c.execute(query).scalars())

    def update(
        self,
        execution: Execution,
        *,
        expect_state: ExecutionState | None = None,
        expect_phase: Phase | None = None,
    ) -> bool:
        """Write the execution; with `expect_*`, only if the stored row is still in that state
        (a compare-and-set, so two racing requests cannot both finish one execution)."""
        query = executions.update().where(executions.c.id == execution.id)
        if expect_state is not None:
            query = query.where(executions.c.state == expect_state.value)
        if expect_phase is not None:
            query = query.where(executions.c.phase == expect_phase.value)
        result = self._c.execute(query.values(**_values(execution)))
        return bool(result.rowcount)

    def add_progress(self, execution_id: int, rows: int, nbytes: int) -> None:
        self._c.execute(
            executions.update()
            .where(executions.c.id == execution_id)
            .values(
                rows_inserted=executions.c.rows_inserted + rows,
                bytes_inserted=executions.c.bytes_inserted + nbytes,
            )
        )

    def delete(self, execution_id: int) -> None:
        self.delete_parts(execution_id)
        self._c.execute(executions.delete().where(executions.c.id == execution_id))

    # -- parts --------------------------------------------------------------------------
    def put_part(self, part: Part) -> Part | None:
        """Record a part, replacing one with the same id; the replaced part is returned."""
        old = self.find_part(part.execution_id, part.part_id)
        if old is not None:
            self._c.execute(
                execution_parts.delete().where(
                    execution_parts.c.execution_id == part.execution_id,
                    execution_parts.c.part_id == part.part_id,
                )
            )
        self._c.execute(
            execution_parts.insert().values(
                execution_id=part.execution_id,
                part_id=part.part_id,
                path=part.path,
                rows=part.rows,
                bytes=part.bytes,
                uploaded_at=part.uploaded_at,
            )
        )
        return old

    def find_part(self, execution_id: int, part_id: int) -> Part | None:
        row = self._c.execute(
            execution_parts.select().where(
                execution_parts.c.execution_id == execution_id,
                execution_parts.c.part_id == part_id,
            )
        ).first()
        return _part(row) if row else None

    def parts(self, execution_id: int) -> list[Part]:
        query = (
            execution_parts.select()
            .where(execution_parts.c.execution_id == execution_id)
            .order_by(execution_parts.c.part_id)
        )
        return [_part(row) for row in self._c.execute(query)]

    def delete_parts(self, execution_id: int) -> None:
        self._c.execute(
            execution_parts.delete().where(execution_parts.c.execution_id == execution_id)
        )


def _part(row: Any) -> Part:
    return Part(row.execution_id, row.part_id, row.path, row.rows, row.bytes, row.uploaded_at)
