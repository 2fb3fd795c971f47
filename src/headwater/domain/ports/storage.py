"""The port of datasets' data: versioned tables (Delta) and what a commit to one returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from headwater.domain.datasets import Column, UpdateMethod
from headwater.domain.versions import DataVersion, VersionSnapshot


@dataclass(frozen=True)
class StagedFile:
    path: str
    rows: int
    name: str  # the file's name once it joins the table


@dataclass(frozen=True)
class CommitResult:
    version: int
    row_count: int
    rows_written: int
    bytes_written: int


@dataclass(frozen=True)
class TaggedCommit:
    version: int
    metadata: dict[str, str]  # the commit's string metadata


class DatasetStore(Protocol):
    """Dataset data: one versioned table per dataset; each write is one atomic commit."""

    def commit(
        self,
        dataset_id: str,
        columns: Sequence[Column],
        batches: Any,
        method: UpdateMethod,
        key_columns: Sequence[str] = (),
        metadata: dict[str, str] | None = None,
    ) -> CommitResult: ...

    def commit_files(
        self,
        dataset_id: str,
        columns: Sequence[Column],
        files: Sequence[StagedFile],
        method: UpdateMethod,
        key_columns: Sequence[str] = (),
        metadata: dict[str, str] | None = None,
        rewrite_prefix: str | None = None,
    ) -> CommitResult:
        """Commit staged Parquet files (written with exactly the dataset's Arrow schema).

        APPEND and REPLACE adopt the files as they are: they move into the table and one log
        entry references them, so the commit costs the same whatever the data size. UPSERT
        reads them to merge. `files` are consumed either way.

        `rewrite_prefix` (a load that changed the dataset's columns): in the same commit the
        table takes `columns` as its schema and its rows are rewritten to it (new columns
        NULL, widened ones cast exactly) into files named `rewrite_prefix*`, so every file of
        a version has that version's schema, as readers expect."""
        ...

    def remove_orphans(self, dataset_id: str, prefix: str) -> None:
        """Delete files named `prefix*` that no version references (a commit that died)."""
        ...

    def data_files(self, dataset_id: str) -> list[str] | None: ...
    def version(self, dataset_id: str) -> int | None: ...
    def find_commit(self, dataset_id: str, key: str, value: str) -> CommitResult | None:
        """The commit whose metadata has `key` = `value`, if one landed (crash recovery)."""
        ...

    def tagged_commit(
        self, dataset_id: str, key: str, value: str, after: int = -1
    ) -> TaggedCommit | None:
        """The newest commit newer than version `after` whose metadata `key` is `value`
        (reading only the log entries above `after`); None if none, or no table."""
        ...

    def commit_metadata(self, dataset_id: str, version: int) -> dict[str, str] | None:
        """The metadata of version `version`'s commit; None if its log entry is gone."""
        ...

    def current_version(self, dataset_id: str) -> int | None:
        """The newest version, read cheaply (the table is kept open); None if no table."""
        ...

    def latest_metadata(self, dataset_id: str, key: str, value: str) -> dict[str, str] | None:
        """The metadata of the newest commit whose metadata has `key` = `value`."""
        ...

    def drop(self, dataset_id: str) -> None: ...

    def delete_rows(
        self, dataset_id: str, column: str, value: int, metadata: dict[str, str] | None = None
    ) -> CommitResult | None:
        """One commit removing every row whose `column` equals `value`; None (and no
        commit) when there is no table or no such row."""
        ...

    def apply_changes(
        self,
        dataset_id: str,
        columns: Sequence[Column],
        inserts: Any,
        deletes: Any,
        key_columns: Sequence[str] = (),
        metadata: dict[str, str] | None = None,
    ) -> CommitResult:
        """One commit that deletes rows and inserts (upserts, with keys) others.

        With key columns, an insert replaces the row with its key and a delete removes it;
        without, a delete removes the rows equal to it in every column."""
        ...

    def compact(self, dataset_id: str, min_files: int, retention_hours: float) -> int:
        """Rewrite small files into big ones once there are `min_files`; vacuum files that
        left the table more than `retention_hours` ago. Returns the files removed."""
        ...

    # -- versions ---------------------------------------------------------------------
    def versions(self, dataset_id: str, limit: int, offset: int) -> list[DataVersion]:
        """The table's versions, newest first (`offset` from the current one), with the rows
        each added and removed and whether it expired."""
        ...

    def version_snapshot(self, dataset_id: str, version: int) -> VersionSnapshot:
        """The files and schema of one version: `NotFound` if the table never had it,
        `VersionExpired` if it is past the retention horizon."""
        ...

    def restore(self, dataset_id: str, version: int, metadata: dict[str, str]) -> CommitResult:
        """One commit that makes `version`'s data (and schema) current again, tagged with
        `metadata`. `Conflict` if it is the current version, as `version_snapshot` else."""
        ...

    def metadata_as_of(
        self, dataset_id: str, version: int, key: str, value: str
    ) -> dict[str, str] | None:
        """The metadata of the newest commit at or before `version` whose `key` is `value`."""
        ...
