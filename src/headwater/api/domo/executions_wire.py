"""The execution object as the seeds show it: every field present, times in epoch seconds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from headwater.api.shared.checks_wire import check_results_json, quarantine_json
from headwater.domain.executions import Execution
from headwater.domain.ticks import Tick
from headwater.services.ingest.executions import HistoryEntry


def epoch_seconds(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def execution_json(e: Execution) -> dict[str, Any]:
    return {
        "streamId": e.stream_id,
        "executionId": e.id,
        "id": e.id,
        "toe": e.toe,
        "startedAt": epoch_seconds(e.started_at),
        "endedAt": epoch_seconds(e.ended_at),
        "updateMethod": e.update_method.value,
        "index": True,
        "retryCount": e.retry_count,
        "retryExecution": e.retry_execution,
        "containerManagerId": f"cm-{e.toe.lower()}",
        "uploadId": e.upload_id,
        "indexRequestKey": None,
        "currentState": e.state.value,
        "runType": e.run_type.value,
        "createdAt": epoch_seconds(e.started_at),
        "modifiedAt": epoch_seconds(e.ended_at or e.started_at),
        "latestPhase": e.phase.value,
        "currentPhase": e.phase.value,
        "removed": False,
        "rowsInserted": e.rows_inserted,
        "bytesInserted": e.bytes_inserted,
        "startedBy": str(e.started_by),
        "cancelledBy": None if e.cancelled_by is None else str(e.cancelled_by),
        "dataTag": None,
        "dataVersion": e.data_version,
        "peakMemoryUsedBytes": e.peak_memory_bytes,
        "peakMemoryCommittedBytes": None,
        "exportable": False,
        "manualIndex": False,
        "attempt": e.attempt,
        "errors": [{"message": message} for message in e.errors],
        "warnings": [{"message": message} for message in e.warnings],
        "checkResults": check_results_json(e.check_report),
        "quarantine": quarantine_json(e.check_report),
        # What the stream's schemaPolicy did: columns added, widened, dropped, filled with NULL.
        "schemaChanges": e.schema_changes.to_dict() if e.schema_changes else None,
    }


def history_json(entry: HistoryEntry) -> dict[str, Any]:
    e = entry.execution
    return {
        "executionId": e.id,
        "streamId": e.stream_id,
        "state": e.state.value,
        "status": e.state.value,
        "runType": e.run_type.value,
        "startedAt": epoch_seconds(e.started_at),
        "endedAt": epoch_seconds(e.ended_at),
        "duration": entry.duration_seconds,
        "rowsInserted": e.rows_inserted,
        "bytesInserted": e.bytes_inserted,
        "retryCount": e.retry_count,
        "error": e.errors[-1] if e.errors else None,
    }


def tick_json(tick: Tick) -> dict[str, Any]:
    return {
        "streamId": tick.stream_id,
        "dueAt": epoch_seconds(tick.due_at),
        "claimedAt": epoch_seconds(tick.claimed_at),
        "outcome": tick.outcome.value,
        "executionId": tick.execution_id,
        "catchUp": tick.catch_up,
        "note": tick.note,
        "claimedBy": tick.claimed_by,
    }
