"""SQL over one dataset's committed Parquet files in a locked-down DuckDB.

Each query runs on its own cursor of the database that may read exactly the dataset's files
and nothing else (`query_databases`: kept per file set, locked before any query). On that
cursor, and visible to it alone, a TEMP view `__dataset` reads the files, already filtered
by the caller's PDP row filter; the user's SQL, checked and rewritten by `sql_sandbox`, can
name nothing else. A timer interrupts a query (its cursor, not the database) that runs past
the time limit; more rows than the cap is an error rather than a silent cut.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator, Sequence

import duckdb
import pyarrow.csv as pa_csv

from headwater.adapters.datasets.query_databases import DatabaseStats, QueryDatabases
from headwater.adapters.datasets.row_filter_sql import predicate
from headwater.adapters.datasets.sql_sandbox import prepare_query, prepare_query_over
from headwater.adapters.datasets.sql_text import SQL_TYPES, quote_identifier, string_literal
from headwater.domain.datasets import Column, ColumnType
from headwater.domain.errors import InvalidQuery
from headwater.domain.policies import RowFilter
from headwater.domain.ports import QueryResult, QueryTable, QueryView
from headwater.settings import QuerySettings

VIEW = "__dataset"
EXPORT_BATCH_ROWS = 65_536  # rows per CSV chunk of an export: bounds its memory


class DuckDBQueryEngine:
    def __init__(self, settings: QuerySettings) -> None:
        self._settings = settings
        self._databases = QueryDatabases(settings)

    def stats(self) -> DatabaseStats:
        return self._databases.stats()

    def close(self) -> None:
        self._databases.close()

    def query(
        self,
        sql: str,
        files: list[str] | None,
        columns: Sequence[Column],
        table_names: set[str],
        row_filter: RowFilter | None = None,
    ) -> QueryResult:
        prepared = prepare_query(sql, table_names, VIEW)
        if row_filter is not None and row_filter.nothing:
            files = None  # nothing to read: the connection may then open no file at all
        with self._databases.cursor(files or []) as cursor:
            self._create_view(cursor, files or [], columns, row_filter)
            return self._run(cursor, prepared)

    def export_csv(
        self,
        files: list[str] | None,
        columns: Sequence[Column],
        include_header: bool,
        row_filter: RowFilter | None = None,
    ) -> Iterator[bytes]:
        """The dataset as CSV in chunks of `EXPORT_BATCH_ROWS` rows, header names exactly the
        schema's; DATETIME as `2024-01-02 03:04:05` (fractions only when present)."""
        if row_filter is not None and row_filter.nothing:
            files = None
        with self._databases.cursor(files or []) as cursor:
            self._create_view(cursor, files or [], columns, row_filter)
            if include_header:
                yield _header(columns)
            select = ", ".join(_export_column(c) for c in columns) or "*"
            relation = cursor.sql(f"SELECT {select} FROM {quote_identifier(VIEW)}")  # noqa: S608
            options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
            for batch in relation.to_arrow_reader(EXPORT_BATCH_ROWS):
                if batch.num_rows:
                    sink = io.BytesIO()
                    pa_csv.write_csv(batch, sink, options)
                    yield sink.getvalue()

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
        # A table the caller may see no row of is read from no file at all.
        readable_files = [
            (t.files or []) if t.row_filter is None or not t.row_filter.nothing else []
            for t in tables
        ]
        all_files = [f for files in readable_files for f in files]
        try:
            with self._databases.cursor(all_files) as cursor:
                return self._run_relations(cursor, prepared, tables, readable_files, view_sql)
        except duckdb.Error as exc:  # a view that does not bind
            raise InvalidQuery(str(exc).splitlines()[0]) from None

    def _run_relations(
        self,
        cursor: duckdb.DuckDBPyConnection,
        prepared: str,
        tables: Sequence[QueryTable],
        readable_files: list[list[str]],
        view_sql: list[str],
    ) -> QueryResult:
        for index, table in enumerate(tables):
            self._create_view(
                cursor,
                readable_files[index],
                table.columns,
                table.row_filter,
                f"__table_{index}",
            )
        for index, body in enumerate(view_sql):
            cursor.execute(f"CREATE TEMP VIEW {quote_identifier(f'__view_{index}')} AS {body}")
        return self._run(cursor, prepared)

    @staticmethod
    def _create_view(
        connection: duckdb.DuckDBPyConnection,
        files: list[str],
        columns: Sequence[Column],
        row_filter: RowFilter | None = None,
        name: str = VIEW,
    ) -> None:
        if files:
            listed = ", ".join(string_literal(f) for f in files)
            select = ", ".join(quote_identifier(c.name) for c in columns) or "*"
            # Our own file paths and column names, quoted and escaped above: not user SQL.
            source = f"SELECT {select} FROM read_parquet([{listed}])"  # noqa: S608
            if row_filter is not None and not row_filter.everything:
                # PDP: the only relation the user's SQL can name is already filtered, so no
                # subquery, CTE, UNION or function in it can reach the rows left out here.
                source += f" WHERE {predicate(row_filter, columns)}"
        else:
            typed = (
                ", ".join(
                    f"CAST(NULL AS {SQL_TYPES[c.type]}) AS {quote_identifier(c.name)}"
                    for c in columns
                )
                or "NULL AS no_columns"
            )
            source = f"SELECT {typed} WHERE false"
        connection.execute(f"CREATE TEMP VIEW {quote_identifier(name)} AS {source}")

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


def _header(columns: Sequence[Column]) -> bytes:
    buffer = io.StringIO()
    # Quoted like the values Arrow writes below, so the header and the rows read alike.
    csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL).writerow(
        [c.name for c in columns]
    )
    return buffer.getvalue().encode()


def _export_column(column: Column) -> str:
    name = quote_identifier(column.name)
    if column.type is ColumnType.DATETIME:
        # DuckDB's text form drops a zero fraction: what Domo clients write and read back.
        return f"CAST({name} AS VARCHAR) AS {name}"
    return name
