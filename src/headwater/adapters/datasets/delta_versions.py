"""The versions of a Delta table, read from its transaction log.

Delta's `history()` gives each commit's `commitInfo` (operation, time, our tags) but not the
rows it added or removed: `operationMetrics` differ by writer, and a commit that adopts staged
files carries none. The rows come from the log itself, which is the Delta protocol's public
format (`_delta_log/<version>.json`, one action per line): each `add` carries its file's
`numRecords`; a `remove` names a file added earlier. So a page of versions is read by loading
the table once at the version before the page (Delta replays the log, from a checkpoint when
there is one) and walking the page's commit files forward, keeping the live files' row
counts. The cost is one snapshot plus the page, whatever the table's age.

A version is *expired* when a file it lists is no longer on disk (vacuumed), or when its log
entry is gone (log cleanup after a checkpoint): it can then be neither read nor restored.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pyarrow as pa
from deltalake import DeltaTable
from deltalake.exceptions import DeltaError, TableNotFoundError

from headwater.domain.errors import NotFound, VersionExpired
from headwater.domain.versions import (
    EXECUTION_TAG,
    METHOD_TAG,
    STREAM_TAG,
    USER_TAG,
    DataVersion,
    VersionOperation,
    VersionSnapshot,
)
from headwater.tabular.types import columns_from_arrow

# Rows a rewrite carried over unchanged (a merge or a delete rewrites whole files): they are
# in both the removed and the added files, and were neither.
COPIED_METRICS = ("num_target_rows_copied", "num_copied_rows")
METHODS = {
    m.value: m for m in (VersionOperation.REPLACE, VersionOperation.APPEND, VersionOperation.UPSERT)
}


@dataclass
class _Commit:
    info: dict[str, Any]
    adds: list[dict[str, Any]]
    removes: list[dict[str, Any]]


class _LiveFiles:
    """The files of the version just walked: their row counts (None: not known) and which of
    them are missing from disk."""

    def __init__(self, folder: Path, rows: dict[str, int | None]) -> None:
        self._folder = folder
        self.rows = rows
        self.missing = {name for name in rows if not (folder / name).exists()}

    def apply(self, commit: _Commit) -> tuple[int | None, int | None]:
        """Move to the version after `commit`; the rows it added and removed."""
        added: int | None = 0
        removed: int | None = 0
        for action in commit.removes:
            name = unquote(str(action.get("path", "")))
            rows = self.rows.pop(name, None)
            self.missing.discard(name)
            if action.get("dataChange", True):
                removed = None if rows is None or removed is None else removed + rows
        for action in commit.adds:
            name = unquote(str(action.get("path", "")))
            rows = _num_records(action)
            self.rows[name] = rows
            if not (self._folder / name).exists():
                self.missing.add(name)
            if action.get("dataChange", True):
                added = None if rows is None or added is None else added + rows
        metrics = commit.info.get("operationMetrics") or {}
        copied = sum(int(metrics.get(k) or 0) for k in COPIED_METRICS)
        if added is not None and removed is not None and copied:
            added, removed = added - copied, removed - copied
        return added, removed

    @property
    def row_count(self) -> int | None:
        counts = list(self.rows.values())
        if any(c is None for c in counts):
            return None
        return sum(c for c in counts if c is not None)


def history_page(folder: Path, current: int, limit: int, offset: int) -> list[DataVersion]:
    """Versions newest first: `current - offset` and the `limit - 1` before it."""
    newest = current - offset
    if newest < 0 or limit <= 0:
        return []
    oldest = max(0, newest - limit + 1)
    live = _live_at(folder, oldest - 1) if oldest > 0 else _LiveFiles(folder, {})
    page = []
    for version in range(oldest, newest + 1):
        commit = _read_commit(folder, version)
        if commit is None:  # its log entry was cleaned up: nothing left to describe
            live = None
            continue
        if live is None:  # the log before it is gone: start from its own snapshot
            live = _live_at(folder, version)
            added, removed = _own_rows(commit)
            page.append(_version(version, commit, live, added, removed))
            continue
        added, removed = live.apply(commit)
        page.append(_version(version, commit, live, added, removed))
    page.reverse()
    return page


def snapshot(folder: Path, version: int) -> VersionSnapshot:
    """The files and schema of `version` (which the caller knows exists), every file on
    disk; else `VersionExpired`."""
    try:
        table = DeltaTable(str(folder), version=version)
    except (TableNotFoundError, DeltaError, OSError):
        if not (folder / "_delta_log").is_dir():  # dropped meanwhile
            raise NotFound("the dataset has no data") from None
        # The table is there, this version is not: the log entries behind it were cleaned up.
        raise _expired(version, "its log entry was cleaned up") from None
    files = [unquote(uri.removeprefix("file://")) for uri in table.file_uris()]
    if not all(os.path.exists(path) for path in files):
        raise _expired(version, "its data files were vacuumed")
    columns = columns_from_arrow(pa.schema(table.schema().to_arrow()))
    return VersionSnapshot(version=version, files=files, columns=columns)


def metadata_as_of(table: DeltaTable, version: int, key: str, value: str) -> dict[str, str] | None:
    """The metadata of the newest commit at or before `version` whose `key` is `value`."""
    for entry in table.history():
        if int(entry.get("version", -1)) <= version and entry.get(key) == value:
            return {k: v for k, v in entry.items() if isinstance(v, str)}
    return None


def tagged_commit(
    folder: Path, current: int, key: str, value: str, after: int = -1
) -> tuple[int, dict[str, str]] | None:
    """The newest commit above version `after` (up to `current`) whose metadata `key` is
    `value`: its version and string metadata. One log file read per version looked at,
    newest first; it stops where the log was cleaned up."""
    for version in range(current, after, -1):
        commit = _read_commit(folder, version)
        if commit is None:
            return None
        if commit.info.get(key) == value:
            return version, _strings(commit.info)
    return None


def commit_metadata(folder: Path, version: int) -> dict[str, str] | None:
    """The string metadata of the commit of `version`; None if its log entry is gone."""
    commit = _read_commit(folder, version)
    return None if commit is None else _strings(commit.info)


def _strings(info: dict[str, Any]) -> dict[str, str]:
    return {k: v for k, v in info.items() if isinstance(v, str)}


def _expired(version: int, why: str) -> VersionExpired:
    return VersionExpired(
        f"version {version} is past the retention horizon ({why}); it can no longer be read "
        "or restored",
        version=version,
    )


def _live_at(folder: Path, version: int) -> _LiveFiles | None:
    try:
        table = DeltaTable(str(folder), version=version)
    except (DeltaError, OSError):
        return None
    actions = pa.table(table.get_add_actions(flatten=True))
    names = [unquote(str(p)) for p in actions.column("path").to_pylist()]
    counts = actions.column("num_records").to_pylist() if actions.num_rows else []
    return _LiveFiles(folder, dict(zip(names, counts, strict=True)))


def _read_commit(folder: Path, version: int) -> _Commit | None:
    try:
        text = (folder / "_delta_log" / f"{version:020d}.json").read_text()
    except FileNotFoundError:
        return None
    commit = _Commit({}, [], [])
    for line in text.splitlines():
        if not line.strip():
            continue
        action = json.loads(line)
        if "commitInfo" in action:
            commit.info = action["commitInfo"] or {}
        elif "add" in action:
            commit.adds.append(action["add"])
        elif "remove" in action:
            commit.removes.append(action["remove"])
    return commit


def _own_rows(commit: _Commit) -> tuple[int | None, int | None]:
    """What a commit says by itself, without the version before it: the rows it added (each
    `add` has its count), and those it removed only when it removed nothing."""
    changed_adds = [a for a in commit.adds if a.get("dataChange", True)]
    counts = [_num_records(a) for a in changed_adds]
    added = None if any(c is None for c in counts) else sum(c for c in counts if c is not None)
    removes = any(r.get("dataChange", True) for r in commit.removes)
    return added, None if removes else 0


def _num_records(add: dict[str, Any]) -> int | None:
    try:
        value = json.loads(add.get("stats") or "{}").get("numRecords")
    except (ValueError, AttributeError):
        return None
    return int(value) if isinstance(value, int) else None


def _version(
    version: int,
    commit: _Commit,
    live: _LiveFiles | None,
    added: int | None,
    removed: int | None,
) -> DataVersion:
    info = commit.info
    parameters = info.get("operationParameters") or {}
    restored = str(parameters.get("version")) if info.get("operation") == "RESTORE" else ""
    return DataVersion(
        version=version,
        committed_at=datetime.fromtimestamp(int(info.get("timestamp") or 0) / 1000, UTC),
        operation=_operation(info),
        storage_operation=str(info.get("operation") or ""),
        rows_added=added,
        rows_removed=removed,
        row_count=live.row_count if live is not None else None,
        execution_id=_int_tag(info, EXECUTION_TAG),
        stream_id=_int_tag(info, STREAM_TAG),
        user_id=_int_tag(info, USER_TAG),
        restored_from=int(restored) if restored.isdecimal() else None,
        expired=live is None or bool(live.missing),
    )


def _operation(info: dict[str, Any]) -> VersionOperation:
    tagged = METHODS.get(str(info.get(METHOD_TAG, "")))
    if tagged is not None:  # the execution said what it did: no guessing from the write mode
        return tagged
    operation = str(info.get("operation") or "")
    mode = str((info.get("operationParameters") or {}).get("mode", ""))
    if operation == "WRITE" or operation.startswith("CREATE"):
        return VersionOperation.REPLACE if mode == "Overwrite" else VersionOperation.APPEND
    if operation.startswith("VACUUM"):
        return VersionOperation.VACUUM
    return {
        "MERGE": VersionOperation.UPSERT,
        "DELETE": VersionOperation.DELETE,
        "RESTORE": VersionOperation.RESTORE,
        "OPTIMIZE": VersionOperation.COMPACT,
    }.get(operation, VersionOperation.OTHER)


def _int_tag(info: dict[str, Any], key: str) -> int | None:
    value = info.get(key)
    return int(value) if isinstance(value, str) and value.isdecimal() else None
