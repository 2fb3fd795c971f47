"""The quality gate on the commit path: a dataset's checks run on a load's staged files
before the commit (`committer.land`), for uploads and connector runs alike.

- No checks: the load goes through untouched (nothing is read).
- FAIL, or a failed load check (ROW_COUNT, FRESHNESS): the run ends in ERROR, nothing is
  committed.
- QUARANTINE with failing rows: the load is split into passing and failing rows; the failing
  ones are committed to the quarantine dataset first, then the passing ones to the dataset.

Both or neither, across a crash. The commit point is the dataset's own commit, tagged with
the execution id, as for any execution. Before the quarantine commit is tried, the report
naming the quarantine dataset is saved on the execution (still COMMITTING), so whoever
settles it knows where to look. If the dataset's commit never lands (an error, or a crash
that recovery finds), `undo` removes the execution's rows from the quarantine dataset again:
by a delete of the rows whose `_execution` is this execution (idempotent, so a crash during
the undo is settled by the next recovery the same way), or, if the quarantine commit never
landed either, by removing the files it left. If the dataset's commit landed, the quarantine
commit (made before it) had landed too. A reader may see the quarantined rows for the
moments between the two commits; that is the only window, and it always closes one way.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from headwater.domain.check_results import CheckReport, judge
from headwater.domain.checks import (
    EXECUTION_COLUMN,
    CheckKind,
    define,
    quarantine_columns,
    quarantine_name,
    spec_of,
)
from headwater.domain.datasets import Column, Dataset, UpdateMethod
from headwater.domain.errors import Conflict, HeadwaterError, InvalidInput
from headwater.domain.executions import Execution, ExecutionState, Phase
from headwater.domain.ports.engines import CheckEngine, CheckJob
from headwater.domain.ports.storage import DatasetStore, StagedFile
from headwater.domain.ports.unit_of_work import Clock, UnitOfWorkFactory
from headwater.domain.schema_policy import evolves
from headwater.services.datasets.commit_tags import (
    COMMIT_TAG,
    QUARANTINE_TAG,
    REVERT_TAG,
    orphan_prefix,
)
from headwater.services.datasets.table_commits import TableCommits

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    """What the checks decided for a load: the report, and, when rows are quarantined, the
    passing rows' file (what the dataset's commit takes instead of the load's files) and the
    failing rows' file."""

    report: CheckReport
    passed: StagedFile | None = None
    failed: StagedFile | None = None

    @property
    def blocks_commit(self) -> bool:
        return self.report.blocks_commit


class QualityGate:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        store: DatasetStore,
        engine: CheckEngine,
        clock: Clock,
        tables: TableCommits,
    ) -> None:
        self._uow = uow
        self._store = store
        self._engine = engine
        self._clock = clock
        self._tables = tables

    def inspect(
        self,
        execution: Execution,
        files: Sequence[StagedFile],
        columns: Sequence[Column],
        method: UpdateMethod,
    ) -> Verdict | None:
        """Run the dataset's checks on the staged files; None if it has none. Raises
        `InvalidInput` when the checks no longer fit the dataset's columns."""
        with self._uow() as uow:
            check_set = uow.checks.find(execution.dataset_id)
        if check_set is None or not check_set.checks:
            return None
        try:  # the schema may have changed since the checks were set: never run them blind
            checks = define([spec_of(c) for c in check_set.checks], columns)
        except InvalidInput as exc:
            raise InvalidInput(
                f"the dataset's quality checks no longer fit its columns: {exc.message}; "
                "nothing was committed"
            ) from None
        # On APPEND the load joins the rows already there: a key must be unique among both.
        # REPLACE drops those rows, UPSERT updates the row with the same key.
        existing: list[str] = []
        if method is UpdateMethod.APPEND and any(c.kind is CheckKind.UNIQUE for c in checks):
            existing = self._store.data_files(execution.dataset_id) or []
        job = CheckJob([f.path for f in files], columns, checks, existing)
        report = judge(checks, self._engine.measure(job), check_set.on_failure, self._clock.now())
        if not report.quarantines:
            return Verdict(report)
        quarantine_columns(columns)  # the dataset may have gained a `_check` column meanwhile
        split = self._engine.split(job, execution.id, str(Path(files[0].path).parent))
        prefix = orphan_prefix(execution.id)
        return Verdict(
            report,
            passed=replace(split.good, name=f"{prefix}{split.good.name}"),
            failed=replace(split.bad, name=f"{prefix}{split.bad.name}"),
        )

    def quarantine(
        self,
        execution: Execution,
        verdict: Verdict,
        columns: Sequence[Column],
        *,
        evolve: bool = False,
    ) -> CheckReport:
        """Commit the failing rows to the quarantine dataset (made if needed), tagged with
        the execution; the report saved on the execution first names where they went.
        `evolve`: the load changed the dataset's columns, and the quarantine dataset's
        columns follow them in the same commit."""
        assert verdict.failed is not None
        target, rewrite = self._quarantine_dataset(execution.dataset_id, columns, evolve)
        report = replace(
            verdict.report, quarantine_dataset_id=target, quarantined_rows=verdict.failed.rows
        )
        self._save_report(execution.id, report)
        wanted = quarantine_columns(columns)
        try:
            self._tables.commit_files(
                target,
                wanted,
                [verdict.failed],
                UpdateMethod.APPEND,
                tags={COMMIT_TAG: str(execution.id), QUARANTINE_TAG: execution.dataset_id},
                rewrite_prefix=orphan_prefix(execution.id) if rewrite else None,
                schema_changed=rewrite,
            )
        except Exception:
            self._undo_or_say(execution.id, report)
            raise
        return report

    def _undo_or_say(self, execution_id: int, report: CheckReport) -> None:
        try:
            self.undo(execution_id, report)
        except Exception as exc:  # never silent: say where the rows remain
            log.exception("undoing the quarantine of execution %s failed", execution_id)
            raise HeadwaterError(
                f"the quarantine commit failed, and its rows could not be taken out of dataset "
                f"{report.quarantine_dataset_id} again ({exc}): delete the rows whose "
                f"_execution is {execution_id} there"
            ) from exc

    def undo(self, execution_id: int, report: CheckReport | None) -> CheckReport | None:
        """Take this execution's rows out of the quarantine dataset again (its own commit did
        not land); the report to keep, which no longer says rows went there. Safe to repeat:
        a second undo finds nothing left to remove."""
        if report is None or report.quarantine_dataset_id is None:
            return report
        target = report.quarantine_dataset_id
        if self._store.find_commit(target, COMMIT_TAG, str(execution_id)) is None:
            # Never committed: only its files may be there, referenced by no version.
            self._store.remove_orphans(target, orphan_prefix(execution_id))
            return report.taken_back()
        result = self._tables.delete_rows(
            target, EXECUTION_COLUMN, execution_id, tags={REVERT_TAG: str(execution_id)}
        )
        if result is not None:
            log.warning(
                "execution %s: its %s quarantined rows were taken out of dataset %s again "
                "(its own commit did not land)",
                execution_id,
                result.rows_written,
                target,
            )
        return report.taken_back()

    def settle(self, execution_id: int, report: CheckReport | None) -> None:
        """The execution's own commit landed (recovery): note the quarantine commit, made
        before it, in the quarantine dataset's metadata."""
        if report is None or report.quarantine_dataset_id is None:
            return
        found = self._store.find_commit(report.quarantine_dataset_id, COMMIT_TAG, str(execution_id))
        if found is not None:
            self._tables.landed(report.quarantine_dataset_id, found, [])

    def _quarantine_dataset(
        self, dataset_id: str, columns: Sequence[Column], evolve: bool
    ) -> tuple[str, bool]:
        """The dataset's quarantine dataset: made on first need, owned by the dataset's owner
        and shared with nobody (the dataset's row policies do not reach it, so its owner
        decides who may read it); and whether its columns must follow the dataset's."""
        wanted = quarantine_columns(columns)
        with self._uow() as uow:
            check_set = uow.checks.find(dataset_id)
            dataset = uow.datasets.find(dataset_id)
            if check_set is None or dataset is None:
                raise Conflict(f"dataset {dataset_id} or its checks were deleted meanwhile")
            if check_set.quarantine_dataset_id is not None:
                current = uow.datasets.find(check_set.quarantine_dataset_id)
                if current is not None:
                    if current.columns != wanted and evolve and evolves(current.columns, wanted):
                        return current.id, True
                    if current.columns != wanted:
                        raise Conflict(
                            f"the quarantine dataset {current.id} has other columns than the "
                            "rows to quarantine (the dataset's schema changed): rename or "
                            "delete it and a new one is made",
                            code="QUARANTINE_SCHEMA",
                        )
                    return current.id, False
            now = self._clock.now()
            made = Dataset(
                id=str(uuid.uuid4()),
                name=quarantine_name(dataset.name),
                description=(
                    f"Rows of dataset {dataset.id} that failed its quality checks: {REASON_TEXT}"
                ),
                owner_id=dataset.owner_id,
                created_at=now,
                updated_at=now,
                columns=wanted,
            )
            uow.datasets.add(made)
            uow.checks.set_quarantine(dataset_id, made.id)
            uow.commit()
            return made.id, False

    def _save_report(self, execution_id: int, report: CheckReport) -> None:
        with self._uow() as uow:
            execution = uow.executions.find(execution_id)
            if execution is None:
                raise Conflict(f"execution {execution_id} was deleted meanwhile")
            execution.check_report = report
            if not uow.executions.update(
                execution, expect_state=ExecutionState.ACTIVE, expect_phase=Phase.COMMITTING
            ):
                raise Conflict(f"execution {execution_id} changed meanwhile")
            uow.commit()


REASON_TEXT = "_check names the checks each row failed, _execution the execution that loaded it"
