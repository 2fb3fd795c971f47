"""What a restart settles before serving, and a periodic sweep after: work a dead process
left half done. Only the work of runners that are gone is touched (see `runners.py`): when
several processes share one metadata database, a neighbour's live runs are left alone.

- executions caught in COMMITTING: SUCCESS if their Delta commit landed, else ERROR (and
  rows they had sent to a quarantine dataset are taken out of it again);
- connector runs that were reading: ERROR (their reader died with the process);
- upload executions still taking parts: kept, with their staged parts, to commit or abort;
- at start, staged files of executions that have ended, or that no longer exist: removed.
"""

from __future__ import annotations

import logging

from headwater.domain.errors import Conflict
from headwater.domain.executions import ExecutionState, Phase
from headwater.domain.ports.ingest import PartStaging
from headwater.domain.ports.unit_of_work import Clock, UnitOfWorkFactory
from headwater.services.ingest.committer import Committer
from headwater.services.runners import Runners

log = logging.getLogger(__name__)

READ_INTERRUPTED = "interrupted by a server stop while reading; nothing was written"


class Recovery:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        staging: PartStaging,
        committer: Committer,
        runners: Runners,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._staging = staging
        self._committer = committer
        self._runners = runners

    def run(self) -> None:
        """At start: settle what gone runners left, then clear staging nobody will commit."""
        self.settle_gone()
        with self._uow() as uow:  # a live neighbour may be committing its staged parts
            active = uow.executions.list_by_phase(Phase.UPLOADING)
            active += uow.executions.list_by_phase(Phase.COMMITTING)
        keep = {e.id for e in active}
        for execution_id in self._staging.staged_execution_ids():
            if execution_id not in keep:
                self._staging.discard_execution(execution_id)

    def settle_gone(self) -> None:
        is_gone = self._runners.gone()
        for execution in self._committer.recover(is_gone):
            log.warning(
                "execution %s was mid-commit at the last stop: now %s",
                execution.id,
                execution.state.value,
            )
        with self._uow() as uow:
            reading = []
            for execution in uow.executions.list_by_phase(Phase.UPLOADING):
                stream = uow.streams.find(execution.stream_id)
                is_read = stream is None or not stream.transport.is_upload
                if is_read and is_gone(execution.runner_id):
                    reading.append(execution)
        for execution in reading:
            log.warning("execution %s lost its reader: now ERROR", execution.id)
            try:
                self._committer.end(execution.id, ExecutionState.ERROR, error=READ_INTERRUPTED)
            except Conflict:
                continue
        self._runners.forget(is_gone)
