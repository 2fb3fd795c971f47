"""The one way data enters a dataset from an execution: a single tagged Delta commit.

`begin` moves the execution from UPLOADING to COMMITTING (a compare-and-set, so a second
commit or a racing abort loses cleanly). `land` writes the Delta transaction, tagged with the
execution id in its commit metadata, then ends the execution in SUCCESS, or in ERROR with the
dataset untouched. `recover` settles executions a dead process left in COMMITTING by looking
for that tag in the table's history.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from headwater.domain.datasets import Column, UpdateMethod
from headwater.domain.errors import Conflict, HeadwaterError, NotFound
from headwater.domain.executions import Execution, ExecutionState, Phase, transition
from headwater.domain.ports import (
    Clock,
    CommitResult,
    DatasetStore,
    StagedFile,
    UnitOfWorkFactory,
)
from headwater.domain.versions import METHOD_TAG
from headwater.services.datasets import Datasets
from headwater.services.retries import ScheduledRetries

log = logging.getLogger(__name__)

COMMIT_TAG = "headwater.execution"
INTERRUPTED = "interrupted during commit by a server stop; the dataset was left unchanged"


def orphan_prefix(execution_id: int) -> str:
    """Data files of an execution are named so a failed commit's leftovers can be found."""
    return f"part-e{execution_id}-"


class Committer:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        store: DatasetStore,
        clock: Clock,
        datasets: Datasets,
        runner_id: str | None = None,
        retries: ScheduledRetries | None = None,
    ) -> None:
        self._uow = uow
        self._store = store
        self._clock = clock
        self._datasets = datasets
        self._runner_id = runner_id  # this process, recorded as the one committing
        self._retries = retries

    def begin(self, execution_id: int) -> Execution:
        with self._uow() as uow:
            execution = uow.executions.find(execution_id)
            if execution is None:
                raise NotFound(f"no execution {execution_id}")
            if execution.finished:
                raise Conflict(
                    f"execution {execution_id} is {execution.state.value} already",
                    code="EXECUTION_FINISHED",
                )
            if execution.phase is not Phase.UPLOADING:
                raise Conflict(
                    f"execution {execution_id} is committing already", code="EXECUTION_COMMITTING"
                )
            execution.phase = Phase.COMMITTING
            execution.runner_id = self._runner_id
            if not uow.executions.update(
                execution, expect_state=ExecutionState.ACTIVE, expect_phase=Phase.UPLOADING
            ):
                raise Conflict(
                    f"execution {execution_id} changed meanwhile; try again",
                    code="EXECUTION_CHANGED",
                )
            uow.commit()
            return execution

    def land(
        self,
        execution: Execution,
        parts: Sequence[tuple[str, int]],
        columns: Sequence[Column],
        method: UpdateMethod,
        key_columns: Sequence[str],
        bytes_in: int,
        metadata: Mapping[str, str] | None = None,
    ) -> Execution:
        """Commit staged part files `(path, rows)`, in order, for an execution in COMMITTING;
        always ends it. `metadata` is committed in the same transaction (connector state)."""
        prefix = orphan_prefix(execution.id)
        files = [
            StagedFile(path, rows, f"{prefix}{index:05d}-{Path(path).name}")
            for index, (path, rows) in enumerate(parts)
        ]
        try:
            result = self._store.commit_files(
                execution.dataset_id,
                columns,
                files,
                method,
                key_columns,
                metadata={
                    **(metadata or {}),
                    COMMIT_TAG: str(execution.id),
                    METHOD_TAG: method.value,  # what the version list calls the commit
                },
            )
        except HeadwaterError as exc:
            self._store.remove_orphans(execution.dataset_id, prefix)
            return self.end(execution.id, ExecutionState.ERROR, error=exc.message)
        except Exception as exc:
            log.exception("commit of execution %s failed", execution.id)
            self._store.remove_orphans(execution.dataset_id, prefix)
            return self.end(execution.id, ExecutionState.ERROR, error=f"commit failed: {exc}")
        self._datasets.record_commit(execution.dataset_id, result, list(columns))
        return self.end(execution.id, ExecutionState.SUCCESS, result=result, bytes_in=bytes_in)

    def end(
        self,
        execution_id: int,
        state: ExecutionState,
        *,
        error: str | None = None,
        result: CommitResult | None = None,
        bytes_in: int | None = None,
    ) -> Execution:
        with self._uow() as uow:
            execution = uow.executions.find(execution_id)
            assert execution is not None
            transition(execution, state, self._clock.now(), error=error)
            if result is not None:
                execution.rows_inserted = result.rows_written
                execution.bytes_inserted = (
                    bytes_in if bytes_in is not None else result.bytes_written
                )
                execution.data_version = result.version
            if not uow.executions.update(execution, expect_state=ExecutionState.ACTIVE):
                raise Conflict(
                    f"execution {execution_id} finished meanwhile", code="EXECUTION_FINISHED"
                )
            if self._retries is not None:
                self._retries.after_end(uow, execution)
            uow.commit()
            return execution

    def recover(self, is_gone: Callable[[str | None], bool]) -> list[Execution]:
        """Settle every execution left in COMMITTING by a runner that is gone: SUCCESS if its
        commit landed, else ERROR. A live runner's commit is its own to finish."""
        with self._uow() as uow:
            stranded = [
                e for e in uow.executions.list_by_phase(Phase.COMMITTING) if is_gone(e.runner_id)
            ]
        settled = []
        for execution in stranded:
            found = self._store.find_commit(execution.dataset_id, COMMIT_TAG, str(execution.id))
            if found is None:
                self._store.remove_orphans(execution.dataset_id, orphan_prefix(execution.id))
                settled.append(self.end(execution.id, ExecutionState.ERROR, error=INTERRUPTED))
                continue
            with self._uow() as uow:
                dataset = uow.datasets.find(execution.dataset_id)
                columns = list(dataset.columns or []) if dataset else []
            self._datasets.record_commit(execution.dataset_id, found, columns)
            settled.append(self.end(execution.id, ExecutionState.SUCCESS, result=found))
        return settled
