"""Versions of a dataset's data: each commit makes one, and an old one can be read or restored.

A version stays readable while every data file it lists is on disk. Files leave the disk only
when a vacuum removes them (after compaction, once they have been out of the table for the
retention period), or when the transaction log that describes the version is cleaned up
(Delta's log retention, after a checkpoint): past that horizon the version is *expired*.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from headwater.domain.datasets import Column

# Commit metadata Headwater writes with a commit, read back when versions are listed.
EXECUTION_TAG = "headwater.execution"  # the execution whose commit it is
STREAM_TAG = "headwater.stream"  # the connector stream whose run it is (with its position)
USER_TAG = "headwater.user"  # who, for a commit no execution makes (a one-row append)
METHOD_TAG = "headwater.method"  # REPLACE, APPEND or UPSERT, as the execution asked


class VersionOperation(Enum):
    """What a commit did, in the words of Domo's update methods where one fits."""

    REPLACE = "REPLACE"  # the data before it is gone
    APPEND = "APPEND"
    UPSERT = "UPSERT"  # rows merged on key columns (or a pipeline's inserts and deletes)
    DELETE = "DELETE"
    RESTORE = "RESTORE"  # an older version made current again
    COMPACT = "COMPACT"  # small files rewritten into big ones; the rows are the same
    VACUUM = "VACUUM"  # files that left the table removed from disk; the rows are the same
    OTHER = "OTHER"


@dataclass(frozen=True)
class DataVersion:
    version: int
    committed_at: datetime
    operation: VersionOperation
    storage_operation: str  # the table format's own name for it (Delta: WRITE, MERGE...)
    rows_added: int | None  # None: not known (statistics missing, or the log before it gone)
    rows_removed: int | None
    row_count: int | None  # rows in the dataset at this version
    execution_id: int | None  # the execution whose commit this is
    stream_id: int | None
    user_id: int | None  # who, when the commit names them itself (a one-row append)
    restored_from: int | None  # for RESTORE: the version made current again
    expired: bool  # some file of it is gone from disk: it can no longer be read or restored


@dataclass(frozen=True)
class VersionSnapshot:
    """What a query of one version reads: its files and its schema (which may differ from
    today's)."""

    version: int
    files: list[str]
    columns: list[Column]
