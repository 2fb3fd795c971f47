"""SQL over one dataset's committed Parquet files in a locked-down, throwaway DuckDB.

Each query gets a fresh in-memory connection. Before the user's SQL runs, the connection may
read exactly the dataset's files (`allowed_paths`), nothing else on disk or the network
(`enable_external_access = false`), loads no extension, and its configuration is locked. A
timer interrupts a query that runs past the time limit; more rows than the cap is an error
rather than a silent cut.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import duckdb

from headwater.adapters.datasets.sql_sandbox import prepare_query, prepare_query_over
from headwater.domain.datasets import Column, ColumnType
from headwater.domain.errors import InvalidQuery
from headwater.domain.ports import QueryResult, QueryTable, QueryView
from headwater.settings import QuerySettings

VIEW = "__dataset"

SQL_TYPES = {
    ColumnType.STRING: "VARCHAR",
    ColumnType.LONG: "BIGINT",
    ColumnType.DOUBLE: "DOUBLE",
    ColumnType.DECIMAL: "DECIMAL(38, 9)",
    ColumnType.DATE: "DATE",
    ColumnType.DATETIME: "TIMESTAMP",
    ColumnType.BOOLEAN: "BOOLEAN",
}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class DuckDBQueryEngine:
    def __init__(self, settings: QuerySettings) -> None:
        self._settings = settings

    def query(
        self, sql: str, files: list[str] | None, columns: Sequence[Column], table_names: set[str]
    ) -> QueryResult:
        prepared = prepare_query(sql, table_names, VIEW)
        connection = duckdb.connect(
            ":memory:",
            config={
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
                "threads": self._settings.threads,
                "memory_limit": self._settings.memory_limit,
            },
        )
        try:
            self._lock_down(connection, files or [])
            self._create_view(connection, files or [], columns)
            return self._run(connection, prepared)
        finally:
            connection.close()

    def query_relations(
        self, sql: str, tables: Sequence[QueryTable], views: Sequence[QueryView] = ()
    ) -> QueryResult:
        """SQL over several tables (a pipeline's) and views defined on them, in the same
        sandbox: every view's SQL and the query pass the same checks, and the connection may
        read exactly the tables' files."""
        relations = {t.name.lower(): f"__table_{i}" for i, t in enumerate(tables)}
        readable = "the pipeline's tables and views"
        view_sql = []
        for index, view in enumerate(views):
            view_sql.append(prepare_query_over(view.sql, relations, readable))
            relations[view.name.lower()] = f"__view_{index}"
        prepared = prepare_query_over(sql, relations, readable)
        all_files = [f for t in tables for f in (t.files or [])]
        connection = duckdb.connect(
            ":memory:",
            config={
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
                "threads": self._settings.threads,
                "memory_limit": self._settings.memory_limit,
            },
        )
        try:
            self._lock_down(connection, all_files)
            for index, table in enumerate(tables):
                self._create_view(connection, table.files or [], table.columns, f"__table_{index}")
            for index, body in enumerate(view_sql):
                connection.execute(f"CREATE TEMP VIEW {_quote(f'__view_{index}')} AS {body}")
            return self._run(connection, prepared)
        except duckdb.Error as exc:  # a view that does not bind
            raise InvalidQuery(str(exc).splitlines()[0]) from None
        finally:
            connection.close()

    @staticmethod
    def _lock_down(connection: duckdb.DuckDBPyConnection, files: list[str]) -> None:
        connection.execute("SET allowed_paths = $1", [files])
        connection.execute("SET enable_external_access = false")
        connection.execute("SET lock_configuration = true")

    @staticmethod
    def _create_view(
        connection: duckdb.DuckDBPyConnection,
        files: list[str],
        columns: Sequence[Column],
        name: str = VIEW,
    ) -> None:
        if files:
            listed = ", ".join(_literal(f) for f in files)
            select = ", ".join(_quote(c.name) for c in columns) or "*"
            # Our own file paths and column names, quoted and escaped above: not user SQL.
            source = f"SELECT {select} FROM read_parquet([{listed}])"  # noqa: S608
        else:
            typed = (
                ", ".join(f"CAST(NULL AS {SQL_TYPES[c.type]}) AS {_quote(c.name)}" for c in columns)
                or "NULL AS no_columns"
            )
            source = f"SELECT {typed} WHERE false"
        connection.execute(f"CREATE TEMP VIEW {_quote(name)} AS {source}")

    def _run(self, connection: duckdb.DuckDBPyConnection, prepared: str) -> QueryResult:
        limit = self._settings.max_rows
        timed_out = threading.Event()

        def interrupt() -> None:
            timed_out.set()
            connection.interrupt()

        timer = threading.Timer(self._settings.timeout_seconds, interrupt)
        timer.start()
        try:
            cursor = connection.execute(prepared)
            rows = cursor.fetchmany(limit + 1)
            description = cursor.description or []
        except duckdb.Error as exc:
            if timed_out.is_set():
                raise InvalidQuery(
                    f"the query ran past the {self._settings.timeout_seconds:g} s time limit "
                    "and was stopped"
                ) from None
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InvalidQuery(message) from None
        finally:
            timer.cancel()
        if len(rows) > limit:
            raise InvalidQuery(f"the query returns more than {limit} rows; add a LIMIT")
        return QueryResult(
            columns=[d[0] for d in description],
            types=[str(d[1]) for d in description],
            rows=[tuple(row) for row in rows],
        )
