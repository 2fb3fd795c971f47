"""PostgreSQL through ADBC (libpq): results arrive as Arrow, never as Python rows.

A read without a bound value streams through `COPY (SELECT ...) TO STDOUT (FORMAT binary)`,
ADBC's fastest path. A read after a cursor value needs a bound parameter, which COPY cannot
take (and ADBC would otherwise hold the whole result in memory), so it declares a server-side
cursor with the parameter bound and FETCHes `chunk_rows` at a time.

Columns with no dataset equivalent are converted by the server (`CAST(... AS text)`, arrays
and composites as JSON). numeric arrives as exact text and becomes decimal128 here at the
column's declared NUMERIC(p, s) (its typmod); a numeric without one (`NUMERIC`, or an
expression such as SUM(...)) is read as DECIMAL(38, 9), and a value that does not fit fails
the run naming the column (`_arrow.decimal_type`). The cursor state keeps the exact text.
Sessions run in UTC and read-only.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlencode

import adbc_driver_manager
import adbc_driver_postgresql.dbapi as adbc_postgres
import pyarrow as pa

from headwater.connectors import egress
from headwater.connectors.builtin.sql._arrow import (
    column_from_arrow,
    dataset_type_of,
    decimal_type,
    empty_batch,
    json_value,
    rechunk,
)
from headwater.connectors.builtin.sql._source import (
    ALIAS,
    Chunk,
    Dialect,
    Relation,
    ensure_unique,
)
from headwater.connectors.sdk import ConnectorError, TerminalError, TransientError

DIALECT = Dialect('"', "$1")
_CURSOR = "hw_read"
_TYPE_KEY = b"POSTGRESQL:type"
_TYPMOD_KEY = b"POSTGRESQL:typmod"
_ERRORS = (adbc_driver_manager.Error, OSError)
# What ADBC raises: its own errors; while streaming, Arrow errors carrying libpq's message.
_STREAM_ERRORS = (*_ERRORS, pa.ArrowException)
_NATIVE = ("int", "uint", "float", "double", "halffloat", "bool", "string", "date32", "timestamp")
_AUTH_TEXT = ("authentication failed", 'role "', "no pg_hba.conf entry", "password")
_TRANSIENT_CLASSES = ("08", "40", "53", "57", "58")
_TRANSIENT_TEXT = (
    "connection refused",
    "timeout expired",
    "timed out",
    "server closed the connection",
    "could not receive data",
    "could not send data",
    "connection reset",
    "no connection to the server",
    "ssl syscall",
    "temporary failure in name resolution",
    "the database system is",
    "too many clients",
    "terminating connection",
)


class PostgresSession:
    def __init__(self, config: Mapping[str, Any], connect_timeout: float) -> None:
        self._user = str(config.get("username") or "postgres")
        self._database = str(config.get("database") or self._user)
        try:
            self._connection = adbc_postgres.connect(_uri(config, connect_timeout))
        except _ERRORS as exc:
            raise self._error(exc) from None

    def columns(self, relation: Relation) -> list[pa.Field]:
        return [pa.field(f.name, target) for f, (_, target) in self._plan(relation)]

    def read(
        self,
        relation: Relation,
        cursor: str | None,
        after: Any,
        chunk_rows: int,
    ) -> Iterator[Chunk]:
        plan = self._plan(relation)
        listed = ", ".join(f"{sql} AS {DIALECT.quote(f.name)}" for f, (sql, _) in plan)
        targets = [pa.field(f.name, target) for f, (_, target) in plan]
        if after is None:
            batches = self._copy(DIALECT.select(relation, listed, cursor))
        else:  # the bound text read as the cursor column's own type
            parameter = f"CAST($1 AS {_cast_type(plan, cursor)})"
            sql = DIALECT.select(relation, listed, cursor, True, parameter)
            batches = self._fetch(sql, str(after), chunk_rows)
        empty = True
        for raw in rechunk(batches, chunk_rows):
            empty = False
            yield _chunk(raw, targets, cursor)
        if empty:
            yield Chunk(empty_batch(targets))

    def close(self) -> None:
        with contextlib.suppress(*_ERRORS):  # the connection may be gone already
            self._connection.close()

    def _plan(self, relation: Relation) -> list[tuple[pa.Field, tuple[str, pa.DataType]]]:
        """Each column with the SQL that selects it and its dataset type."""
        try:
            with self._connection.cursor() as cursor:  # prepares, reads no row
                schema = cursor.adbc_execute_schema(DIALECT.select(relation))
        except _ERRORS as exc:
            raise self._error(exc, relation) from None
        finally:
            self._rollback()
        fields = list(schema)
        ensure_unique(fields, relation)
        return [(field, _select_expression(field)) for field in fields]

    def _copy(self, sql: str) -> Iterator[pa.RecordBatch]:
        """The result streamed through COPY, as ADBC's batches."""
        try:
            with self._connection.cursor() as cursor:
                cursor.execute(sql)
                reader = cursor.fetch_record_batch()
                try:
                    yield from reader
                finally:
                    reader.close()
        except _STREAM_ERRORS as exc:
            raise self._error(exc) from None
        finally:
            self._rollback()

    def _fetch(self, sql: str, after: str, chunk_rows: int) -> Iterator[pa.RecordBatch]:
        """The result through a server-side cursor with `after` bound, chunk by chunk."""
        try:
            with self._connection.cursor() as cursor:
                cursor.execute(f"DECLARE {_CURSOR} NO SCROLL CURSOR FOR {sql}", (after,))
                cursor.adbc_statement.set_options(**{"adbc.postgresql.use_copy": "false"})
                while True:
                    cursor.execute(f"FETCH {int(chunk_rows)} FROM {_CURSOR}")
                    table = cursor.fetch_arrow_table()
                    if not table.num_rows:
                        break
                    yield from table.to_batches()
        except _STREAM_ERRORS as exc:
            raise self._error(exc) from None
        finally:
            self._rollback()

    def _rollback(self) -> None:
        with contextlib.suppress(*_ERRORS):  # a broken connection has no transaction left
            self._connection.rollback()

    def _error(self, exc: BaseException, relation: Relation | None = None) -> ConnectorError:
        text = str(exc)
        found = re.search(r"SQLSTATE: (\w{5})", text)
        state = getattr(exc, "sqlstate", None) or (found.group(1) if found else "")
        detail = _detail(text)
        lowered = text.lower()
        if state.startswith("28") or (
            not state and any(marker in lowered for marker in _AUTH_TEXT)
        ):
            return TerminalError(f"authentication failed for user {self._user!r}: {detail}")
        if state == "3D000" or (re.search(r'database ".*" does not exist', text) and not state):
            return TerminalError(f"database {self._database!r} does not exist on the server")
        if state == "42P01" and relation is not None:
            hint = ""
            if relation.table and relation.label != relation.label.lower():
                hint = " (names are exact here: a table created unquoted is in lower case)"
            return TerminalError(f"table {relation.label!r} does not exist: {detail}{hint}")
        if state == "25006" or "read-only transaction" in lowered:
            return TerminalError(f"the query tried to write, and reads are read-only: {detail}")
        if state[:2] in _TRANSIENT_CLASSES or (
            not state and any(marker in lowered for marker in _TRANSIENT_TEXT)
        ):
            return TransientError(f"PostgreSQL: {detail}")
        return TerminalError(f"PostgreSQL: {detail}")


def _uri(config: Mapping[str, Any], connect_timeout: float) -> str:
    name = str(config.get("host") or "localhost")
    port = int(config.get("port") or 5432)
    # libpq connects in C, out of the egress audit hook's sight: it is given the checked
    # addresses (`hostaddr`), so it does not resolve the name again; the name stays `host`
    # for TLS and the server's authentication rules.
    checked = egress.resolve(name, port)
    host = f"[{name}]" if ":" in name and not name.startswith("[") else name  # IPv6
    user = quote(str(config.get("username") or "postgres"), safe="")
    password = config.get("password")
    login = f"{user}:{quote(str(password), safe='')}" if password else user
    database = quote(str(config.get("database") or ""), safe="")
    options = {
        "connect_timeout": str(max(1, round(connect_timeout))),
        "application_name": "headwater",
        "options": "-c TimeZone=UTC -c default_transaction_read_only=on",
    }
    if checked != [name]:
        options["hostaddr"] = checked[0]
    return f"postgresql://{login}@{host}:{port}/{database}?{urlencode(options, quote_via=quote)}"


def _select_expression(field: pa.Field) -> tuple[str, pa.DataType]:
    """How to select a column so that it arrives as a type a dataset holds."""
    column = f"{ALIAS}.{DIALECT.quote(field.name)}"
    data_type = field.type
    if isinstance(data_type, pa.BaseExtensionType):
        if "type_name=numeric" in str(data_type):
            return column, decimal_type(*_numeric_size(field))
        if data_type.extension_name == "arrow.json":
            return column, dataset_type_of(data_type)
        return f"CAST({column} AS text)", pa.string()  # uuid, inet, money, enums, ...
    if pa.types.is_nested(data_type):
        return f"CAST(to_json({column}) AS text)", pa.string()
    if str(data_type).startswith(_NATIVE) and not pa.types.is_interval(data_type):
        return column, dataset_type_of(data_type)
    return f"CAST({column} AS text)", pa.string()  # time, interval, bytea, ...


def _numeric_size(field: pa.Field) -> tuple[int | None, int | None]:
    """NUMERIC(p, s) from the column's typmod: ((p << 16) | s) + 4, s an 11-bit signed number
    (PostgreSQL 15 allows negative scales); -1, no size."""
    raw = (field.metadata or {}).get(_TYPMOD_KEY, b"-1")
    typmod = int(raw.decode() or "-1")
    if typmod < 4:
        return None, None
    packed = typmod - 4
    scale = packed & 0x7FF
    return (packed >> 16) & 0xFFFF, scale - 0x800 if scale & 0x400 else scale


def _cast_type(plan: list[tuple[pa.Field, tuple[str, pa.DataType]]], cursor: str | None) -> str:
    """The cursor column's PostgreSQL type, to read the bound (text) value as."""
    for field, _ in plan:
        if field.name == cursor:
            type_name = (field.metadata or {}).get(_TYPE_KEY, b"text").decode()
            return DIALECT.quote(type_name)
    raise TerminalError(f"cursor_column {cursor!r} is not a column of the source")


def _chunk(raw: pa.RecordBatch, targets: list[pa.Field], cursor: str | None) -> Chunk:
    arrays = [
        column_from_arrow(field.name, raw.column(index), field.type)
        for index, field in enumerate(targets)
    ]
    batch = pa.RecordBatch.from_arrays(arrays, schema=pa.schema(targets))
    if cursor is None:
        return Chunk(batch)
    values = raw.column(raw.schema.get_field_index(cursor))
    return Chunk(batch, _json(values[0]), _json(values[len(values) - 1]))


def _json(scalar: pa.Scalar) -> Any:
    if isinstance(scalar, pa.ExtensionScalar):
        scalar = scalar.value
    return json_value(scalar.as_py())


def _detail(text: str) -> str:
    """The server's own words from a libpq/ADBC message."""
    found = re.search(r"(?:FATAL|ERROR):\s+(.*)", text)
    if found:
        return found.group(1).strip()
    found = re.search(r"failed: (.*)", text)
    line = found.group(1) if found else text
    return line.strip().splitlines()[0] if line.strip() else type(text).__name__
