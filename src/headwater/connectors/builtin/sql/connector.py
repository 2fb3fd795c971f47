"""Read a table or a query from PostgreSQL, MySQL/MariaDB or SQLite, in chunks.

Incremental reads keep a cursor: the largest value of `cursor_column` read so far. A run reads
`WHERE cursor > last ORDER BY cursor`. It checkpoints after a batch only where the cursor value
changes between that batch's last row and the next batch's first, and once at the end, so rows
that share a cursor value are never split by a checkpoint: committed state always means
"every row up to and including this value", and each row is read exactly once across runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from headwater.connectors.builtin.sql._source import (
    Relation,
    Session,
    clean_query,
    ensure_unique,
    parse_table,
    resolve_column,
)
from headwater.connectors.builtin.sql.spec import CHUNK_ROWS, DRIVERS, SPEC
from headwater.connectors.sdk import Checkpoint, TerminalError
from headwater.domain.datasets import Column
from headwater.tabular.types import columns_from_arrow


class SqlConnector:
    """A table or a query from PostgreSQL, MySQL, MariaDB or SQLite, read in full or
    incrementally on a cursor column (an id or an updated-at timestamp).

    Operator options: `sqlite_dirs`, the directories whose SQLite files streams may read
    (none by default, so no SQLite file can be read); `connect_timeout` in seconds."""

    name = "sql"

    def __init__(self, sqlite_dirs: Sequence[str] = (), connect_timeout: float = 10.0) -> None:
        self._sqlite_dirs = [Path(d).expanduser().resolve() for d in sqlite_dirs]
        self._connect_timeout = connect_timeout

    def spec(self) -> dict[str, Any]:
        return SPEC

    def check(self, config: Mapping[str, Any]) -> None:
        self.discover(config)

    def discover(self, config: Mapping[str, Any]) -> list[Column]:
        relation = _relation(config)
        session = self._open(config)
        try:
            fields = session.columns(relation)
        finally:
            session.close()
        ensure_unique(fields, relation)
        if config.get("cursor_column"):
            resolve_column(str(config["cursor_column"]), fields, relation)
        return columns_from_arrow(pa.schema(fields))

    def read(
        self, config: Mapping[str, Any], state: Mapping[str, Any]
    ) -> Iterator[pa.RecordBatch | Checkpoint]:
        relation = _relation(config)
        chunk_rows = int(config.get("chunk_rows") or CHUNK_ROWS)
        session = self._open(config)
        try:
            if not config.get("cursor_column"):
                for chunk in session.read(relation, None, None, chunk_rows):
                    yield chunk.batch
                return
            fields = session.columns(relation)
            ensure_unique(fields, relation)
            cursor = resolve_column(str(config["cursor_column"]), fields, relation)
            previous = None  # the cursor value that ended the batch before
            for chunk in session.read(relation, cursor, state.get("cursor"), chunk_rows):
                if previous is not None and chunk.first != previous:
                    yield Checkpoint({"cursor": previous})  # no value spans this boundary
                yield chunk.batch
                previous = chunk.last
            if previous is not None:
                yield Checkpoint({"cursor": previous})
        finally:
            session.close()

    def _open(self, config: Mapping[str, Any]) -> Session:
        # Each driver is imported when a stream first uses it: ADBC and PyMySQL take about a
        # second to import, which every `headwater serve` start would pay otherwise.
        driver = str(config.get("driver"))
        if driver == "postgresql":
            from headwater.connectors.builtin.sql._postgres import PostgresSession

            return PostgresSession(config, self._connect_timeout)
        if driver in ("mysql", "mariadb"):
            from headwater.connectors.builtin.sql._mysql import MysqlSession

            return MysqlSession(config, self._connect_timeout)
        if driver == "sqlite":
            from headwater.connectors.builtin.sql._sqlite import SqliteSession

            return SqliteSession(config, self._sqlite_dirs, self._connect_timeout)
        raise TerminalError(f"unknown driver {driver!r}; use one of {', '.join(DRIVERS)}")


def _relation(config: Mapping[str, Any]) -> Relation:
    table, query = config.get("table"), config.get("query")
    if table and query:
        raise TerminalError("set either table or query, not both")
    if table:
        return Relation(table=parse_table(str(table)))
    if query:
        return Relation(query=clean_query(str(query)))
    raise TerminalError("set table (a table to read) or query (a SELECT to read)")
