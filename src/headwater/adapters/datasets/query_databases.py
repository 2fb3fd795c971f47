"""Locked-down DuckDB databases, one per set of readable files, kept for the queries to come.

Opening and locking down a DuckDB database costs ~30 ms, more than most queries over it. So a
database is made once per file set (one version of one dataset, or a pipeline's tables): it
may read exactly those files (`allowed_paths`), nothing else on disk or the network
(`enable_external_access = false`), loads no extension, and its configuration is locked
before any query reaches it. Delta data files never change once written, so a file set's
database stays right for as long as anyone asks for that set; a new version is a new set.

Queries never share a connection: each gets a `cursor()` (its own DuckDB connection to the
database), in its own transaction that is rolled back when it is done. Its TEMP views are its
own (DuckDB keeps temporary objects per connection), and anything else it could have made
goes with the rollback: nothing one query leaves behind is visible to the next.

The set is bounded (`QuerySettings.cached_databases`, least recently used out). A database
leaving the set closes once its last cursor is done, never under a running query.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb

from headwater.settings import QuerySettings


@dataclass
class _Database:
    connection: duckdb.DuckDBPyConnection
    cursors: int = 0  # open now
    retired: bool = False  # out of the set: close when the last cursor is done


@dataclass(frozen=True)
class DatabaseStats:
    """What the set did, for tests and diagnostics."""

    opened: int  # databases created so far
    closed: int
    cached: int  # in the set now
    cursors: int  # queries (and exports) served so far


class QueryDatabases:
    def __init__(self, settings: QuerySettings) -> None:
        self._settings = settings
        self._databases: OrderedDict[frozenset[str], _Database] = OrderedDict()
        self._lock = threading.Lock()
        self._opened = 0
        self._closed = 0
        self._cursors = 0
        self._making: dict[frozenset[str], threading.Lock] = {}

    @contextmanager
    def cursor(self, files: Iterable[str]) -> Iterator[duckdb.DuckDBPyConnection]:
        """A fresh connection, inside a transaction, to the database that may read exactly
        `files`; rolled back and closed on the way out."""
        key = frozenset(files)
        database = self._lease(key)
        try:
            with self._lock:  # the parent connection keeps a list of its cursors: one at a time
                cursor = database.connection.cursor()
        except BaseException:
            self._release(database)
            raise
        try:
            cursor.begin()
            yield cursor
        finally:
            try:
                cursor.close()  # rolls back whatever the query did
            finally:
                self._release(database)

    def stats(self) -> DatabaseStats:
        with self._lock:
            return DatabaseStats(self._opened, self._closed, len(self._databases), self._cursors)

    def close(self) -> None:
        """Retire every database: each closes now, or when its last cursor is done."""
        with self._lock:
            retired = list(self._databases.values())
            self._databases.clear()
        for database in retired:
            self._retire(database)

    def _lease(self, key: frozenset[str]) -> _Database:
        with self._lock:
            database = self._databases.get(key)
            if database is not None:
                return self._use(key, database)
            making = self._making.setdefault(key, threading.Lock())
        # One maker per file set, outside the set's lock: queries over other, cached file
        # sets go on meanwhile, and the same set's other first queries wait for this one.
        with making:
            with self._lock:
                database = self._databases.get(key)
                if database is not None:
                    return self._use(key, database)
            made = _Database(self._open(sorted(key)))
            with self._lock:
                self._opened += 1
                self._making.pop(key, None)
                self._databases[key] = made
                evicted = []
                while len(self._databases) > self._settings.cached_databases:
                    evicted.append(self._databases.popitem(last=False)[1])
                leased = self._use(key, made)
        for old in evicted:
            self._retire(old)
        return leased

    def _use(self, key: frozenset[str], database: _Database) -> _Database:
        self._databases.move_to_end(key)
        database.cursors += 1
        self._cursors += 1
        return database

    def _release(self, database: _Database) -> None:
        with self._lock:
            database.cursors -= 1
            close = database.retired and database.cursors == 0
        if close:
            self._close(database)

    def _retire(self, database: _Database) -> None:
        with self._lock:
            database.retired = True
            close = database.cursors == 0
        if close:
            self._close(database)

    def _close(self, database: _Database) -> None:
        database.connection.close()  # closing it would close its open cursors: none are left
        with self._lock:
            self._closed += 1

    def _open(self, files: list[str]) -> duckdb.DuckDBPyConnection:
        return open_locked(files, self._settings)


def open_locked(files: list[str], settings: QuerySettings) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB database that may read exactly `files` and nothing else (no other
    file, no network, no extension), its configuration locked before it is handed out."""
    connection = duckdb.connect(
        ":memory:",
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "threads": settings.threads,
            "memory_limit": settings.memory_limit,
        },
    )
    try:
        # Footers and row-group statistics read once, not per query: the files never change.
        connection.execute("SET GLOBAL parquet_metadata_cache = true")
        # No Python variable may stand in for a table (DuckDB's replacement scans).
        connection.execute("SET GLOBAL python_enable_replacements = false")
        connection.execute("SET GLOBAL allowed_paths = $1", [files])
        connection.execute("SET GLOBAL enable_external_access = false")
        connection.execute("SET GLOBAL lock_configuration = true")
    except BaseException:
        connection.close()
        raise
    return connection
