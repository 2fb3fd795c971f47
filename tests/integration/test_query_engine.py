"""The query engine's cached, locked-down DuckDB databases on real Parquet files: reuse per
file set, isolation between cursors, PDP filters per cursor, the time limit, LRU eviction."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from headwater.adapters.datasets.duckdb_engine import DuckDBQueryEngine
from headwater.adapters.datasets.policy_slices import PolicySlices
from headwater.adapters.datasets.query_databases import QueryDatabases
from headwater.domain.datasets import Column, ColumnType
from headwater.domain.errors import DatasetChanged, InvalidQuery
from headwater.domain.policies import Operator, PolicyFilter, RowFilter
from headwater.settings import QuerySettings

COLUMNS = [Column("region", ColumnType.STRING), Column("n", ColumnType.LONG)]
NAMES = {"table"}


def parquet(path: Path, *rows: tuple[str, int]) -> str:
    pq.write_table(
        pa.table(
            {
                "region": pa.array([r[0] for r in rows], pa.string()),
                "n": pa.array([r[1] for r in rows], pa.int64()),
            }
        ),
        path,
    )
    return str(path)


@pytest.fixture
def sales(tmp_path: Path) -> list[str]:
    return [parquet(tmp_path / "sales.parquet", ("north", 10), ("south", 5), ("north", 7))]


@pytest.fixture
def secret(tmp_path: Path) -> list[str]:
    return [parquet(tmp_path / "secret.parquet", ("hidden", 99))]


@pytest.fixture
def engine(tmp_path: Path) -> DuckDBQueryEngine:
    engine = DuckDBQueryEngine(QuerySettings(), tmp_path / "cache", hidden_roots=[tmp_path])
    yield engine  # type: ignore[misc]
    engine.close()


def region_is(value: str) -> RowFilter:
    return RowFilter(((PolicyFilter("region", Operator.EQUALS, (value,)),),))


def total(engine: DuckDBQueryEngine, files: list[str], row_filter: RowFilter | None = None) -> int:
    result = engine.query("SELECT SUM(n) FROM table", files, COLUMNS, NAMES, row_filter)
    return int(result.rows[0][0] or 0)


def test_queries_of_one_file_set_share_a_database_and_a_new_set_gets_its_own(
    engine: DuckDBQueryEngine, sales: list[str], tmp_path: Path
) -> None:
    assert total(engine, sales) == 22
    assert total(engine, sales) == 22
    assert (engine.stats().opened, engine.stats().cursors) == (1, 2)
    appended = [*sales, parquet(tmp_path / "more.parquet", ("east", 1))]  # the next version
    assert total(engine, appended) == 23
    assert (engine.stats().opened, engine.stats().cursors) == (2, 3)


def test_a_cursor_reads_no_other_file_even_when_that_files_database_is_cached(
    sales: list[str], secret: list[str]
) -> None:
    databases = QueryDatabases(QuerySettings())
    try:
        with databases.cursor(secret) as cursor:  # the secret's database is now cached
            assert cursor.execute(f"SELECT * FROM read_parquet('{secret[0]}')").fetchall()
        with databases.cursor(sales) as cursor, pytest.raises(duckdb.PermissionException):
            cursor.execute(f"SELECT * FROM read_parquet('{secret[0]}')").fetchall()
        assert databases.stats().cached == 2
    finally:
        databases.close()


def test_the_engine_refuses_another_datasets_file(
    engine: DuckDBQueryEngine, sales: list[str], secret: list[str]
) -> None:
    assert total(engine, secret) == 99
    with pytest.raises(InvalidQuery):
        engine.query(f"SELECT * FROM read_parquet('{secret[0]}')", sales, COLUMNS, NAMES)


@pytest.mark.parametrize(
    "sql",
    [
        "SET enable_external_access = true",
        "SET allowed_paths = ['/etc/passwd']",
        "ATTACH '/tmp/headwater-other.db' AS other",
        "LOAD httpfs",
        "SELECT * FROM read_csv('/etc/passwd')",
    ],
)
def test_a_cached_database_stays_locked(sales: list[str], sql: str) -> None:
    databases = QueryDatabases(QuerySettings())
    try:
        for _ in range(2):  # the first cursor and one of a reused database alike
            with databases.cursor(sales) as cursor, pytest.raises(duckdb.Error):
                cursor.execute(sql)
    finally:
        databases.close()


def test_a_cursor_sees_neither_another_cursors_temp_view_nor_what_an_earlier_one_made(
    sales: list[str],
) -> None:
    databases = QueryDatabases(QuerySettings())
    try:
        with databases.cursor(sales) as first, databases.cursor(sales) as second:
            first.execute("CREATE TEMP VIEW mine AS SELECT 42 AS x")
            assert first.execute("SELECT x FROM mine").fetchall() == [(42,)]
            with pytest.raises(duckdb.CatalogException):
                second.execute("SELECT x FROM mine")
            first.execute("CREATE VIEW main.left_behind AS SELECT 1 AS x")
        with databases.cursor(sales) as later, pytest.raises(duckdb.CatalogException):
            later.execute("SELECT x FROM left_behind")  # rolled back with its cursor
        assert databases.stats().opened == 1
    finally:
        databases.close()


def test_interleaved_users_with_different_row_filters_see_only_their_rows(
    engine: DuckDBQueryEngine, sales: list[str]
) -> None:
    seen: dict[str, set[int]] = {"north": set(), "south": set()}
    errors: list[BaseException] = []

    def user(region: str) -> None:
        try:
            for _ in range(20):
                seen[region].add(total(engine, sales, region_is(region)))
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=user, args=(r,)) for r in ("north", "south") * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert seen == {"north": {17}, "south": {5}}
    assert total(engine, sales) == 22  # and the unfiltered view is still whole
    # One database per file set: each policy's slices, and the whole files. Concurrent
    # first queries of a set wait for its one database.
    assert engine.stats().opened == 3


def test_the_time_limit_stops_the_query_and_not_the_database(tmp_path: Path) -> None:
    files = [parquet(tmp_path / "wide.parquet", *[(str(i), i) for i in range(3000)])]
    engine = DuckDBQueryEngine(QuerySettings(timeout_seconds=0.2), tmp_path / "cache")
    try:
        slow = (
            "WITH RECURSIVE t(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM t "
            "WHERE i < 10000000000) SELECT SUM(i) FROM t"
        )
        with pytest.raises(InvalidQuery, match="time limit"):
            engine.query(slow, files, COLUMNS, NAMES)
        result = engine.query("SELECT COUNT(*) FROM table", files, COLUMNS, NAMES)
        assert result.rows == [(3000,)]
        assert engine.stats().opened == 1
    finally:
        engine.close()


def test_the_row_cap_still_applies(sales: list[str], tmp_path: Path) -> None:
    engine = DuckDBQueryEngine(QuerySettings(max_rows=2), tmp_path / "cache")
    try:
        with pytest.raises(InvalidQuery, match="more than 2 rows"):
            engine.query("SELECT * FROM table", sales, COLUMNS, NAMES)
    finally:
        engine.close()


def test_least_recently_used_databases_close_beyond_the_bound(tmp_path: Path) -> None:
    engine = DuckDBQueryEngine(QuerySettings(cached_databases=2), tmp_path / "cache")
    try:
        sets = [[parquet(tmp_path / f"v{i}.parquet", ("x", i))] for i in range(4)]
        for files in sets:
            total(engine, files)
        stats = engine.stats()
        assert (stats.opened, stats.cached, stats.closed) == (4, 2, 2)
        total(engine, sets[3])  # still cached
        assert engine.stats().opened == 4
        total(engine, sets[0])  # evicted earlier: made again
        assert engine.stats().opened == 5
    finally:
        engine.close()
    assert engine.stats().closed == 5  # closing the engine closes the rest


def test_an_evicted_database_in_use_closes_when_its_cursor_is_done(tmp_path: Path) -> None:
    databases = QueryDatabases(QuerySettings(cached_databases=1))
    a = [parquet(tmp_path / "a.parquet", ("a", 1))]
    b = [parquet(tmp_path / "b.parquet", ("b", 2))]
    try:
        with databases.cursor(a) as cursor:
            with databases.cursor(b):
                pass  # evicts a's database, which a query still uses
            assert databases.stats().closed == 0
            assert cursor.execute(f"SELECT n FROM read_parquet('{a[0]}')").fetchall() == [(1,)]
        assert databases.stats().closed == 1
    finally:
        databases.close()


# -- the engine's own wall: what a statement could reach had it got past the parser ---------
class PassEverything:
    """Stands in for a parser bug: hands any SQL to DuckDB unchanged."""

    def prepare(self, sql: str, relations: object, readable: str = "") -> str:
        return sql

    def close(self) -> None:
        pass


def test_a_policy_bound_caller_reaches_only_the_policys_rows_even_past_the_parser(
    engine: DuckDBQueryEngine, sales: list[str], tmp_path: Path
) -> None:
    engine._sandbox = PassEverything()  # type: ignore[assignment]
    north = region_is("north")
    # Through the dataset's relation: her rows.
    seen = engine.query("SELECT region, n FROM __dataset", sales, COLUMNS, NAMES, north)
    assert sorted(seen.rows) == [("north", 7), ("north", 10)]
    # The whole data file, named directly: her database may not open it.
    with pytest.raises(InvalidQuery) as refused:
        engine.query(f"SELECT * FROM read_parquet('{sales[0]}')", sales, COLUMNS, NAMES, north)
    assert str(tmp_path) not in str(refused.value)
    # What her database may open is the slice, and the slice holds her rows only.
    slices = sorted((tmp_path / "cache" / "policy-slices").glob("*.parquet"))
    assert len(slices) == 1
    raw = engine.query(f"SELECT * FROM read_parquet('{slices[0]}')", sales, COLUMNS, NAMES, north)
    assert sorted(raw.rows) == [("north", 7), ("north", 10)]
    # Nor does the view's definition give away the predicate: the files are already filtered.
    views = engine.query(
        "SELECT sql FROM duckdb_views() WHERE NOT internal", sales, COLUMNS, NAMES, north
    )
    assert all("north" not in sql for (sql,) in views.rows)


def test_no_python_variable_stands_in_for_a_table(sales: list[str]) -> None:
    leak = pa.table({"secret": ["from the server's memory"]})  # noqa: F841 - named below
    databases = QueryDatabases(QuerySettings())
    try:
        with databases.cursor(sales) as cursor, pytest.raises(duckdb.CatalogException):
            cursor.execute("SELECT * FROM leak").fetchall()
    finally:
        databases.close()


def test_errors_name_no_server_path(tmp_path: Path) -> None:
    files = [parquet(tmp_path / "gone.parquet", ("north", 1))]
    engine = DuckDBQueryEngine(QuerySettings(), tmp_path / "cache", hidden_roots=[tmp_path])
    try:
        assert total(engine, files) == 1
        Path(files[0]).unlink()  # the file went behind the engine's back
        with pytest.raises(DatasetChanged) as failed:
            engine.query("SELECT count(*) FROM table", files, COLUMNS, {"table"})
        assert str(tmp_path) not in str(failed.value)
        broken = tmp_path / "broken.parquet"
        broken.write_bytes(b"not parquet at all")
        with pytest.raises(InvalidQuery) as failed:  # DuckDB's own message, paths hidden
            engine.query("SELECT count(*) FROM table", [str(broken)], COLUMNS, {"table"})
        assert str(tmp_path) not in str(failed.value)
        assert "<data>/broken.parquet" in str(failed.value)
    finally:
        engine.close()


def test_slices_are_made_once_per_file_and_policy(
    engine: DuckDBQueryEngine, sales: list[str], tmp_path: Path
) -> None:
    folder = tmp_path / "cache" / "policy-slices"
    assert total(engine, sales, region_is("north")) == 17
    assert total(engine, sales, region_is("north")) == 17
    assert len(list(folder.glob("*.parquet"))) == 1
    appended = [*sales, parquet(tmp_path / "more.parquet", ("north", 1), ("south", 3))]
    assert total(engine, appended, region_is("north")) == 18  # only the new file is sliced
    assert len(list(folder.glob("*.parquet"))) == 2
    assert total(engine, appended, region_is("south")) == 8  # another policy, its own slices
    assert len(list(folder.glob("*.parquet"))) == 4


def test_old_slices_go_when_the_cache_is_full_and_recent_ones_stay(
    sales: list[str], tmp_path: Path
) -> None:
    slices = PolicySlices(tmp_path / "slices", max_bytes=0, keep_seconds=60)
    try:
        made = slices.slices(sales, COLUMNS, "region = 'north'")
        assert slices.trim() > 0  # used just now: kept, though over the bound
        old = time.time() - 3600
        os.utime(made[0], (old, old))
        assert slices.trim() == 0
        assert not Path(made[0]).exists()
        assert slices.slices(sales, COLUMNS, "region = 'north'") == made  # made again
        assert Path(made[0]).exists()
    finally:
        slices.close()
