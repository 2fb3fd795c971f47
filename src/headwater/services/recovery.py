"""What a restart settles before serving: work a dead process left half done.

- executions caught in COMMITTING: SUCCESS if their Delta commit landed, else ERROR;
- connector runs that were reading: ERROR (their reader died with the process);
- upload executions still taking parts: kept, with their staged parts, to commit or abort;
- staged files of executions that have ended, or that no longer exist: removed.
"""

from __future__ import annotations

import logging

from headwater.domain.errors import Conflict
from headwater.domain.executions import ExecutionState, Phase
from headwater.domain.ports import Clock, PartStaging, UnitOfWorkFactory
from headwater.services.committer import Committer

log = logging.getLogger(__name__)

READ_INTERRUPTED = "interrupted by a server stop while reading; nothing was written"


class Recovery:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, staging: PartStaging, committer: Committer
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._staging = staging
        self._committer = committer

    def run(self) -> None:
        for execution in self._committer.recover():
            log.warning(
                "execution %s was mid-commit at the last stop: now %s",
                execution.id,
                execution.state.value,
            )
        with self._uow() as uow:
            reading = []
            for execution in uow.executions.list_by_phase(Phase.UPLOADING):
                stream = uow.streams.find(execution.stream_id)
                if stream is None or not stream.transport.is_upload:
                    reading.append(execution)
        for execution in reading:
            try:
                self._committer.end(execution.id, ExecutionState.ERROR, error=READ_INTERRUPTED)
            except Conflict:
                continue
        with self._uow() as uow:
            keep = {e.id for e in uow.executions.list_by_phase(Phase.UPLOADING)}
        for execution_id in self._staging.staged_execution_ids():
            if execution_id not in keep:
                self._staging.discard_execution(execution_id)
