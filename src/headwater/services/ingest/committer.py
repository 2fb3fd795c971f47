"""An execution's commit: its life cycle around the one way into a table (`TableCommits`).

`begin` moves the execution from UPLOADING to COMMITTING (a compare-and-set, so a second
commit or a racing abort loses cleanly). `land` runs the dataset's quality checks on the
staged files (`quality_gate`), writes the Delta transaction, tagged with the execution id in
its commit metadata, then ends the execution in SUCCESS, or in ERROR with the dataset
untouched. Rows the checks quarantine are committed to the quarantine dataset just before,
and taken out again if the dataset's own commit does not land. `recover` settles executions
a dead process left in COMMITTING by looking for that tag in the table's history.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from headwater.domain.check_results import CheckReport
from headwater.domain.datasets import Column, UpdateMethod
from headwater.domain.errors import Conflict, HeadwaterError, NotFound
from headwater.domain.executions import Execution, ExecutionState, Phase, transition
from headwater.domain.ports.storage import CommitResult, DatasetStore, StagedFile
from headwater.domain.ports.unit_of_work import Clock, UnitOfWorkFactory
from headwater.domain.positions import PositionKey
from headwater.domain.schema_policy import SchemaChanges
from headwater.domain.versions import METHOD_TAG
from headwater.services.datasets.commit_tags import COMMIT_TAG, orphan_prefix
from headwater.services.datasets.quality_gate import QualityGate, Verdict
from headwater.services.datasets.table_commits import TableCommits
from headwater.services.ingest.retries import ScheduledRetries

log = logging.getLogger(__name__)

__all__ = ["COMMIT_TAG", "INTERRUPTED", "Committer", "orphan_prefix"]

INTERRUPTED = "interrupted during commit by a server stop; the dataset was left unchanged"


class Committer:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        store: DatasetStore,
        clock: Clock,
        tables: TableCommits,
        runner_id: str | None = None,
        retries: ScheduledRetries | None = None,
        gate: QualityGate | None = None,
    ) -> None:
        self._uow = uow
        self._store = store
        self._clock = clock
        self._tables = tables
        self._runner_id = runner_id  # this process, recorded as the one committing
        self._retries = retries
        self._gate = gate

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
        schema_changes: SchemaChanges | None = None,
        position: tuple[PositionKey, Any] | None = None,
        warnings: Sequence[str] = (),
    ) -> Execution:
        """Commit staged part files `(path, rows)`, in order, for an execution in COMMITTING;
        always ends it. `metadata` is committed in the same transaction (connector state);
        `position`, the same state for its owner, is saved right after the commit lands
        (`services.datasets.positions`). `warnings` go on the execution however it ends.
        `columns` are the dataset's after the load: when `schema_changes` alter the dataset's
        (the schema policy added or widened columns), the commit rewrites the table to them
        and the metadata schema follows; the execution keeps the changes."""
        changes = schema_changes or None
        alters = changes is not None and changes.alters_dataset
        prefix = orphan_prefix(execution.id)
        files = [
            StagedFile(path, rows, f"{prefix}{index:05d}-{Path(path).name}")
            for index, (path, rows) in enumerate(parts)
        ]
        verdict = self._inspect(execution, files, columns, method)
        if isinstance(verdict, Execution):
            return verdict  # the checks could not run: ended in ERROR
        report = verdict.report if verdict else None
        if verdict is not None and verdict.blocks_commit:
            return self.end(
                execution.id,
                ExecutionState.ERROR,
                error=verdict.report.error_message(),
                report=verdict.report,
            )
        if verdict is not None and verdict.passed is not None:
            files = [verdict.passed]
            try:
                assert self._gate is not None
                report = self._gate.quarantine(execution, verdict, columns, evolve=alters)
            except Exception as exc:  # undone already: neither dataset changed
                return self._failed(execution, exc, report, "quarantine commit failed")
        try:
            result = self._tables.commit_files(
                execution.dataset_id,
                columns,
                files,
                method,
                key_columns,
                tags={
                    **(metadata or {}),
                    COMMIT_TAG: str(execution.id),
                    METHOD_TAG: method.value,  # what the version list calls the commit
                },
                position=position,
                rewrite_prefix=orphan_prefix(execution.id) if alters else None,
                schema_changed=alters,
            )
        except Exception as exc:
            landed = self._store.find_commit(execution.dataset_id, COMMIT_TAG, str(execution.id))
            if landed is None:
                return self._failed(execution, exc, report, "commit failed", warnings)
            # It landed, and something after it failed: its rows are the table's, so it is
            # settled as recovery would (a second failure leaves it COMMITTING for recovery).
            log.warning("execution %s: its commit landed, then failed: %s", execution.id, exc)
            result = landed
            self._tables.landed(
                execution.dataset_id, result, columns, position=position, schema_changed=alters
            )
        return self.end(
            execution.id,
            ExecutionState.SUCCESS,
            result=result,
            bytes_in=bytes_in,
            report=report,
            schema_changes=changes,
            warnings=warnings,
        )

    def _inspect(
        self,
        execution: Execution,
        files: list[StagedFile],
        columns: Sequence[Column],
        method: UpdateMethod,
    ) -> Verdict | Execution | None:
        """The quality gate's verdict (None: no checks), or the execution ended in ERROR."""
        if self._gate is None:
            return None
        try:
            return self._gate.inspect(execution, files, columns, method)
        except HeadwaterError as exc:
            return self.end(execution.id, ExecutionState.ERROR, error=exc.message)
        except Exception as exc:
            log.exception("quality checks of execution %s failed to run", execution.id)
            # Its words are the server's, not the caller's (a KeyError reads as a bare repr):
            # the details go to the log.
            return self.end(
                execution.id,
                ExecutionState.ERROR,
                error=(
                    "the quality checks could not be run (an internal error: "
                    f"{type(exc).__name__}; the server's log has the details); nothing was "
                    "committed"
                ),
            )

    def _failed(
        self,
        execution: Execution,
        exc: Exception,
        report: CheckReport | None,
        what: str,
        warnings: Sequence[str] = (),
    ) -> Execution:
        """A commit that did not land: its files, and any rows it quarantined, go again."""
        if not isinstance(exc, HeadwaterError):
            log.exception("%s: execution %s", what, execution.id)
        self._store.remove_orphans(execution.dataset_id, orphan_prefix(execution.id))
        error = exc.message if isinstance(exc, HeadwaterError) else f"{what}: {exc}"
        if self._gate is not None:
            try:
                report = self._gate.undo(execution.id, report)
            except Exception as undo_error:
                # Never silent: the execution says where its quarantined rows remain.
                log.exception("undoing the quarantine of execution %s failed", execution.id)
                error += (
                    f"; and its quarantined rows could not be taken out of dataset "
                    f"{report.quarantine_dataset_id if report else '?'} again ({undo_error}): "
                    f"delete the rows whose _execution is {execution.id} there"
                )
        return self.end(
            execution.id, ExecutionState.ERROR, error=error, report=report, warnings=warnings
        )

    def end(
        self,
        execution_id: int,
        state: ExecutionState,
        *,
        error: str | None = None,
        result: CommitResult | None = None,
        bytes_in: int | None = None,
        report: CheckReport | None = None,
        schema_changes: SchemaChanges | None = None,
        warnings: Sequence[str] = (),
    ) -> Execution:
        with self._uow() as uow:
            execution = uow.executions.find(execution_id)
            assert execution is not None
            transition(execution, state, self._clock.now(), error=error)
            execution.warnings.extend(warnings)
            if report is not None:
                execution.check_report = report
            if schema_changes:
                execution.schema_changes = schema_changes
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
                report = execution.check_report
                if self._gate is not None:  # rows it quarantined leave with it: neither
                    report = self._gate.undo(execution.id, report)
                settled.append(
                    self.end(execution.id, ExecutionState.ERROR, error=INTERRUPTED, report=report)
                )
                continue
            if self._gate is not None:  # landed: its quarantine commit, made before, did too
                self._gate.settle(execution.id, execution.check_report)
            # The schema the landed commit left (a load may have evolved it): the table's own.
            columns = self._store.version_snapshot(execution.dataset_id, found.version).columns
            self._tables.landed(execution.dataset_id, found, columns, schema_changed=True)
            settled.append(self.end(execution.id, ExecutionState.SUCCESS, result=found))
        return settled
