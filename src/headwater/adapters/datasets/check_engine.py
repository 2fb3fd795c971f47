"""Quality checks in DuckDB, over a load's staged Parquet files and nothing else.

Each check becomes a SQL predicate written here from the validated check (identifiers
quoted, values as typed literals or typed tables; never text a user wrote as SQL, and a REGEX
pattern only ever as a quoted string). The database is locked down as the query engine's are
(`query_databases.open_locked`): it may read exactly the staged files and, when a UNIQUE
check compares against the rows already there (APPEND), the dataset's current data files.

One view flags every staged row with a boolean per row check. One aggregate pass counts
the failing rows of each check (and the newest value of each freshness column); one more
pass streams the failing rows until each failed check has its samples. Quarantining streams
the flagged rows once more and writes the passing and the failing ones to two Parquet files
(pyarrow writes them: the database itself may write nothing).

The cost stays linear in the size of the check set: an ACCEPTED_VALUES check's values go
into a temporary table of the column's type (passed as one parameter), not into the SQL, so
each statement is planned once whatever the checks hold; and the samples take one pass, not
one query per failed check (each of which planned the whole view again: 100 checks of 1,000
values took more than ten minutes). Each pass runs under a time limit
(`HEADWATER_CHECKS__TIME_LIMIT_SECONDS`): past it the database is interrupted and the load
fails saying so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from headwater.adapters.datasets.query_databases import open_locked
from headwater.adapters.datasets.sql_text import quote_identifier, sql_type, string_literal
from headwater.adapters.datasets.time_limit import TimeLimitPassed, time_limited
from headwater.domain.check_results import MAX_SAMPLES, Measures
from headwater.domain.check_values import Scalar
from headwater.domain.checks import (
    EXECUTION_COLUMN,
    REASON_COLUMN,
    REASON_SEPARATOR,
    Check,
    CheckKind,
    quarantine_columns,
)
from headwater.domain.datasets import Column, ColumnType
from headwater.domain.errors import TimeLimitExceeded
from headwater.domain.ports.engines import CheckJob, SplitLoad
from headwater.domain.ports.storage import StagedFile
from headwater.settings import QuerySettings
from headwater.tabular.types import arrow_schema

VIEW = "__headwater_flagged"
BATCH_ROWS = 65_536


def _flag_name(index: int) -> str:
    return f"__headwater_check_{index}"


def _flag(index: int) -> str:
    return quote_identifier(_flag_name(index))


def _accepted(index: int) -> str:
    """The temporary table holding an ACCEPTED_VALUES check's values."""
    return quote_identifier(f"__headwater_accepted_{index}")


def _text(value: Scalar) -> str:
    """A check's value as text DuckDB casts back to the column's type exactly."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def _files(paths: Sequence[str]) -> str:
    return "[" + ", ".join(string_literal(p) for p in paths) + "]"


def _literal(value: Scalar, column: Column) -> str:
    """The value as a literal of the column's type. A DECIMAL value is exact text, cast to the
    column's own DECIMAL(p, s), so it is compared digit for digit (never through a float)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float) and column.type is not ColumnType.DECIMAL:
        return repr(value)  # DuckDB reads 0.1 as an exact DECIMAL, 1e+20 as a DOUBLE
    return f"CAST({string_literal(str(value))} AS {sql_type(column)})"


class DuckDBCheckEngine:
    def __init__(self, settings: QuerySettings, time_limit_seconds: float = 300.0) -> None:
        self._settings = settings
        self._time_limit = time_limit_seconds

    def measure(self, job: CheckJob) -> Measures:
        if not job.files:  # an empty load: every row check passes, no column holds a value
            return Measures(rows=0)
        freshness = [(i, c) for i, c in enumerate(job.checks) if c.kind is CheckKind.FRESHNESS]
        row_checks = [i for i, c in enumerate(job.checks) if c.kind.per_row]
        with self._flagged(job) as (db, in_time):
            parts = ["count(*)"]
            parts += [f"count(*) FILTER (WHERE {_flag(i)})" for i in row_checks]
            parts += [f"max({quote_identifier(c.column)})" for _, c in freshness]
            found = db.execute(f"SELECT {', '.join(parts)} FROM {VIEW}").fetchall()[0]  # noqa: S608
            failing = {i: int(found[1 + n]) for n, i in enumerate(row_checks)}
            newest = {i: found[1 + len(row_checks) + n] for n, (i, _) in enumerate(freshness)}
            failed = [i for i, count in failing.items() if count]
            samples = _samples(db, job, failed, in_time) if failed else {}
        return Measures(rows=int(found[0]), failing=failing, samples=samples, newest=newest)

    def split(self, job: CheckJob, execution_id: int, into: str) -> SplitLoad:
        folder = Path(into)
        good_path = folder / f"checked-e{execution_id}-passed.parquet"
        bad_path = folder / f"checked-e{execution_id}-failed.parquet"
        good_schema = arrow_schema(job.columns)
        bad_schema = arrow_schema(quarantine_columns(job.columns))
        names = [c.name for c in job.columns]
        reasons = ", ".join(
            f"CASE WHEN {_flag(i)} THEN {string_literal(c.name)} END"
            for i, c in enumerate(job.checks)
            if c.kind.per_row
        )
        select = ", ".join(quote_identifier(n) for n in names)
        sql = (
            f"SELECT {select}, NULLIF(concat_ws({string_literal(REASON_SEPARATOR)}, {reasons}), "  # noqa: S608
            f"'') AS {quote_identifier(REASON_COLUMN)} FROM {VIEW}"
        )
        good_rows = bad_rows = 0
        with (
            self._flagged(job) as (db, in_time),
            closing(pq.ParquetWriter(good_path, good_schema, compression="snappy")) as good,
            closing(pq.ParquetWriter(bad_path, bad_schema, compression="snappy")) as bad,
        ):
            for batch in db.sql(sql).to_arrow_reader(BATCH_ROWS):
                in_time()
                reason = batch.column(REASON_COLUMN)
                passed = pc.is_null(reason)
                kept = batch.filter(passed).select(names)
                if kept.num_rows:
                    good.write_table(pa.Table.from_batches([kept]).cast(good_schema))
                    good_rows += kept.num_rows
                failed = batch.filter(pc.invert(passed))
                if failed.num_rows:
                    tagged = pa.Table.from_batches([failed]).append_column(
                        EXECUTION_COLUMN, pa.array([execution_id] * failed.num_rows, pa.int64())
                    )
                    bad.write_table(tagged.cast(bad_schema))
                    bad_rows += failed.num_rows
        return SplitLoad(
            good=StagedFile(str(good_path), good_rows, good_path.name),
            bad=StagedFile(str(bad_path), bad_rows, bad_path.name),
        )

    def pattern_error(self, pattern: str) -> str | None:
        with closing(open_locked([], self._settings)) as db:
            try:
                db.execute("SELECT regexp_full_match('', $1)", [pattern]).fetchall()
            except duckdb.Error as exc:
                return str(exc).splitlines()[0]
        return None

    @contextmanager
    def _flagged(
        self, job: CheckJob
    ) -> Iterator[tuple[duckdb.DuckDBPyConnection, Callable[[], None]]]:
        """A locked-down database holding the view that flags each staged row, and the
        check to call between steps; all of it under the time limit."""
        with (
            closing(open_locked([*job.files, *job.existing_files], self._settings)) as db,
            self._limited(db) as in_time,
        ):
            by_name = {c.name: c for c in job.columns}
            for index, check in enumerate(job.checks):
                if check.kind is CheckKind.ACCEPTED_VALUES:
                    in_time()
                    type_ = sql_type(by_name[check.column])
                    db.execute(
                        f"CREATE TEMP TABLE {_accepted(index)} AS SELECT DISTINCT "  # noqa: S608
                        f"CAST(v AS {type_}) AS v FROM (SELECT unnest($1::VARCHAR[]) AS v)",
                        [[_text(v) for v in check.values]],
                    )
            in_time()
            db.execute(f"CREATE TEMP VIEW {VIEW} AS {_flagged_sql(job)}")
            yield db, in_time

    @contextmanager
    def _limited(self, db: duckdb.DuckDBPyConnection) -> Iterator[Callable[[], None]]:
        try:
            with time_limited(db, self._time_limit) as in_time:
                yield in_time
        except TimeLimitPassed:
            raise TimeLimitExceeded(
                f"the quality checks ran past their time limit of {self._time_limit:g} s "
                "(HEADWATER_CHECKS__TIME_LIMIT_SECONDS) and were stopped; nothing was committed"
            ) from None


def _samples(
    db: duckdb.DuckDBPyConnection, job: CheckJob, failed: list[int], in_time: Callable[[], None]
) -> dict[int, list[dict[str, Any]]]:
    """The first `MAX_SAMPLES` rows failing each failed check, in one pass over the rows that
    fail any of them, which stops once every check has its samples."""
    names = [c.name for c in job.columns]
    select = ", ".join(quote_identifier(n) for n in names)
    flags = [_flag(i) for i in failed]
    sql = (
        f"SELECT {select}, {', '.join(flags)} FROM {VIEW} "  # noqa: S608
        f"WHERE {' OR '.join(flags)}"
    )
    samples: dict[int, list[dict[str, Any]]] = {i: [] for i in failed}
    for batch in db.sql(sql).to_arrow_reader(BATCH_ROWS):
        in_time()
        for index in failed:
            room = MAX_SAMPLES - len(samples[index])
            if room > 0:
                rows = batch.filter(batch.column(_flag_name(index))).slice(0, room)
                samples[index].extend(rows.select(names).to_pylist())
        if all(len(found) >= MAX_SAMPLES for found in samples.values()):
            break
    return samples


def _flagged_sql(job: CheckJob) -> str:
    select = ", ".join(quote_identifier(c.name) for c in job.columns)
    by_name = {c.name: c for c in job.columns}
    ctes = [f"__staged AS (SELECT {select} FROM read_parquet({_files(job.files)}))"]  # noqa: S608
    flags = []
    for index, check in enumerate(job.checks):
        if not check.kind.per_row:
            continue
        if check.kind is CheckKind.UNIQUE:
            ctes.append(_duplicates(index, check, job.existing_files))
        predicate = _fails(index, check, by_name)
        flags.append(f"coalesce({predicate}, false) AS {_flag(index)}")
    columns = ", ".join([*(f"s.{quote_identifier(c.name)}" for c in job.columns), *flags])
    return f"WITH {', '.join(ctes)} SELECT {columns} FROM __staged AS s"  # noqa: S608


def _duplicates(index: int, check: Check, existing: Sequence[str]) -> str:
    """The keys held by more than one row: of the load, and of the dataset when given."""
    keys = ", ".join(quote_identifier(k) for k in check.columns)
    sources = [f"SELECT {keys} FROM __staged"]  # noqa: S608
    if existing:
        sources.append(
            f"SELECT {keys} FROM read_parquet({_files(existing)}, union_by_name = true)"  # noqa: S608
        )
    present = " AND ".join(f"{quote_identifier(k)} IS NOT NULL" for k in check.columns)
    return (
        f"__duplicates_{index} AS (SELECT {keys} FROM ({' UNION ALL '.join(sources)}) "  # noqa: S608
        f"WHERE {present} GROUP BY ALL HAVING count(*) > 1)"
    )


def _fails(index: int, check: Check, by_name: dict[str, Column]) -> str:
    """SQL true for a row that fails the check (NULL is read as passing)."""
    if check.kind is CheckKind.UNIQUE:
        same = " AND ".join(
            f"d.{quote_identifier(k)} = s.{quote_identifier(k)}" for k in check.columns
        )
        return f"EXISTS (SELECT 1 FROM __duplicates_{index} AS d WHERE {same})"  # noqa: S608
    column = f"s.{quote_identifier(check.column)}"
    typed = by_name[check.column]
    if check.kind is CheckKind.NOT_NULL:
        return f"{column} IS NULL"
    if check.kind is CheckKind.ACCEPTED_VALUES:
        return f"{column} NOT IN (SELECT v FROM {_accepted(index)})"  # noqa: S608
    if check.kind is CheckKind.RANGE:
        outside = []
        if check.min is not None:
            outside.append(f"{column} < {_literal(check.min, typed)}")
        if check.max is not None:
            outside.append(f"{column} > {_literal(check.max, typed)}")
        return "(" + " OR ".join(outside) + ")"
    assert check.kind is CheckKind.REGEX
    assert check.pattern is not None
    return f"NOT regexp_full_match({column}, {string_literal(check.pattern)})"
