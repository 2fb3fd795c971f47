"""SQL over one dataset's committed Parquet files in a locked-down DuckDB.

Each query runs on its own cursor of a database that may open exactly the files it needs
and nothing else (`query_databases`: kept per file set, locked before any query). On that
cursor, and visible to it alone, a TEMP view `__dataset` reads those files; the user's SQL,
checked and rewritten by `sql_sandbox`, can name nothing else.

The files are chosen so that every row in them is one the caller may see: the dataset's own
data files for a caller no row policy restricts, and for one it restricts, the policy's
slices of them (`policy_slices`), never the whole files. So even a statement that got past
the parser could read nothing outside the caller's rows. A timer interrupts a query (its
cursor, not the database) that runs past the time limit; more rows than the cap is an error
rather than a silent cut. Error messages name no server path.
"""

from __future__ import annotations

import csv
import io
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
import pyarrow.csv as pa_csv

from headwater.adapters.datasets.policy_slices import PolicySlices
from headwater.adapters.datasets.query_databases import DatabaseStats, QueryDatabases
from headwater.adapters.datasets.row_filter_sql import predicate
from headwater.adapters.datasets.sql_sandbox import ONE_DATASET, SqlSandbox
from headwater.adapters.datasets.sql_text import quote_identifier, sql_type, string_literal
from headwater.domain.datasets import Column, ColumnType
from headwater.domain.errors import DatasetChanged, InvalidQuery
from headwater.domain.policies import RowFilter
from headwater.domain.ports.engines import QueryResult, QueryTable, QueryView
from headwater.settings import QuerySettings

VIEW = "__dataset"
EXPORT_BATCH_ROWS = 65_536  # rows per CSV chunk of an export: bounds its memory
PIPELINE_RELATIONS = "the pipeline's tables and views"


class DuckDBQueryEngine:
    def __init__(
        self, settings: QuerySettings, cache_dir: Path, hidden_roots: Sequence[Path] = ()
    ) -> None:
        self._settings = settings
        self._databases = QueryDatabases(settings)
        self._sandbox = SqlSandbox()
        self._slices = PolicySlices(
            cache_dir / "policy-slices",
            settings.slice_cache_bytes,
            keep_seconds=max(600.0, 4 * settings.timeout_seconds),
        )
        # Folders whose paths an error message must not show (DuckDB names files it read).
        roots = {*hidden_roots, cache_dir}
        self._hidden = sorted(
            {str(r) for r in roots} | {str(r.resolve()) for r in roots}, key=len, reverse=True
        )

    def stats(self) -> DatabaseStats:
        return self._databases.stats()

    def close(self) -> None:
        self._databases.close()
        self._slices.close()
        self._sandbox.close()

    def query(
        self,
        sql: str,
        files: list[str] | None,
        columns: Sequence[Column],
        table_names: set[str],
        row_filter: RowFilter | None = None,
    ) -> QueryResult:
        prepared = self._sandbox.prepare(sql, dict.fromkeys(table_names, VIEW), ONE_DATASET)
        readable = self._readable(files, columns, row_filter)
        with self._databases.cursor(readable) as cursor:
            self._create_view(cursor, readable, columns)
            return self._run(cursor, prepared)

    def export_csv(
        self,
        files: list[str] | None,
        columns: Sequence[Column],
        include_header: bool,
        row_filter: RowFilter | None = None,
    ) -> Iterator[bytes]:
        """The dataset as CSV in chunks of `EXPORT_BATCH_ROWS` rows, header names exactly the
        schema's; DATETIME as `2024-01-02 03:04:05` (fractions only when present); DECIMAL
        as its exact digits at the column's scale (`1262525250.00`)."""
        readable = self._readable(files, columns, row_filter)
        with self._databases.cursor(readable) as cursor:
            self._create_view(cursor, readable, columns)
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
        read exactly the files of each table that the caller may see."""
        view_sql, relations = self._prepare_views([t.name for t in tables], views)
        prepared = self._sandbox.prepare(sql, relations, PIPELINE_RELATIONS)
        readable_files = [self._readable(t.files, t.columns, t.row_filter) for t in tables]
        all_files = [f for files in readable_files for f in files]
        try:
            with self._databases.cursor(all_files) as cursor:
                return self._run_relations(cursor, prepared, tables, readable_files, view_sql)
        except duckdb.Error as exc:  # a view that does not bind
            raise InvalidQuery(self._public(exc)) from None

    def check_views(self, tables: Sequence[str], views: Sequence[QueryView]) -> None:
        """Each view passes the sandbox over the tables and the views before it."""
        self._prepare_views(tables, views)

    def _prepare_views(
        self, tables: Sequence[str], views: Sequence[QueryView]
    ) -> tuple[list[str], dict[str, str]]:
        relations = {name.lower(): f"__table_{i}" for i, name in enumerate(tables)}
        view_sql = []
        for index, view in enumerate(views):
            try:
                view_sql.append(self._sandbox.prepare(view.sql, relations, PIPELINE_RELATIONS))
            except InvalidQuery as exc:
                raise InvalidQuery(f"view {view.name!r}: {exc}") from None
            relations[view.name.lower()] = f"__view_{index}"
        return view_sql, relations

    def _readable(
        self, files: list[str] | None, columns: Sequence[Column], row_filter: RowFilter | None
    ) -> list[str]:
        """The files a caller's database may open: every row in them is one it may see."""
        if not files or (row_filter is not None and row_filter.nothing):
            return []  # nothing to read: the database may then open no file at all
        if row_filter is None or row_filter.everything:
            return files
        return self._slices.slices(files, columns, predicate(row_filter, columns))

    def _run_relations(
        self,
        cursor: duckdb.DuckDBPyConnection,
        prepared: str,
        tables: Sequence[QueryTable],
        readable_files: list[list[str]],
        view_sql: list[str],
    ) -> QueryResult:
        for index, table in enumerate(tables):
            self._create_view(cursor, readable_files[index], table.columns, f"__table_{index}")
        for index, body in enumerate(view_sql):
            cursor.execute(f"CREATE TEMP VIEW {quote_identifier(f'__view_{index}')} AS {body}")
        return self._run(cursor, prepared)

    def _create_view(
        self,
        connection: duckdb.DuckDBPyConnection,
        files: list[str],
        columns: Sequence[Column],
        name: str = VIEW,
    ) -> None:
        if files:
            listed = ", ".join(string_literal(f) for f in files)
            select = ", ".join(quote_identifier(c.name) for c in columns) or "*"
            # Our own file paths and column names, quoted and escaped above: not user SQL.
            # The files hold only rows the caller may see (see `_readable`).
            source = f"SELECT {select} FROM read_parquet([{listed}])"  # noqa: S608
        else:
            typed = (
                ", ".join(
                    f"CAST(NULL AS {sql_type(c)}) AS {quote_identifier(c.name)}" for c in columns
                )
                or "NULL AS no_columns"
            )
            source = f"SELECT {typed} WHERE false"
        try:
            connection.execute(f"CREATE TEMP VIEW {quote_identifier(name)} AS {source}")
        except duckdb.Error as exc:
            if not all(os.path.exists(f) for f in files):
                raise DatasetChanged(
                    "the dataset changed as the query started (a file it listed is gone): "
                    "run the query again"
                ) from None
            raise InvalidQuery(self._public(exc)) from None

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
            raise InvalidQuery(self._public(exc)) from None
        finally:
            timer.cancel()
        if len(rows) > limit:
            raise InvalidQuery(f"the query returns more than {limit} rows; add a LIMIT")
        return QueryResult(
            columns=[d[0] for d in description],
            types=[str(d[1]) for d in description],
            rows=[tuple(row) for row in rows],
        )

    def _public(self, exc: duckdb.Error) -> str:
        """DuckDB's message, first line, without the server's folders in it."""
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        for root in self._hidden:
            message = message.replace(root, "<data>")
        return message


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
    if column.type is ColumnType.DECIMAL:
        # Every digit at the column's scale (0.000000000; Arrow's CSV writer says 0E-9).
        # DuckDB writes a DECIMAL with no digit before the point (DECIMAL(38,38)) as `.99`
        # and `-.01`: the 0 goes back in, as every other decimal is written.
        return f"regexp_replace(CAST({name} AS VARCHAR), '^(-?)\\.', '\\10.') AS {name}"
    return name
