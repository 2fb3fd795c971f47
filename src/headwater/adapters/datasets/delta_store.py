"""Datasets as Delta Lake tables (`deltalake`, i.e. delta-rs): one table per dataset.

Every write is one Delta transaction, so a reader sees the version before or the version
after, never a part. Writes to one dataset are serialized in this process; across processes
Delta's commit protocol (an atomic put-if-absent of the next log entry) orders them.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import CommitProperties, DeltaTable, TableFeatures, write_deltalake
from deltalake import Schema as DeltaSchema
from deltalake.exceptions import DeltaError, TableNotFoundError
from deltalake.transaction import AddAction, create_table_with_add_actions

from headwater.adapters.datasets import delta_versions
from headwater.domain.datasets import Column, UpdateMethod
from headwater.domain.errors import BadData, Conflict, InvalidInput, NotFound
from headwater.domain.ports.storage import CommitResult, StagedFile, TaggedCommit
from headwater.domain.versions import DataVersion, VersionSnapshot
from headwater.tabular.conform import conform
from headwater.tabular.types import arrow_schema, columns_from_arrow

HISTORY_WINDOWS = (200, 20_000, None)
# A log folder untouched for this long has its last change in its mtime, whatever the clock
# granularity of the filesystem (ext4: a jiffy; coarser elsewhere): see `data_files`.
LOG_SETTLED_NS = 2_000_000_000
CHANGE_OP = "__headwater_op"  # in a change batch: 'i' insert (upsert with keys) or 'd' delete


class _Counted:
    """Batches cast to the dataset schema on their way to Delta, counted as they pass."""

    def __init__(self, batches: Any, schema: pa.Schema) -> None:
        self.rows = 0
        self.error: BadData | None = None  # delta-rs wraps errors raised inside the reader
        self._batches = batches
        self._schema = schema

    def reader(self) -> pa.RecordBatchReader:
        return pa.RecordBatchReader.from_batches(self._schema, self._iterate())

    def _iterate(self) -> Iterator[pa.RecordBatch]:
        for batch in _batches_of(self._batches):
            if not batch.schema.equals(self._schema):
                try:
                    batch = _cast(batch, self._schema)
                except BadData as exc:
                    self.error = exc
                    raise
            self.rows += batch.num_rows
            yield batch


def _batches_of(data: Any) -> Iterable[pa.RecordBatch]:
    if isinstance(data, pa.Table):
        return cast(list[pa.RecordBatch], data.to_batches())
    if isinstance(data, pa.RecordBatch):
        return [data]
    return cast(Iterable[pa.RecordBatch], data)  # a RecordBatchReader or any iterable


def _cast(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    by_name = {name.lower(): i for i, name in enumerate(batch.schema.names)}
    arrays = []
    for field in schema:
        index = by_name.get(field.name.lower())
        if index is None:
            raise BadData(f"the data has no column {field.name!r}", column=field.name)
        try:
            arrays.append(batch.column(index).cast(field.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise BadData(f"column {field.name!r}: {exc}", column=field.name) from None
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


@dataclass
class _Snapshot:
    """A dataset's table kept open for readers, the files of its version, and the log
    folder's identity and mtime when they were read."""

    table: DeltaTable
    files: list[str]
    log_inode: int  # a dataset id is never reused, so a new folder is only ever a drop
    log_mtime_ns: int


class DeltaDatasetStore:
    def __init__(
        self,
        root: Path,
        pause_before_log_seconds: float = 0.0,
        pause_after_log_seconds: float = 0.0,
    ) -> None:
        self._root = root
        self._pause_before_log = pause_before_log_seconds
        self._pause_after_log = pause_after_log_seconds
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._locks_guard = threading.Lock()
        self._snapshots: dict[str, _Snapshot] = {}
        self._read_locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)

    def _path(self, dataset_id: str) -> Path:
        return self._root / dataset_id

    def _lock(self, dataset_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks[dataset_id]

    def _table(self, dataset_id: str) -> DeltaTable | None:
        try:
            return DeltaTable(str(self._path(dataset_id)))
        except TableNotFoundError:
            return None

    def commit(
        self,
        dataset_id: str,
        columns: Sequence[Column],
        batches: Any,
        method: UpdateMethod,
        key_columns: Sequence[str] = (),
        metadata: dict[str, str] | None = None,
    ) -> CommitResult:
        schema = arrow_schema(columns)
        counted = _Counted(batches, schema)
        properties = CommitProperties(custom_metadata=metadata) if metadata else None
        path = str(self._path(dataset_id))
        with self._lock(dataset_id):
            table = self._table(dataset_id)
            before = _file_sizes(table)
            try:
                if method is UpdateMethod.UPSERT and table is not None:
                    rows = self._merge(table, counted, key_columns, columns, properties)
                else:
                    write_deltalake(
                        path,
                        counted.reader(),
                        mode="overwrite" if method is UpdateMethod.REPLACE else "append",
                        schema_mode="overwrite" if method is UpdateMethod.REPLACE else None,
                        commit_properties=properties,
                    )
                    rows = counted.rows
            except Exception:
                if counted.error is not None:  # our own BadData, unwrapped for the caller
                    raise counted.error from None
                raise
            table = DeltaTable(path)
            after = _file_sizes(table)
        added = sum(size for name, size in after.items() if name not in before)
        return CommitResult(
            version=table.version(),
            row_count=_row_count(table),
            rows_written=rows,
            bytes_written=added,
        )

    @staticmethod
    def _merge(
        table: DeltaTable,
        counted: _Counted,
        keys: Sequence[str],
        columns: Sequence[Column],
        properties: CommitProperties | None,
    ) -> int:
        names = {c.name for c in columns}
        if not keys or any(k not in names for k in keys):
            raise InvalidInput(
                "UPSERT needs key columns that exist in the dataset", field="keyColumnNames"
            )
        predicate = " AND ".join(f't."{k}" = s."{k}"' for k in keys)
        metrics = (
            table.merge(
                counted.reader(),
                predicate=predicate,
                source_alias="s",
                target_alias="t",
                commit_properties=properties,
            )
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute()
        )
        return int(metrics.get("num_target_rows_inserted", 0)) + int(
            metrics.get("num_target_rows_updated", 0)
        )

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
        if rewrite_prefix is not None and self._table(dataset_id) is not None:
            return self._commit_rewritten(
                dataset_id, columns, files, method, key_columns, metadata, rewrite_prefix
            )
        if method is UpdateMethod.UPSERT:
            reader = _read_files([f.path for f in files], arrow_schema(columns))
            result = self.commit(dataset_id, columns, reader, method, key_columns, metadata)
            for staged in files:
                Path(staged.path).unlink(missing_ok=True)
            return result
        schema = arrow_schema(columns)
        folder = self._path(dataset_id)
        folder.mkdir(parents=True, exist_ok=True)
        properties = CommitProperties(custom_metadata=metadata) if metadata else None
        adds = [a for a in (self._adopt(folder, staged) for staged in files) if a is not None]
        mode = "overwrite" if method is UpdateMethod.REPLACE else "append"
        return self._log_adds(dataset_id, schema, adds, mode, properties, files)

    def _adopt(self, folder: Path, staged: StagedFile) -> AddAction | None:
        """Move a staged file into the table folder; its add action (None: no rows)."""
        if staged.rows == 0:  # nothing to add; the commit still lands (with its metadata)
            Path(staged.path).unlink(missing_ok=True)
            return None
        target = folder / staged.name
        os.replace(staged.path, target)  # same filesystem: a rename, not a copy
        return _add_action(target, staged.rows)

    def _log_adds(
        self,
        dataset_id: str,
        schema: pa.Schema,
        adds: list[AddAction],
        mode: str,
        properties: CommitProperties | None,
        files: Sequence[StagedFile],
    ) -> CommitResult:
        if self._pause_before_log:  # fault injection for crash tests; 0 in production
            time.sleep(self._pause_before_log)
        with self._lock(dataset_id):
            result = self._write_log(dataset_id, schema, adds, mode, properties, files)
        if self._pause_after_log:  # fault injection for crash tests; 0 in production
            time.sleep(self._pause_after_log)
        return result

    def _write_log(
        self,
        dataset_id: str,
        schema: pa.Schema,
        adds: list[AddAction],
        mode: str,
        properties: CommitProperties | None,
        files: Sequence[StagedFile],
    ) -> CommitResult:
        """One log entry adding `adds` (under the dataset's lock, held by the caller)."""
        folder = self._path(dataset_id)
        table = self._table(dataset_id)
        if table is None:
            create_table_with_add_actions(
                str(folder),
                DeltaSchema.from_arrow(schema),
                adds,
                mode="append",
                commit_properties=properties,
            )
        else:
            table.create_write_transaction(
                [*adds], mode=mode, schema=schema, commit_properties=properties
            )
        table = DeltaTable(str(folder))
        return CommitResult(
            version=table.version(),
            row_count=_row_count(table),
            rows_written=sum(f.rows for f in files),
            bytes_written=sum(a.size for a in adds),
        )

    def _commit_rewritten(
        self,
        dataset_id: str,
        columns: Sequence[Column],
        files: Sequence[StagedFile],
        method: UpdateMethod,
        key_columns: Sequence[str],
        metadata: dict[str, str] | None,
        prefix: str,
    ) -> CommitResult:
        """A load that changed the dataset's columns: one overwrite commit that holds the
        table's rows rewritten to the new schema (all of them for APPEND; for UPSERT those no
        staged row replaces by key; none for REPLACE) and the staged files, and records the
        new schema. Costs a read and a write of the table, once, when its schema changes."""
        schema = arrow_schema(columns)
        folder = self._path(dataset_id)
        properties = CommitProperties(custom_metadata=metadata) if metadata else None
        with self._lock(dataset_id):
            table = self._table(dataset_id)
            assert table is not None  # checked by the caller; tables are never dropped here
            adds: list[AddAction] = []
            if method is not UpdateMethod.REPLACE:
                replaced = _keys_of(files, key_columns) if method is UpdateMethod.UPSERT else None
                target = folder / f"{prefix}rewritten-{uuid.uuid4().hex[:12]}.parquet"
                try:
                    rows = _rewrite(table, schema, target, key_columns, replaced)
                except BadData as exc:
                    target.unlink(missing_ok=True)
                    raise BadData(
                        f"the dataset's rows could not take the new columns: {exc.message}",
                        **exc.details,
                    ) from None
                if rows:
                    adds.append(_add_action(target, rows))
                else:
                    target.unlink(missing_ok=True)
            written = [a for a in (self._adopt(folder, staged) for staged in files) if a]
            _enable_features_for(table, schema)
            return self._write_log(
                dataset_id, schema, [*adds, *written], "overwrite", properties, files
            )

    def remove_orphans(self, dataset_id: str, prefix: str) -> None:
        folder = self._path(dataset_id)
        table = self._table(dataset_id)
        referenced = set(_file_sizes(table))
        for path in folder.glob(f"{prefix}*"):
            if path.name not in referenced:
                path.unlink(missing_ok=True)

    def data_files(self, dataset_id: str) -> list[str] | None:
        """The current version's files. Opening the table replays its log (~17 ms at 30
        commits); so the table stays open, and the log is looked at again only when its
        folder changed (a commit here or in another process adds a file to it) or changed so
        recently that a later change could share its mtime. `update_incremental` then reads
        just the new log entries."""
        log = self._path(dataset_id) / "_delta_log"
        try:
            status = os.stat(log)
        except FileNotFoundError:
            self._snapshots.pop(dataset_id, None)
            return None
        with self._read_lock(dataset_id):
            snapshot = self._snapshots.get(dataset_id)
            if (
                snapshot is not None
                and snapshot.log_inode == status.st_ino
                and snapshot.log_mtime_ns == status.st_mtime_ns
                and time.time_ns() - status.st_mtime_ns > LOG_SETTLED_NS
            ):
                return list(snapshot.files)
            table = None
            if snapshot is not None and snapshot.log_inode == status.st_ino:
                table = snapshot.table
                try:
                    table.update_incremental()
                except (DeltaError, OSError):  # the log is not what it was: open it afresh
                    table = None
            if table is None:
                table = self._table(dataset_id)
                if table is None:
                    self._snapshots.pop(dataset_id, None)
                    return None
            files = [uri.removeprefix("file://") for uri in table.file_uris()]
            # The mtime from before the read: a change during it shows as a change next time.
            self._snapshots[dataset_id] = _Snapshot(table, files, status.st_ino, status.st_mtime_ns)
            return list(files)

    def _read_lock(self, dataset_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._read_locks[dataset_id]

    def version(self, dataset_id: str) -> int | None:
        table = self._table(dataset_id)
        return None if table is None else table.version()

    def find_commit(self, dataset_id: str, key: str, value: str) -> CommitResult | None:
        table = self._table(dataset_id)
        if table is None:
            return None
        for entry in table.history():
            if entry.get(key) == value:
                metrics = entry.get("operationMetrics") or {}
                rows = int(metrics.get("num_added_rows", 0) or 0)
                return CommitResult(
                    version=int(entry["version"]),
                    row_count=_row_count(table),
                    rows_written=rows,
                    bytes_written=0,
                )
        return None

    def latest_metadata(self, dataset_id: str, key: str, value: str) -> dict[str, str] | None:
        table = self._table(dataset_id)
        if table is None:
            return None
        # Newest first, reading more of the log only when the recent commits do not have it:
        # a table fed continuously has many thousands of commits.
        for limit in HISTORY_WINDOWS:
            entries = table.history(limit)
            for entry in entries:
                if entry.get(key) == value:
                    return {k: v for k, v in entry.items() if isinstance(v, str)}
            if limit is None or len(entries) < limit:
                return None
        return None

    def tagged_commit(
        self, dataset_id: str, key: str, value: str, after: int = -1
    ) -> TaggedCommit | None:
        current = self._current_version(dataset_id)
        if current is None:
            return None
        found = delta_versions.tagged_commit(self._path(dataset_id), current, key, value, after)
        return None if found is None else TaggedCommit(*found)

    def commit_metadata(self, dataset_id: str, version: int) -> dict[str, str] | None:
        return delta_versions.commit_metadata(self._path(dataset_id), version)

    def current_version(self, dataset_id: str) -> int | None:
        return self._current_version(dataset_id)

    # -- versions: listing, time travel, restore (`delta_versions` reads the log) ----------
    def versions(self, dataset_id: str, limit: int, offset: int) -> list[DataVersion]:
        current = self._current_version(dataset_id)
        if current is None:
            return []
        return delta_versions.history_page(self._path(dataset_id), current, limit, offset)

    def version_snapshot(self, dataset_id: str, version: int) -> VersionSnapshot:
        self._check_version(dataset_id, version, self._current_version(dataset_id))
        return delta_versions.snapshot(self._path(dataset_id), version)

    def restore(self, dataset_id: str, version: int, metadata: dict[str, str]) -> CommitResult:
        path = self._path(dataset_id)
        properties = CommitProperties(custom_metadata=metadata)
        with self._lock(dataset_id):
            table = self._table(dataset_id)
            current = None if table is None else table.version()
            self._check_version(dataset_id, version, current)
            if table is None or version == current:
                raise Conflict(
                    f"version {version} is the current version already", code="VERSION_CURRENT"
                )
            delta_versions.snapshot(path, version)  # every file still there, else 410
            if self._pause_before_log:  # fault injection for crash tests; 0 in production
                time.sleep(self._pause_before_log)
            try:
                table.restore(version, commit_properties=properties)
            except DeltaError:
                delta_versions.snapshot(path, version)  # a vacuum got there first: 410
                raise
            table = DeltaTable(str(path))
        rows = _row_count(table)
        return CommitResult(
            version=table.version(), row_count=rows, rows_written=rows, bytes_written=0
        )

    def metadata_as_of(
        self, dataset_id: str, version: int, key: str, value: str
    ) -> dict[str, str] | None:
        table = self._table(dataset_id)
        return None if table is None else delta_versions.metadata_as_of(table, version, key, value)

    def _current_version(self, dataset_id: str) -> int | None:
        # `data_files` keeps the table open and up to date; its version is the current one.
        if self.data_files(dataset_id) is None:
            return None
        snapshot = self._snapshots.get(dataset_id)
        return snapshot.table.version() if snapshot is not None else self.version(dataset_id)

    @staticmethod
    def _check_version(dataset_id: str, version: int, current: int | None) -> None:
        if current is None or not 0 <= version <= current:
            latest = "it has no data yet" if current is None else f"the latest is {current}"
            raise NotFound(
                f"dataset {dataset_id} has no version {version} ({latest})",
                code="VERSION_NOT_FOUND",
            )

    def drop(self, dataset_id: str) -> None:
        with self._lock(dataset_id):
            shutil.rmtree(self._path(dataset_id), ignore_errors=True)
            self._snapshots.pop(dataset_id, None)

    def delete_rows(
        self, dataset_id: str, column: str, value: int, metadata: dict[str, str] | None = None
    ) -> CommitResult | None:
        properties = CommitProperties(custom_metadata=metadata) if metadata else None
        with self._lock(dataset_id):
            table = self._table(dataset_id)
            if table is None:
                return None
            before = table.version()
            # Our own column name, quoted, and an integer: no text from a user.
            name = '"' + column.replace('"', '""') + '"'
            metrics = table.delete(f"{name} = {int(value)}", commit_properties=properties)
            table = DeltaTable(str(self._path(dataset_id)))
        if table.version() == before:  # nothing matched: delta-rs wrote no commit
            return None
        return CommitResult(
            version=table.version(),
            row_count=_row_count(table),
            rows_written=int(metrics.get("num_deleted_rows", 0)),
            bytes_written=0,
        )

    def apply_changes(
        self,
        dataset_id: str,
        columns: Sequence[Column],
        inserts: Any,
        deletes: Any,
        key_columns: Sequence[str] = (),
        metadata: dict[str, str] | None = None,
    ) -> CommitResult:
        schema = arrow_schema(columns)
        table = self._table(dataset_id)
        if table is None or (deletes.num_rows == 0 and not key_columns):
            # Nothing to match against (or only inserts into a multiset): a plain append.
            return self.commit(dataset_id, columns, inserts, UpdateMethod.APPEND, (), metadata)
        source = pa.concat_tables([inserts.cast(schema), deletes.cast(schema)]).append_column(
            CHANGE_OP,
            pa.array(["i"] * inserts.num_rows + ["d"] * deletes.num_rows, pa.string()),
        )
        names = [c.name for c in columns]
        keys = list(key_columns) or names
        matches = " AND ".join(f'(t."{k}" IS NOT DISTINCT FROM s."{k}")' for k in keys)
        if not key_columns:  # a multiset: inserts never match, so duplicates stay duplicates
            matches += f" AND (s.{CHANGE_OP} = 'd')"
        values = {f'"{n}"': f's."{n}"' for n in names}
        properties = CommitProperties(custom_metadata=metadata) if metadata else None
        with self._lock(dataset_id):
            merge = table.merge(
                source,
                predicate=matches,
                source_alias="s",
                target_alias="t",
                commit_properties=properties,
            )
            if key_columns:
                merge = merge.when_matched_update(values, predicate=f"s.{CHANGE_OP} = 'i'")
            merge.when_matched_delete(predicate=f"s.{CHANGE_OP} = 'd'").when_not_matched_insert(
                values, predicate=f"s.{CHANGE_OP} = 'i'"
            ).execute()
            table = DeltaTable(str(self._path(dataset_id)))
        return CommitResult(
            version=table.version(),
            row_count=_row_count(table),
            rows_written=inserts.num_rows + deletes.num_rows,
            bytes_written=0,
        )

    def compact(self, dataset_id: str, min_files: int, retention_hours: float) -> int:
        # Not under the writers' lock: compaction rewrites files without changing data, and
        # Delta's commit protocol lets it land beside concurrent appends.
        table = self._table(dataset_id)
        if table is None or len(table.file_uris()) < min_files:
            return 0
        table.optimize.compact()
        # Files leave the table at once but stay on disk for `retention_hours`, so a query
        # or reader still on an older version keeps reading them.
        removed = table.vacuum(
            retention_hours=int(retention_hours),
            dry_run=False,
            enforce_retention_duration=False,
        )
        return len(removed)


def _read_files(paths: Sequence[str], schema: pa.Schema) -> pa.RecordBatchReader:
    def batches() -> Iterator[pa.RecordBatch]:
        for path in paths:
            yield from pq.ParquetFile(path).iter_batches(batch_size=65_536)

    return pa.RecordBatchReader.from_batches(schema, batches())


def _add_actions(table: DeltaTable) -> pa.Table:
    return pa.table(table.get_add_actions(flatten=True))


def _file_sizes(table: DeltaTable | None) -> dict[str, int]:
    if table is None:
        return {}
    actions = _add_actions(table)
    return dict(
        zip(
            actions.column("path").to_pylist(),
            actions.column("size_bytes").to_pylist(),
            strict=True,
        )
    )


def _row_count(table: DeltaTable) -> int:
    actions = _add_actions(table)
    if actions.num_rows == 0:
        return 0
    counts = actions.column("num_records").to_pylist()
    if any(c is None for c in counts):  # no statistics: count by reading
        return int(table.to_pyarrow_dataset().count_rows())
    return int(sum(counts))


def _add_action(path: Path, rows: int) -> AddAction:
    return AddAction(
        path=path.name,
        size=path.stat().st_size,
        partition_values={},
        modification_time=int(time.time() * 1000),
        data_change=True,
        stats=json.dumps({"numRecords": rows}),
    )


def _enable_features_for(table: DeltaTable, schema: pa.Schema) -> None:
    """A table made without DATETIME columns lacks the protocol feature that TIMESTAMP_NTZ
    needs; a widening DATE → DATETIME (or a new DATETIME column) turns it on first, in a
    commit of its own that changes no data (harmless if the load then fails)."""
    if not any(pa.types.is_timestamp(t) and t.tz is None for t in schema.types):
        return
    protocol = table.protocol()
    if "timestampNtz" in (protocol.writer_features or []):
        return
    table.alter.add_feature(
        TableFeatures.TimestampWithoutTimezone, allow_protocol_versions_increase=True
    )


def _keys_of(files: Sequence[StagedFile], key_columns: Sequence[str]) -> pa.Table:
    """The key values of an UPSERT's staged rows: the table's rows they replace."""
    if not key_columns:
        raise InvalidInput(
            "UPSERT needs key columns that exist in the dataset", field="keyColumnNames"
        )
    tables = [pq.read_table(f.path, columns=list(key_columns)) for f in files if f.rows]
    if not tables:
        return pa.table({k: pa.array([], pa.null()) for k in key_columns})
    return pa.concat_tables(tables).group_by(list(key_columns)).aggregate([])


def _rewrite(
    table: DeltaTable,
    schema: pa.Schema,
    target: Path,
    key_columns: Sequence[str],
    replaced: pa.Table | None,
) -> int:
    """Write the table's rows, in `schema` (a column it lacks is NULL, a widened one cast,
    which a widening does exactly), into one Parquet file at `target`; leave out rows whose
    keys are in `replaced`. The number of rows written."""
    rows = 0
    with pq.ParquetWriter(target, schema, compression="snappy") as writer:
        for batch in table.to_pyarrow_dataset().to_batches(batch_size=65_536):
            conformed = conform(batch, _columns_of(schema), fill_missing=True)
            kept = pa.Table.from_batches([conformed])
            if replaced is not None and replaced.num_rows and kept.num_rows:
                kept = kept.join(
                    replaced.cast(kept.select(list(key_columns)).schema),
                    keys=list(key_columns),
                    join_type="left anti",
                ).select(schema.names)
            if kept.num_rows:
                writer.write_table(kept.cast(schema))
                rows += kept.num_rows
    return rows


def _columns_of(schema: pa.Schema) -> list[Column]:
    return columns_from_arrow(schema)
