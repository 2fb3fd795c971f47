"""A property of the SQL sandbox, tried on generated queries: a caller under a row policy gets
exactly what the same SQL gives over a database holding only their rows, or a refusal, and
never a row, a catalog entry or a server path beyond that.

The queries mix CTEs, subqueries, joins, set operations, quoted names and table functions,
over names that collide with DuckDB's catalog (`duckdb_views`, `pg_settings`, ...), with the
engine's own view (`__dataset`) and with the dataset's data files. The reference is a plain
DuckDB database whose tables, under the dataset's names, hold the caller's rows only, and in
which every catalog name that can be shadowed answers with a marker row: so a query that
reached the real catalog, or a whole data file, could not give the reference's answer.

Examples are derandomized (the same 250 in every run, so CI is repeatable);
`HEADWATER_SQL_EXAMPLES=5000` tries that many new random ones instead.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headwater.adapters.datasets.sql_sandbox import quote_table_keyword
from headwater.settings import Settings
from tests.api.conftest import Api

EXPLORE = os.environ.get("HEADWATER_SQL_EXAMPLES")  # set: that many new random examples
EXAMPLES = int(EXPLORE or "250")
COLUMNS = [
    {"type": "STRING", "name": "region"},
    {"type": "LONG", "name": "n"},
    {"type": "STRING", "name": "note"},
]
VISIBLE = [("north", 1, "open-a"), ("north", 2, "open-b"), ("north", 3, None)]
HIDDEN = [("south", 50, "hidden-7f3a"), ("east", 60, "hidden-9c1d")]
CATALOG_MARKER = "catalog-marker-5e2b"
# What only a leak could put into an answer: hidden rows, the engine's catalog, its settings.
LEAKS = ("hidden-", "__dataset", "read_parquet", "allowed_paths", "memory_limit", "policy-slices")
SHADOWED_CATALOG = (
    "duckdb_views", "duckdb_tables", "duckdb_settings", "duckdb_databases", "duckdb_functions",
    "pg_settings", "pg_tables", "sqlite_master", "information_schema",
)  # fmt: skip


@pytest.fixture
def database_url() -> None:
    """SQLite only: the property is about the query engine, not the metadata store."""
    return


@pytest.fixture
def scene(admin: Api, settings: Settings) -> dict[str, Any]:
    created = admin.post("/v1/datasets", json={"name": "Sales", "schema": {"columns": COLUMNS}})
    dataset_id = str(created.json()["id"])
    body = "".join(f"{r},{n},{note or ''}\n" for r, n, note in VISIBLE + HIDDEN).encode()
    assert admin.put(f"/v1/datasets/{dataset_id}/data", content=body).status_code == 204
    user_id, token = admin.new_user("North Nell", role=4)
    admin.post(
        f"/api/data/v3/datasources/{dataset_id}/share",
        json={"permissions": [{"type": "USER", "id": user_id, "accessLevel": "CAN_VIEW"}]},
    )
    policy = {
        "name": "north",
        "type": "user",
        "users": [user_id],
        "filters": [{"column": "region", "values": ["north"], "operator": "EQUALS"}],
    }
    assert admin.post(f"/v1/datasets/{dataset_id}/policies", json=policy).status_code == 201
    (data_file,) = sorted((settings.datasets_dir / dataset_id).glob("*.parquet"))
    return {
        "id": dataset_id,
        "nell": admin.as_(token),
        "file": str(data_file),
        "data_dir": str(settings.data_dir),
        "reference": reference_database(dataset_id),
    }


def reference_database(dataset_id: str) -> duckdb.DuckDBPyConnection:
    """Nell's rows under every name the dataset goes by; a marker behind catalog names."""
    reference = duckdb.connect()
    for name in ("table", "sales", dataset_id):
        reference.execute(f'CREATE TABLE "{name}" (region VARCHAR, n BIGINT, note VARCHAR)')
        reference.executemany(f'INSERT INTO "{name}" VALUES (?, ?, ?)', VISIBLE)
    for name in SHADOWED_CATALOG:
        reference.execute(f"CREATE VIEW main.{name} AS SELECT '{CATALOG_MARKER}' AS name")
        reference.execute(f"CREATE MACRO {name}() AS TABLE SELECT '{CATALOG_MARKER}' AS name")
    return reference


# -- queries -------------------------------------------------------------------------------
def readable_names(dataset_id: str) -> list[str]:
    return ["table", '"table"', "TABLE", "Sales", '"Sales"', "sales", f'"{dataset_id}"']


def colliding_names(data_file: str) -> list[str]:
    """Names and table functions a query must not reach (or only as its own CTEs)."""
    folder = Path(data_file).parent
    return [
        *SHADOWED_CATALOG, "__dataset", '"__dataset"', "main.table", "temp.main.__dataset",
        "memory.main.__dataset", "information_schema.tables", "pg_catalog.pg_settings",
        f'"{data_file}"', f"'{data_file}'", f"read_parquet('{data_file}')",
        f"read_parquet('{folder}/*.parquet')", "read_csv('/etc/hostname')", "duckdb_views()",
        "duckdb_settings()", "system.main.duckdb_views()", "query_table('duckdb_settings')",
        "glob('/*')", "range(3)", "unnest([1, 2])",
    ]  # fmt: skip


def cte_names(data_file: str) -> list[str]:
    return [*SHADOWED_CATALOG, "table", '"table"', "sales", "__dataset", "t", f'"{data_file}"']


SELECTS = st.sampled_from(
    ["*", "count(*) AS c", "sum(n) AS s", "region", "n", "note", "min(note) AS m", "1 AS one"]
)
CONDITIONS = st.sampled_from(["", " WHERE n > 1", " WHERE region <> 'north'", " WHERE true"])


@st.composite
def queries(
    draw: st.DrawFn,
    readable: list[str],
    colliding: list[str],
    ctes: list[str],
    visible: tuple[str, ...] = (),
    depth: int = 2,
) -> str:
    """A query over the readable names, colliding ones, and the CTEs visible where it is."""
    with_sql = ""
    if depth > 0 and draw(st.integers(0, 2)) == 0:
        name = draw(st.sampled_from(ctes))
        if draw(st.booleans()):
            body = draw(queries(readable, colliding, ctes, visible, depth - 1))
            with_sql = f"WITH {name} AS ({body}) "
        else:
            # The anchor may name the CTE itself (there the name is the catalog's, or nothing);
            # the step reads the CTE.
            anchor = draw(st.sampled_from([name, *readable, *colliding, *visible]))
            step = draw(
                st.sampled_from(
                    [f"SELECT x FROM {name} WHERE false", f"SELECT x + 1 FROM {name} WHERE x < 2"]
                )
            )
            with_sql = (
                f"WITH RECURSIVE {name}(x) AS (SELECT count(*) AS x FROM {anchor} "
                f"UNION ALL {step}) "
            )
        visible = (*visible, name)

    def source() -> str:
        if depth > 0 and draw(st.integers(0, 2)) == 0:
            inner = draw(queries(readable, colliding, ctes, visible, depth - 1))
            return f"({inner}) AS s{draw(st.integers(0, 9))}"
        pools = [readable, colliding, readable] + ([list(visible)] * 2 if visible else [])
        return draw(st.sampled_from(draw(st.sampled_from(pools))))

    sources = source()
    if draw(st.integers(0, 3)) == 0:
        joiner = draw(st.sampled_from([", ", " JOIN ", " CROSS JOIN "]))
        sources += joiner + source() + (" ON true" if joiner == " JOIN " else "")
    sql = f"{with_sql}SELECT {draw(SELECTS)} FROM {sources}{draw(CONDITIONS)}"
    if depth > 0 and draw(st.integers(0, 4)) == 0:
        sql += " UNION ALL " + draw(queries(readable, colliding, ctes, visible, depth - 1))
    return sql


# -- the property --------------------------------------------------------------------------
def reference_rows(
    reference: duckdb.DuckDBPyConnection, sql: str, as_objects: bool
) -> list[Any] | None:
    """The answer over Nell's rows alone; as the product API shapes it (objects, a repeated
    column name keeping its last value) or as the public API does (lists)."""
    cursor = reference.cursor()
    try:
        rows = cursor.execute(quote_table_keyword(sql)).fetchall()
        names = [d[0] for d in cursor.description or []]
    except duckdb.Error:
        return None
    finally:
        cursor.close()
    if as_objects:
        return [list(dict(zip(names, row, strict=True)).values()) for row in rows]
    return rows


def canonical(rows: list[Any]) -> list[str]:
    """Rows as JSON text, sorted: queries without ORDER BY return them in any order."""
    return sorted(json.dumps(list(row), default=str) for row in rows)


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_a_policy_bound_caller_gets_their_rows_or_a_refusal(scene: dict[str, Any]) -> None:
    generated = queries(
        readable_names(scene["id"]), colliding_names(scene["file"]), cte_names(scene["file"])
    )
    endpoints = st.sampled_from(["product", "public"])

    @settings(
        max_examples=EXAMPLES,
        derandomize=EXPLORE is None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(sql=generated, endpoint=endpoints)
    def check(sql: str, endpoint: str) -> None:
        nell: Api = scene["nell"]
        if endpoint == "product":
            response = nell.post(f"/api/query/v1/execute/{scene['id']}", json={"sql": sql})
        else:
            response = nell.post(f"/v1/datasets/query/execute/{scene['id']}", json={"sql": sql})
        assert response.status_code in (200, 400), (sql, response.status_code, response.text)
        for leak in LEAKS:
            assert leak not in response.text or leak in sql, (sql, leak, response.text)
        if scene["data_dir"] not in sql:
            assert scene["data_dir"] not in response.text, (sql, response.text)
        assert CATALOG_MARKER not in response.text
        if response.status_code == 400:
            return  # a refusal reveals nothing (checked above)
        expected = reference_rows(scene["reference"], sql, as_objects=endpoint == "product")
        assert expected is not None, (sql, "accepted here, but fails over Nell's rows alone")
        if endpoint == "product":
            got = [list(row.values()) for row in response.json()]
        else:
            got = response.json()["rows"]
        assert canonical(got) == canonical(expected), sql
        assert CATALOG_MARKER not in json.dumps(expected, default=str), sql

    check()
