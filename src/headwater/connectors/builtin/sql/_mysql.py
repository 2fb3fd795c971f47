"""MySQL and MariaDB through PyMySQL, unbuffered (`SSCursor`): rows stream from the server
and `fetchmany(chunk_rows)` turns them into Arrow batches, typed by `cursor.description` (so an
empty result still has the right columns).

Decimals, dates, timestamps and times are left as the server's text and parsed by Arrow in
bulk (decimal text keeps the cursor state exact). DECIMAL(p, s) is read as decimal128(p, s);
wider than 38 digits (MySQL allows 65), as DECIMAL(38, min(s, 9)), and a value that does not
fit fails the run naming the column. Sessions run in UTC, each read in a READ ONLY
transaction, and with a long net_write_timeout so a slow consumer does not cut the stream.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pymysql
import pymysql.converters
import pymysql.cursors
from pymysql.constants import FIELD_TYPE

from headwater.connectors import egress
from headwater.connectors.builtin.sql._arrow import (
    BOOL,
    DATE,
    FLOAT,
    INT,
    STRING,
    TIMESTAMP,
    column_from_values,
    decimal_type,
    empty_batch,
    json_value,
)
from headwater.connectors.builtin.sql._source import ALIAS, Chunk, Dialect, Relation
from headwater.connectors.sdk import ConnectorError, TerminalError, TransientError

DIALECT = Dialect("`", "%s")
_INTEGERS = {FIELD_TYPE.SHORT, FIELD_TYPE.LONG, FIELD_TYPE.LONGLONG, FIELD_TYPE.INT24}
_INTEGERS |= {FIELD_TYPE.YEAR}
_FLOATS = {FIELD_TYPE.FLOAT, FIELD_TYPE.DOUBLE}
_DECIMALS = {FIELD_TYPE.DECIMAL, FIELD_TYPE.NEWDECIMAL}
_UNSIGNED = 32  # the UNSIGNED_FLAG of a column's flags
_DATES = {FIELD_TYPE.DATE, FIELD_TYPE.NEWDATE}
_TIMESTAMPS = {FIELD_TYPE.DATETIME, FIELD_TYPE.TIMESTAMP}
_AS_TEXT = (FIELD_TYPE.DECIMAL, FIELD_TYPE.NEWDECIMAL, FIELD_TYPE.TIME, *_DATES, *_TIMESTAMPS)
# The server's text, untouched, for the types PyMySQL would turn into Python objects one by one.
_CONVERSIONS = {k: v for k, v in pymysql.converters.conversions.items() if k not in _AS_TEXT}
_CONVERSIONS[FIELD_TYPE.BIT] = lambda raw: int.from_bytes(raw, "big")
_INIT = "SET time_zone = '+00:00', net_write_timeout = 3600"
_AUTH_CODES = {1045, 1698, 1251, 2059}
_TRANSIENT_CODES = {1040, 1053, 1205, 1213, 1317, 1927, 1969, 3024}


class MysqlSession:
    def __init__(self, config: Mapping[str, Any], connect_timeout: float) -> None:
        self._user = str(config.get("username") or "root")
        self._database = str(config.get("database") or "")
        host = str(config.get("host") or "localhost")
        port = int(config.get("port") or 3306)
        try:
            self._connection = pymysql.connect(
                host=egress.resolve(host, port)[0],  # a checked address, not the name again
                port=port,
                user=self._user,
                password=str(config.get("password") or ""),
                database=self._database or None,
                charset="utf8mb4",
                connect_timeout=connect_timeout,
                conv=_CONVERSIONS,
                cursorclass=pymysql.cursors.SSCursor,
                init_command=_INIT,
            )
        except (pymysql.MySQLError, OSError) as exc:
            raise self._error(exc) from None

    def columns(self, relation: Relation) -> list[pa.Field]:
        sql = DIALECT.select(relation, f"{ALIAS}.*") + " LIMIT 0"
        with self._transaction(relation) as cursor:
            cursor.execute(sql)
            fields = _fields(cursor)
            cursor.fetchall()
        return fields

    def read(
        self, relation: Relation, cursor: str | None, after: Any, chunk_rows: int
    ) -> Iterator[Chunk]:
        sql = DIALECT.select(relation, f"{ALIAS}.*", cursor, after is not None, "\0")
        parameters = None
        if after is not None:  # PyMySQL formats with %: the query's own % must be doubled
            parameters = (_bind(after, self._cursor_type(relation, cursor)),)
            sql = sql.replace("%", "%%").replace("\0", "%s")
        with self._transaction(relation) as rows:
            rows.execute(sql, parameters)
            fields = _fields(rows)
            schema = pa.schema(fields)
            at = schema.get_field_index(cursor) if cursor is not None else -1
            chunk = rows.fetchmany(chunk_rows)
            if not chunk:
                yield Chunk(empty_batch(fields))
            while chunk:
                columns = list(zip(*chunk, strict=True))
                arrays = [
                    column_from_values(f.name, columns[i], f.type) for i, f in enumerate(fields)
                ]
                batch = pa.RecordBatch.from_arrays(arrays, schema=schema)
                yield _chunk(batch, chunk, at)
                chunk = rows.fetchmany(chunk_rows)

    def close(self) -> None:
        with contextlib.suppress(pymysql.MySQLError, OSError):  # closed already
            self._connection.close()

    def _cursor_type(self, relation: Relation, cursor: str | None) -> pa.DataType:
        for field in self.columns(relation):
            if field.name == cursor:
                return field.type
        raise TerminalError(f"cursor_column {cursor!r} is not a column of {relation.label}")

    def _transaction(self, relation: Relation) -> _Transaction:
        return _Transaction(self, relation)

    def _error(self, exc: BaseException, relation: Relation | None = None) -> ConnectorError:
        code, message = _code_and_message(exc)
        if code in _AUTH_CODES:
            return TerminalError(f"authentication failed for user {self._user!r}: {message}")
        if code == 1049:
            return TerminalError(f"database {self._database!r} does not exist on the server")
        if code == 1146 and relation is not None:
            return TerminalError(f"table {relation.label!r} does not exist: {message}")
        if code == 1792:
            return TerminalError(f"the query tried to write, and reads are read-only: {message}")
        if code == 2003 and "name or service not known" in message.lower():
            return TerminalError(f"MySQL: {message}")
        if code in _TRANSIENT_CODES or code >= 2000 or code == 0:  # 2xxx: client/network side
            return TransientError(f"MySQL: {message}")
        return TerminalError(f"MySQL: {message}")


class _Transaction:
    """A READ ONLY transaction and an unbuffered cursor in it; errors become connector errors.
    Left early (the reader stopped), the connection is closed rather than drained."""

    def __init__(self, session: MysqlSession, relation: Relation) -> None:
        self._session = session
        self._relation = relation
        self._cursor: pymysql.cursors.SSCursor | None = None

    def __enter__(self) -> pymysql.cursors.SSCursor:
        try:
            self._cursor = self._session._connection.cursor()
            self._cursor.execute("START TRANSACTION READ ONLY")
        except (pymysql.MySQLError, OSError) as exc:
            raise self._session._error(exc) from None
        return self._cursor

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _: Any) -> None:
        connection = self._session._connection
        if kind is None:
            try:
                if self._cursor is not None:
                    self._cursor.close()
                connection.rollback()
            except (pymysql.MySQLError, OSError) as error:
                raise self._session._error(error) from None
            return
        self._abandon()
        if isinstance(exc, (pymysql.MySQLError, OSError)):
            raise self._session._error(exc, self._relation) from None

    def _abandon(self) -> None:
        """Close the connection without reading the rest of the result: PyMySQL would read
        every remaining row first (the protocol cannot stop the server sending them)."""
        result = getattr(self._cursor, "_result", None)
        if result is not None:
            result.unbuffered_active = False
        self._session.close()
        if self._cursor is not None:
            with contextlib.suppress(pymysql.MySQLError, OSError):
                self._cursor.close()


def _chunk(batch: pa.RecordBatch, rows: Sequence[Sequence[Any]], at: int) -> Chunk:
    """The batch with its first and last cursor values (the cursor is column `at`)."""
    if at < 0:
        return Chunk(batch)
    if batch.schema.field(at).type in (DATE, TIMESTAMP):  # ISO text, from the parsed value
        first, last = batch.column(at)[0].as_py(), batch.column(at)[-1].as_py()
    else:  # the server's own value: exact for decimals
        first, last = rows[0][at], rows[-1][at]
    return Chunk(batch, json_value(first), json_value(last))


def _fields(cursor: pymysql.cursors.SSCursor) -> list[pa.Field]:
    description = cursor.description or ()
    # The description leaves out each column's flags, and a DECIMAL's display length counts
    # its sign only when it is signed: the flags say which.
    result = getattr(cursor, "_result", None)
    flags = [int(f.flags) for f in getattr(result, "fields", None) or ()]
    if len(flags) != len(description):
        flags = [0] * len(description)  # taken as signed: a digit narrower at worst
    return [
        pa.field(str(item[0]), _dataset_type(item, bool(flag & _UNSIGNED)))
        for item, flag in zip(description, flags, strict=True)
    ]


def _dataset_type(item: Sequence[Any], unsigned: bool = False) -> pa.DataType:
    type_code, length = item[1], item[3]
    if type_code in _DECIMALS:
        # display length = precision, + 1 for the point when there is a scale, + 1 for a sign
        scale = int(item[5] or 0)
        return decimal_type(int(length) - (1 if scale else 0) - (0 if unsigned else 1), scale)
    if type_code in (FIELD_TYPE.TINY, FIELD_TYPE.BIT):
        return BOOL if length == 1 else INT  # TINYINT(1) is MySQL's BOOLEAN
    if type_code in _INTEGERS:
        return INT
    if type_code in _FLOATS:
        return FLOAT
    if type_code in _DATES:
        return DATE
    if type_code in _TIMESTAMPS:
        return TIMESTAMP
    return STRING  # text, JSON, ENUM, SET, TIME, binary (as hex), NULL


def _bind(value: Any, kind: pa.DataType) -> Any:
    """A cursor state value as the parameter that compares like the column."""
    if pa.types.is_decimal(kind) and isinstance(value, str):
        return Decimal(value)  # a DECIMAL cursor: compared as a decimal, not a double
    if kind == TIMESTAMP and isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    if kind == DATE and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def _code_and_message(exc: BaseException) -> tuple[int, str]:
    if isinstance(exc, pymysql.MySQLError) and exc.args and isinstance(exc.args[0], int):
        message = str(exc.args[1]) if len(exc.args) > 1 else type(exc).__name__
        return exc.args[0], message or "the connection was lost"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return 2013, f"timed out: {exc}"
    if isinstance(exc, OSError):
        return 2006, f"connection lost: {exc}"
    return 0, str(exc) or type(exc).__name__
