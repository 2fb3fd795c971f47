"""The rows a row filter lets through, one Parquet file per data file: the engine's wall for PDP.

A caller under a row policy must not reach the rows it hides, whatever a query says. A view
with a WHERE clause is not enough on its own: the database running the query would have to
be allowed the dataset's files, and a statement that slipped past the parser could read them
whole. So the database such a caller queries may open only *slices*: for each data file of
the dataset, the file's rows that pass the caller's filter, written once by this module on a
connection of its own. Every row of every file that caller's database can open is a row the
caller may see.

A slice is named by a hash of its data file (path, size, modification time), the filter's
SQL and the columns, so a new version, a changed policy or a changed schema never meets an
old slice. Delta data files never change once written, so a slice never goes stale: the
first query after a commit slices only the new files. Slices live in a local cache folder
bounded by `QuerySettings.slice_cache_bytes`; the least recently used go first, and never
one used within the last `keep_seconds` (longer than any query may run).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import duckdb

from headwater.adapters.datasets.sql_text import quote_identifier, string_literal
from headwater.domain.datasets import Column

TRIM_EVERY_SECONDS = 60.0  # a scan of the folder at most this often


class PolicySlices:
    def __init__(self, directory: Path, max_bytes: int, keep_seconds: float) -> None:
        self._directory = directory
        self._max_bytes = max_bytes
        self._keep_seconds = keep_seconds
        self._lock = threading.Lock()
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._last_trim = 0.0

    def slices(self, files: Sequence[str], columns: Sequence[Column], predicate: str) -> list[str]:
        """One slice per file, in the same order, made now where missing."""
        self._directory.mkdir(parents=True, exist_ok=True)
        made = False
        paths = []
        for source in files:
            path = self._directory / f"{_key(source, columns, predicate)}.parquet"
            if _touch(path, self._keep_seconds):
                paths.append(str(path))
                continue
            self._write(source, path, columns, predicate)
            paths.append(str(path))
            made = True
        if made:
            self._trim_now_and_then()
        return paths

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _write(self, source: str, path: Path, columns: Sequence[Column], predicate: str) -> None:
        select = ", ".join(quote_identifier(c.name) for c in columns) or "*"
        partial = path.with_name(f"{path.name}.{uuid.uuid4().hex}.partial")
        # Our own paths, column names and the rendered filter (values quoted): not user SQL.
        statement = (
            f"COPY (SELECT {select} FROM read_parquet({string_literal(source)}) "  # noqa: S608
            f"WHERE {predicate}) TO {string_literal(str(partial))} (FORMAT parquet)"
        )
        cursor = self._cursor()
        try:
            cursor.execute(statement)
        finally:
            cursor.close()
        os.replace(partial, path)  # whole or absent: a reader never sees half a slice

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if self._connection is None:
                self._connection = duckdb.connect(
                    ":memory:",
                    config={
                        "autoinstall_known_extensions": False,
                        "autoload_known_extensions": False,
                        "threads": 2,
                    },
                )
            return self._connection.cursor()

    def _trim_now_and_then(self) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last_trim < TRIM_EVERY_SECONDS:
                return
            self._last_trim = now
        self.trim()

    def trim(self) -> int:
        """Delete least recently used slices until the folder fits; the bytes left."""
        entries = []
        for entry in os.scandir(self._directory):
            try:
                stat = entry.stat()
            except FileNotFoundError:
                continue
            entries.append((stat.st_mtime, stat.st_size, entry.path))
        total = sum(size for _, size, _ in entries)
        horizon = time.time() - self._keep_seconds
        for mtime, size, path in sorted(entries):
            if total <= self._max_bytes:
                break
            if mtime >= horizon:
                break  # in use, or about to be: the rest are newer still
            try:
                if os.stat(path).st_mtime >= horizon:
                    continue  # touched since the scan
                os.unlink(path)
            except FileNotFoundError:
                pass
            total -= size
        return total


def _key(source: str, columns: Sequence[Column], predicate: str) -> str:
    stat = os.stat(source)
    identity = [source, stat.st_size, stat.st_mtime_ns, predicate]
    identity.append([[c.name, c.type_text] for c in columns])
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()


def _touch(path: Path, keep_seconds: float) -> bool:
    """Whether the slice exists; marks it used (at most every half `keep_seconds`)."""
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return False
    now = time.time()
    if now - mtime > keep_seconds / 2:
        try:
            os.utime(path, (now, now))
        except FileNotFoundError:
            return False
    return True
