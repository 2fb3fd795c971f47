"""SQLite files through the standard library's sqlite3, opened read-only, and only inside the
directories the operator allows (a SQLite file on the server is as sensitive as any file).

Not ADBC: its SQLite driver guesses each column's type from the first 1,024 rows and fails
the read when a later value disagrees, so a column that is NULL in its first rows and text
later cannot be read (apache/arrow-adbc#581). Here a column's type is its declared type (as
SQLite's affinity rules read it), found through a temporary view so queries get it too; a
column with none (an expression) takes the type of its first non-null value.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from headwater.connectors.builtin.sql._arrow import (
    BOOL,
    DATE,
    FLOAT,
    INT,
    STRING,
    TIMESTAMP,
    column_from_values,
    empty_batch,
    json_value,
)
from headwater.connectors.builtin.sql._source import ALIAS, Chunk, Dialect, Relation
from headwater.connectors.sdk import ConnectorError, TerminalError, TransientError

DIALECT = Dialect('"', "?")
_BY_STORAGE = {"integer": INT, "real": FLOAT, "text": STRING, "blob": STRING}
_TRANSIENT_TEXT = ("database is locked", "database table is locked", "disk i/o error")


class SqliteSession:
    def __init__(
        self, config: Mapping[str, Any], allowed_dirs: Sequence[Path], busy_timeout: float
    ) -> None:
        path = _allowed_path(str(config.get("database") or ""), allowed_dirs)
        if not path.is_file():
            raise TerminalError(f"no SQLite database at {path}")
        self._path = path
        try:
            self._connection = sqlite3.connect(
                f"{path.as_uri()}?mode=ro", uri=True, timeout=busy_timeout
            )
        except sqlite3.Error as exc:
            raise self._error(exc) from None

    def columns(self, relation: Relation) -> list[pa.Field]:
        view = DIALECT.quote(f"hw_probe_{uuid.uuid4().hex}")
        try:
            self._connection.execute(f"CREATE TEMP VIEW {view} AS {DIALECT.select(relation)}")
            try:
                declared = self._connection.execute(f"PRAGMA table_info({view})").fetchall()
            finally:
                self._connection.execute(f"DROP VIEW temp.{view}")
            return [
                pa.field(name, _declared_type(decltype) or self._first_value_type(relation, name))
                for _, name, decltype, *_ in declared
            ]
        except sqlite3.Error as exc:
            raise self._error(exc, relation) from None

    def read(
        self, relation: Relation, cursor: str | None, after: Any, chunk_rows: int
    ) -> Iterator[Chunk]:
        fields = self.columns(relation)
        schema = pa.schema(fields)
        at = schema.get_field_index(cursor) if cursor is not None else -1
        sql = DIALECT.select(relation, f"{ALIAS}.*", cursor, after is not None)
        rows = None
        try:
            rows = self._connection.execute(sql, () if after is None else (after,))
            chunk = rows.fetchmany(chunk_rows)
            if not chunk:
                yield Chunk(empty_batch(fields))
            while chunk:
                columns = list(zip(*chunk, strict=True))
                arrays = [
                    column_from_values(f.name, columns[i], f.type) for i, f in enumerate(fields)
                ]
                batch = pa.RecordBatch.from_arrays(arrays, schema=schema)
                if at < 0:
                    yield Chunk(batch)
                else:  # the stored values: they compare as the next read's parameter will
                    yield Chunk(batch, json_value(chunk[0][at]), json_value(chunk[-1][at]))
                chunk = rows.fetchmany(chunk_rows)
        except sqlite3.Error as exc:
            raise self._error(exc, relation) from None
        finally:
            if rows is not None:
                rows.close()

    def close(self) -> None:
        self._connection.close()

    def _first_value_type(self, relation: Relation, name: str) -> pa.DataType:
        column = DIALECT.column(name)
        sql = DIALECT.select(relation, f"typeof({column})") + f" WHERE {column} IS NOT NULL LIMIT 1"
        found = self._connection.execute(sql).fetchone()
        return _BY_STORAGE.get(found[0] if found else "", STRING)

    def _error(self, exc: sqlite3.Error, relation: Relation | None = None) -> ConnectorError:
        message = str(exc) or type(exc).__name__
        lowered = message.lower()
        if any(marker in lowered for marker in _TRANSIENT_TEXT):
            return TransientError(f"SQLite {self._path}: {message}")
        if lowered.startswith("no such table") and relation is not None:
            return TerminalError(f"table {relation.label!r} does not exist in {self._path}")
        if "readonly database" in lowered:
            return TerminalError(f"the query tried to write, and reads are read-only: {message}")
        return TerminalError(f"SQLite {self._path}: {message}")


def _declared_type(decltype: str) -> pa.DataType | None:
    """A declared column type as a dataset type: SQLite's affinity rules, with booleans,
    dates and timestamps told apart. None for no declared type."""
    name = decltype.upper()
    if not name:
        return None
    if "BOOL" in name:
        return BOOL
    if "INT" in name:
        return INT
    if any(word in name for word in ("CHAR", "CLOB", "TEXT")):
        return STRING
    if any(word in name for word in ("DATETIME", "TIMESTAMP")):
        return TIMESTAMP
    if "DATE" in name:
        return DATE
    if any(word in name for word in ("REAL", "FLOA", "DOUB", "DEC", "NUM", "MONEY")):
        return FLOAT
    return STRING  # BLOB (as hex), TIME, JSON, UUID, ...


def _allowed_path(database: str, allowed_dirs: Sequence[Path]) -> Path:
    if not allowed_dirs:
        raise TerminalError(
            "this server reads no SQLite files: the operator has not allowed any directory "
            "(option sqlite_dirs of the sql connector)"
        )
    if not database:
        raise TerminalError("database must be the path of the SQLite file")
    path = Path(database).expanduser()
    if not path.is_absolute():
        path = allowed_dirs[0] / path
    real = path.resolve()
    if not any(real == root or root in real.parents for root in allowed_dirs):
        allowed = ", ".join(str(root) for root in allowed_dirs)
        raise TerminalError(f"{path} is outside the directories this server may read ({allowed})")
    return real
