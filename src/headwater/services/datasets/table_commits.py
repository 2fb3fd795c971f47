"""The one way data enters a dataset's table, for executions and pipelines alike.

Every write of rows — an execution's staged files (uploads, connector runs), a pipeline's
micro-batch of inserts and deletes, a one-row append, a restore, the quarantine of rows a
check failed — goes through here, and lands the same way:

1. one Delta commit, carrying its `tags` in the commit's metadata (which execution, stream or
   connector made it, and the source position it read up to), so rows and position land
   together or not at all, and recovery can find the commit by its tag;
2. right after it, the position's copy in the metadata database (`services.datasets.positions`),
   which a crash in between leaves one commit behind for the next read to repair;
3. then the dataset's version, row count and (first or evolved) schema in the metadata, by a
   compare-and-set on the version: an older commit, noted late, never overwrites a newer one.

What each writer decides for itself stays with it: an execution's life cycle and quality gate
(`services.ingest.committer`), a pipeline's position keys (`services.pipelines.commits`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from headwater.domain.datasets import Column, UpdateMethod
from headwater.domain.ports.storage import CommitResult, DatasetStore, StagedFile
from headwater.domain.ports.unit_of_work import Clock, UnitOfWorkFactory
from headwater.domain.positions import PositionKey
from headwater.services.datasets.positions import Positions

Position = tuple[PositionKey, Any]  # whose position, and the position itself (JSON)


class TableCommits:
    def __init__(
        self, uow: UnitOfWorkFactory, store: DatasetStore, clock: Clock, positions: Positions
    ) -> None:
        self._uow = uow
        self._store = store
        self._clock = clock
        self._positions = positions

    def commit_files(
        self,
        dataset_id: str,
        columns: Sequence[Column],
        files: Sequence[StagedFile],
        method: UpdateMethod,
        key_columns: Sequence[str] = (),
        *,
        tags: Mapping[str, str],
        position: Position | None = None,
        rewrite_prefix: str | None = None,
        schema_changed: bool = False,
    ) -> CommitResult:
        """Staged files as one commit. `rewrite_prefix`: the commit also rewrites the table's
        rows to `columns` (a schema change), naming its files with the prefix."""
        result = self._store.commit_files(
            dataset_id,
            columns,
            files,
            method,
            key_columns,
            metadata=dict(tags),
            rewrite_prefix=rewrite_prefix,
        )
        self.landed(dataset_id, result, columns, position=position, schema_changed=schema_changed)
        return result

    def apply_changes(
        self,
        dataset_id: str,
        columns: Sequence[Column],
        inserts: Any,
        deletes: Any,
        key_columns: Sequence[str] = (),
        *,
        tags: Mapping[str, str],
        position: Position | None = None,
    ) -> CommitResult:
        """Inserts and deletes (Arrow tables) as one commit."""
        result = self._store.apply_changes(
            dataset_id, columns, inserts, deletes, key_columns, dict(tags)
        )
        self.landed(dataset_id, result, columns, position=position)
        return result

    def commit_batches(
        self,
        dataset_id: str,
        columns: Sequence[Column],
        batches: Any,
        method: UpdateMethod,
        *,
        tags: Mapping[str, str],
    ) -> CommitResult:
        """Rows in memory (Arrow) as one commit."""
        result = self._store.commit(dataset_id, columns, batches, method, metadata=dict(tags))
        self.landed(dataset_id, result, columns)
        return result

    def delete_rows(
        self, dataset_id: str, column: str, value: int, *, tags: Mapping[str, str]
    ) -> CommitResult | None:
        """The rows whose `column` holds `value` taken out, as one commit (None: there were
        none, and nothing was committed)."""
        result = self._store.delete_rows(dataset_id, column, value, metadata=dict(tags))
        if result is not None:
            self.landed(dataset_id, result, [])
        return result

    def landed(
        self,
        dataset_id: str,
        result: CommitResult,
        columns: Sequence[Column],
        *,
        position: Position | None = None,
        schema_changed: bool = False,
    ) -> None:
        """Steps 2 and 3 of the module's, for a commit that has landed: made here, or found
        in the table's log by recovery, or made by a restore. `columns` become the dataset's
        schema if it had none, or if the commit changed it (`schema_changed`)."""
        if position is not None:
            self._positions.record(position[0], position[1], result.version)
        with self._uow() as uow:
            dataset = uow.datasets.find(dataset_id)
            if dataset is None:
                return
            first = dataset.columns is None and bool(columns)
            schema = list(columns) if first or (schema_changed and columns) else None
            if uow.datasets.record_version(
                dataset_id, result.version, result.row_count, self._clock.now(), schema
            ):
                uow.commit()
