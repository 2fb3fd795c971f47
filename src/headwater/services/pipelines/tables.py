"""Each table of a pipeline is a dataset: made with the pipeline, and on a program change
kept, evolved, or replaced by a new one, as the table's schema policy says.

On a program change (PUT/PATCH of a stopped pipeline) each table whose dataset exists is
compared with its new declaration (`domain/table_evolution.py`). The policy in force, the one
the stored program declares for the table, decides: STRICT refuses any change (400, nothing
changes); EVOLVE and IGNORE_NEW keep the dataset when the change only adds columns or widens
types, rewriting its Delta table to the new columns in one commit (the same rewrite a stream's
load that evolves the columns makes), and make a new dataset otherwise. Nothing is silent:
`Pipeline.schema_changes` says per table what happened.

The Delta rewrites land before the metadata transaction commits. If anything after them
fails, each rewritten table is restored to its version from before the change (a commit of
its own), so the datasets hold what they held and their schema in the metadata never moved.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from headwater.domain.datasets import Dataset, UpdateMethod
from headwater.domain.errors import BadData, InvalidProgram
from headwater.domain.pipelines import MAX_NAME_CHARS, Pipeline, Program, TableDef
from headwater.domain.ports.storage import CommitResult, DatasetStore
from headwater.domain.ports.unit_of_work import Clock, UnitOfWork
from headwater.domain.schema_policy import SchemaPolicy
from headwater.domain.table_evolution import TableChange, compare
from headwater.domain.versions import METHOD_TAG

log = logging.getLogger(__name__)

PIPELINE_TAG = "headwater.pipeline"  # commit metadata: the pipeline whose program evolved it
REWRITE_PREFIX = "part-evolve-"  # the rewritten files of a program change, until it commits


@dataclass(frozen=True)
class _Evolution:
    table: TableDef
    dataset: Dataset
    change: TableChange
    version_before: int | None  # None: no Delta table yet, only the metadata changes
    result: CommitResult | None = None


class PipelineTables:
    def __init__(self, clock: Clock, store: DatasetStore) -> None:
        self._clock = clock
        self._store = store

    def attach_new(self, uow: UnitOfWork, pipeline: Pipeline, program: Program) -> None:
        """A new pipeline: a dataset for each table."""
        now = self._clock.now()
        pipeline.table_datasets = {
            t.name: self._new_dataset(uow, pipeline, t, now).id for t in program.tables
        }
        pipeline.schema_changes = {}

    @contextmanager
    def replacing(
        self, uow: UnitOfWork, pipeline: Pipeline, program: Program | None
    ) -> Iterator[None]:
        """Attach `program`'s tables to datasets (None: the program stays, nothing to do),
        then run the caller's block, which commits the metadata; if the block fails, the
        Delta tables rewritten here are restored."""
        if program is None:
            yield
            return
        evolutions = self._attach(uow, pipeline, program)
        try:
            yield
        except BaseException:
            self._restore(evolutions)
            raise

    # -- the change ----------------------------------------------------------------------
    def _attach(self, uow: UnitOfWork, pipeline: Pipeline, program: Program) -> list[_Evolution]:
        now = self._clock.now()
        planned: list[tuple[TableDef, Dataset | None, TableChange | None]] = []
        for table in program.tables:
            current = pipeline.table_datasets.get(table.name)
            dataset = uow.datasets.find(current) if current else None
            change = None
            if dataset is not None:
                before = self._declared(pipeline.program, table.name)
                old_columns = dataset.columns or (before.columns if before else ())
                old_key = before.primary_key if before else table.primary_key
                change = compare(old_columns, old_key, table.columns, table.primary_key)
                policy = before.schema_policy if before else table.schema_policy
                if change is not None and policy is SchemaPolicy.STRICT:
                    raise _strict_refusal(table.name, change)
            planned.append((table, dataset, change))
        # Every refusal is known before the first table is touched.
        evolutions = self._evolve(pipeline, planned)
        try:
            attached, report = self._record(uow, pipeline, planned, evolutions, now)
        except BaseException:
            self._restore(evolutions)
            raise
        pipeline.table_datasets = attached
        pipeline.schema_changes = report
        return evolutions

    def _evolve(
        self,
        pipeline: Pipeline,
        planned: list[tuple[TableDef, Dataset | None, TableChange | None]],
    ) -> list[_Evolution]:
        """Rewrite each evolvable table's Delta table to its new columns (one commit each)."""
        done: list[_Evolution] = []
        try:
            for table, dataset, change in planned:
                if dataset is None or change is None or not change.evolvable:
                    continue
                version = self._store.version(dataset.id)
                result = None
                if version is not None:
                    result = self._rewrite(pipeline, table, dataset.id)
                done.append(_Evolution(table, dataset, change, version, result))
        except BaseException:
            self._restore(done)
            raise
        return done

    def _rewrite(self, pipeline: Pipeline, table: TableDef, dataset_id: str) -> CommitResult:
        try:
            return self._store.commit_files(
                dataset_id,
                table.columns,
                [],
                UpdateMethod.APPEND,  # nothing replaced: the rows stay, in the new columns
                metadata={PIPELINE_TAG: pipeline.id, METHOD_TAG: UpdateMethod.APPEND.value},
                rewrite_prefix=REWRITE_PREFIX,
            )
        except BadData as exc:  # a LONG no DOUBLE holds exactly, say: the rows stay as they are
            self._store.remove_orphans(dataset_id, REWRITE_PREFIX)
            raise InvalidProgram(
                f"table {table.name!r}: {exc.message}; nothing was changed", field="program_code"
            ) from None
        except Exception:
            self._store.remove_orphans(dataset_id, REWRITE_PREFIX)
            raise

    def _record(
        self,
        uow: UnitOfWork,
        pipeline: Pipeline,
        planned: list[tuple[TableDef, Dataset | None, TableChange | None]],
        evolutions: list[_Evolution],
        now: datetime,
    ) -> tuple[dict[str, str], dict[str, Any]]:
        """The metadata side: evolved datasets take their new columns (and version), tables
        whose change EVOLVE cannot take get a new dataset. Returns (table -> dataset id, the
        report)."""
        evolved = {e.table.name: e for e in evolutions}
        attached: dict[str, str] = {}
        report: dict[str, Any] = {}
        for table, dataset, change in planned:
            if dataset is not None and change is None:
                attached[table.name] = dataset.id
            elif dataset is not None and table.name in evolved:
                self._take_columns(uow, evolved[table.name], now)
                attached[table.name] = dataset.id
                report[table.name] = {"evolved": evolved[table.name].change.evolved_json()}
            else:
                made = self._new_dataset(uow, pipeline, table, now)
                attached[table.name] = made.id
                if dataset is not None and change is not None:
                    report[table.name] = {
                        "new_dataset": {
                            "reason": "; ".join(change.not_evolvable),
                            "previous_dataset": dataset.id,
                            "dataset": made.id,
                        }
                    }
        return attached, report

    @staticmethod
    def _take_columns(uow: UnitOfWork, evolution: _Evolution, now: datetime) -> None:
        dataset, columns = evolution.dataset, list(evolution.table.columns)
        if evolution.result is not None:
            result = evolution.result
            uow.datasets.record_version(dataset.id, result.version, result.row_count, now, columns)
            return
        dataset.columns = columns  # no data yet: only the declared schema changes
        dataset.updated_at = now
        uow.datasets.update(dataset)

    def _restore(self, evolutions: list[_Evolution]) -> None:
        """Undo the rewrites of a change that did not commit: each table back to its rows and
        columns from before (a restore commit). A table that cannot be restored is logged."""
        for evolution in evolutions:
            if evolution.result is None or evolution.version_before is None:
                continue
            try:
                self._store.restore(
                    evolution.dataset.id,
                    evolution.version_before,
                    {PIPELINE_TAG: "restored after a failed program change"},
                )
            except Exception:
                log.exception(
                    "dataset %s keeps the columns of a program change that failed; restore "
                    "its version %s",
                    evolution.dataset.id,
                    evolution.version_before,
                )

    # -- helpers -------------------------------------------------------------------------
    @staticmethod
    def _declared(program: Program, name: str) -> TableDef | None:
        return next((t for t in program.tables if t.name == name), None)

    @staticmethod
    def _new_dataset(uow: UnitOfWork, pipeline: Pipeline, table: TableDef, now: Any) -> Dataset:
        dataset = Dataset(
            id=str(uuid.uuid4()),
            name=f"{pipeline.name}.{table.name}"[:MAX_NAME_CHARS],  # the description has both
            description=f"table {table.name} of pipeline {pipeline.name}",
            owner_id=pipeline.owner_id,
            created_at=now,
            updated_at=now,
            columns=list(table.columns),
            tags=["pipeline"],
        )
        uow.datasets.add(dataset)
        return dataset


def _strict_refusal(table: str, change: TableChange) -> InvalidProgram:
    columns = ", ".join(repr(c) for c in change.columns) or "its column order"
    return InvalidProgram(
        f"table {table!r} has schema_policy STRICT and a dataset already, so its columns may "
        f"not change ({change.describe()}; columns {columns}); nothing was changed. To change "
        "them, first replace the program with the same columns and schema_policy EVOLVE",
        field="program_code",
        table=table,
        columns=list(change.columns),
    )
