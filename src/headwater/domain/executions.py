"""Executions: one run of a stream, and the one gate every state change goes through.

    ACTIVE ──▶ SUCCESS
       │  ╲──▶ ERROR
       ╰─────▶ ABORTED

While ACTIVE an execution moves through phases: UPLOADING (parts arrive, or a connector
reads) ─▶ COMMITTING (one Delta transaction under way) ─▶ the terminal state. A server that
dies in COMMITTING finds out on restart whether the Delta commit landed (its commit metadata
names the execution) and ends the execution in SUCCESS or ERROR accordingly.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from headwater.domain.check_results import CheckReport
from headwater.domain.datasets import UpdateMethod
from headwater.domain.errors import Conflict
from headwater.domain.schema_policy import SchemaChanges


class ExecutionState(Enum):
    ACTIVE = "ACTIVE"
    SUCCESS = "SUCCESS"
    ERROR = "ERROR"
    ABORTED = "ABORTED"

    @property
    def finished(self) -> bool:
        return self is not ExecutionState.ACTIVE


class Phase(Enum):
    UPLOADING = "UPLOADING"
    COMMITTING = "COMMITTING"
    DONE = "DONE"


class RunType(Enum):
    MANUAL = "MANUAL"
    AUTOMATED = "AUTOMATED"  # Domo's name for scheduled runs
    API = "API"  # an upload execution opened by a client


@dataclass
class Execution:
    id: int
    stream_id: int
    dataset_id: str
    state: ExecutionState
    phase: Phase
    run_type: RunType
    update_method: UpdateMethod
    started_at: datetime
    started_by: int
    toe: str
    ended_at: datetime | None = None
    rows_inserted: int = 0
    bytes_inserted: int = 0
    cancelled_by: int | None = None
    retry_count: int = 0
    retry_execution: int | None = None
    errors: list[str] = field(default_factory=list)
    data_version: int | None = None
    peak_memory_bytes: int | None = None
    upload_id: int | None = None
    attempt: int = 1  # 1 for a first run; a scheduled run's retries count on from it
    runner_id: str | None = None  # the server process reading or committing it, if any
    check_report: CheckReport | None = None  # what the dataset's quality checks found
    # What the run reports without failing: a file read again from its start, and why.
    warnings: list[str] = field(default_factory=list)
    schema_changes: SchemaChanges | None = None  # what its schema policy did, if anything

    @property
    def finished(self) -> bool:
        return self.state.finished


def new_toe() -> str:
    """Domo's trace id shape, e.g. `HAK43KQGQ7-GNKF0-SRC9Y`."""
    alphabet = string.ascii_uppercase + string.digits
    parts = (10, 5, 5)
    return "-".join("".join(secrets.choice(alphabet) for _ in range(n)) for n in parts)


ALLOWED = {
    ExecutionState.ACTIVE: {ExecutionState.SUCCESS, ExecutionState.ERROR, ExecutionState.ABORTED},
}


def transition(
    execution: Execution,
    to: ExecutionState,
    now: datetime,
    *,
    error: str | None = None,
    cancelled_by: int | None = None,
) -> Execution:
    """The gate: the only way an execution changes state. Finished executions stay finished."""
    if to not in ALLOWED.get(execution.state, set()):
        raise Conflict(
            f"execution {execution.id} is {execution.state.value}; it cannot become {to.value}",
            code="EXECUTION_FINISHED",
        )
    execution.state = to
    execution.phase = Phase.DONE
    execution.ended_at = now
    if error:
        execution.errors.append(error)
    if cancelled_by is not None:
        execution.cancelled_by = cancelled_by
    return execution
