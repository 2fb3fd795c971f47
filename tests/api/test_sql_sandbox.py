"""The SQL sandbox against the attacks that once got through (issue 15, items 1, 5 and 7), on
every query endpoint: the product API, the public API and the Feldera ad-hoc query."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from headwater.settings import Settings
from tests.api.conftest import Api
from tests.api.test_pipelines import Feldera
from tests.conftest import ADMIN_TOKEN

COLUMNS = [
    {"type": "STRING", "name": "region"},
    {"type": "LONG", "name": "n"},
    {"type": "STRING", "name": "note"},
]
ROWS = b"north,1,open\nnorth,2,open\nsouth,5,hidden-south-7f3a\nsouth,6,hidden-south-7f3a\n"


@pytest.fixture
def sales(admin: Api) -> str:
    created = admin.post("/v1/datasets", json={"name": "Sales", "schema": {"columns": COLUMNS}})
    dataset_id = str(created.json()["id"])
    assert admin.put(f"/v1/datasets/{dataset_id}/data", content=ROWS).status_code == 204
    return dataset_id


@pytest.fixture
def nell(admin: Api, sales: str) -> Api:
    """A Participant whose row policy shows only `region = north`."""
    user_id, token = admin.new_user("North Nell", role=4)
    shared = admin.post(
        f"/api/data/v3/datasources/{sales}/share",
        json={"permissions": [{"type": "USER", "id": user_id, "accessLevel": "CAN_VIEW"}]},
    )
    assert shared.status_code == 200, shared.text
    made = admin.post(
        f"/v1/datasets/{sales}/policies",
        json={
            "name": "north",
            "type": "user",
            "users": [user_id],
            "filters": [{"column": "region", "values": ["north"], "operator": "EQUALS"}],
        },
    )
    assert made.status_code == 201, made.text
    return admin.as_(token)


def both_apis(api: Api, dataset_id: str, sql: str) -> list[Any]:
    """The same SQL on the product and the public query API: their answers."""
    return [
        api.post(f"/api/query/v1/execute/{dataset_id}", json={"sql": sql}),
        api.post(f"/v1/datasets/query/execute/{dataset_id}", json={"sql": sql}),
    ]


def data_files(settings: Settings, dataset_id: str) -> list[Path]:
    return sorted((settings.datasets_dir / dataset_id).glob("*.parquet"))


def test_a_cte_in_one_subquery_does_not_make_its_name_readable_in_another(
    nell: Api, sales: str, settings: Settings
) -> None:
    """The attack: a CTE named like a catalog object or a data file, defined inside one
    subquery, used to be taken as allowed everywhere, so the real object was read beside it."""
    (path,) = data_files(settings, sales)
    attacks = [
        "SELECT v.sql FROM (WITH duckdb_views AS (SELECT 1 AS x) SELECT x FROM duckdb_views) s, "
        "duckdb_views v",
        f'SELECT p.* FROM (WITH "{path}" AS (SELECT 1 AS x) SELECT 1) s, "{path}" p',
        "SELECT * FROM (WITH pg_settings AS (SELECT 1) SELECT 1) s, pg_settings",
        "WITH a AS (WITH duckdb_settings AS (SELECT 1) SELECT 1) SELECT * FROM a, duckdb_settings",
        f'WITH x AS (SELECT * FROM "{path}") SELECT * FROM x',
        f"SELECT * FROM '{path}'",
        f"SELECT * FROM read_parquet('{path}')",
        # A recursive CTE's name is its own in the step only; in the anchor it is the catalog's.
        "WITH RECURSIVE duckdb_views AS (SELECT sql FROM duckdb_views UNION ALL "
        "SELECT sql FROM duckdb_views WHERE false) SELECT * FROM duckdb_views",
        "WITH RECURSIVE pg_settings AS ((SELECT name FROM table UNION ALL SELECT name "
        "FROM pg_settings) UNION ALL SELECT name FROM pg_settings WHERE false) "
        "SELECT * FROM pg_settings",
    ]
    for sql in attacks:
        for response in both_apis(nell, sales, sql):
            assert response.status_code == 400, (sql, response.text)
            assert response.json()["code"] == "INVALID_QUERY"
            assert "hidden-south" not in response.text
            if str(path) not in sql:  # a refusal may quote the name a query wrote, no other
                assert str(settings.data_dir) not in response.text
    # What the same names mean inside their own scope still works, over her rows only.
    [product, public] = both_apis(
        nell,
        sales,
        "SELECT count(*) AS c FROM (WITH duckdb_views AS (SELECT * FROM table) "
        "SELECT * FROM duckdb_views) s",
    )
    assert product.json() == [{"c": 2}]
    assert public.json()["rows"] == [[2]]


def test_the_pipeline_query_resolves_scopes_too(admin: Api, client: TestClient) -> None:
    v0 = Feldera(client, ADMIN_TOKEN)
    v0.create("cte", "CREATE TABLE sales (region VARCHAR, n BIGINT);")

    def ask(sql: str) -> Any:
        return v0("GET", "/pipelines/cte/query", params={"sql": sql, "format": "json"})

    for sql in (
        "SELECT * FROM (WITH pg_settings AS (SELECT 1) SELECT 1) s, pg_settings",
        "SELECT * FROM (WITH duckdb_databases AS (SELECT 1) SELECT 1) s, duckdb_databases",
        "SELECT * FROM sales, (WITH sales AS (SELECT 1) SELECT 1) s, duckdb_settings()",
        "WITH RECURSIVE pg_settings AS (SELECT name FROM pg_settings UNION ALL "
        "SELECT name FROM pg_settings WHERE false) SELECT * FROM pg_settings",
    ):
        answer = ask(sql)
        assert answer.status_code == 400, (sql, answer.text)
        assert "memory_limit" not in answer.text
        assert "memory" not in answer.json()["message"]
    ok = ask("WITH pg_settings AS (SELECT count(*) AS c FROM sales) SELECT c FROM pg_settings")
    assert ok.status_code == 200, ok.text
    assert json.loads(ok.text.splitlines()[0]) == {"c": 0}


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT current_setting('memory_limit')",
        "SELECT getvariable('x')",
        "SELECT * FROM query_table('duckdb_settings')",
        "SELECT query('SELECT 1')",
        "SELECT * FROM system.main.duckdb_views()",
        "SELECT * FROM information_schema.tables",
        "SELECT * FROM main.table",
        "SELECT error(region) FROM table",
        "SELECT * FROM table AT (VERSION => 1)",
        "SELECT $1",
        "DESCRIBE table",
    ],
)
def test_what_is_not_on_the_allow_list_is_refused(admin: Api, sales: str, sql: str) -> None:
    for response in both_apis(admin, sales, sql):
        assert response.status_code == 400, (sql, response.text)
        assert response.json()["code"] == "INVALID_QUERY"


def test_ordinary_sql_still_runs(admin: Api, sales: str) -> None:
    sql = (
        "WITH t AS (SELECT region, n, row_number() OVER (PARTITION BY region ORDER BY n DESC) AS r "
        "FROM table WHERE note LIKE '%' AND n BETWEEN 0 AND 10) "
        "SELECT upper(region) AS region, sum(n)::BIGINT AS total, max(r) AS k, "
        "lpad(CAST(count(*) AS VARCHAR), 3, '0') AS c, "
        "date_trunc('month', DATE '2024-03-05')::DATE AS m "
        "FROM t GROUP BY ALL ORDER BY 1"
    )
    [product, public] = both_apis(admin, sales, sql)
    assert product.status_code == 200, product.text
    assert product.json() == [
        {"region": "NORTH", "total": 3, "k": 2, "c": "002", "m": "2024-03-01"},
        {"region": "SOUTH", "total": 11, "k": 2, "c": "002", "m": "2024-03-01"},
    ]
    assert public.json()["rows"] == [
        ["NORTH", 3, 2, "002", "2024-03-01"],
        ["SOUTH", 11, 2, "002", "2024-03-01"],
    ]


def test_a_cte_named_as_the_engine_names_the_dataset_is_refused(nell: Api, sales: str) -> None:
    """The engine reads `table` through a view called `__dataset`: a CTE of that name around
    `table` would have silently answered with the CTE's rows (found by the property test)."""
    sql = (
        "WITH RECURSIVE __dataset(x) AS (SELECT count(*) AS x FROM table "
        "UNION ALL SELECT x FROM __dataset WHERE false) SELECT * FROM table"
    )
    for response in both_apis(nell, sales, sql):
        assert response.status_code == 400, response.text
        assert "'__dataset' is reserved" in response.json()["message"]
    # Where the CTE does not surround a read of the dataset, it is an ordinary name.
    fine = "SELECT n FROM table, (WITH __dataset AS (SELECT 1 AS x) SELECT x FROM __dataset) s"
    for response in both_apis(nell, sales, fine):
        assert response.status_code == 200, response.text


def test_a_huge_value_built_from_nothing_is_refused_at_once(admin: Api, sales: str) -> None:
    """DuckDB cannot be interrupted inside one value: `list_sort(range(300000000))` ran 63 s
    past a 30 s limit. The functions that build such a value from a small input are not on
    the allow-list, or take only a small constant length."""
    for sql in (
        "SELECT len(list_sort(range(300000000)))",
        "SELECT len(generate_series(1, 300000000))",
        "SELECT length(repeat('x', 2000000000))",
        "SELECT length(lpad('x', 2000000000, 'y'))",
        "SELECT length(printf('%0900000000d', 1))",
        "SELECT * FROM range(300000000)",
        # widths and replacements from arguments, and replacements nested (factors multiply)
        "SELECT len(printf('%*d', 1000000000, 1))",
        "SELECT len(format('{:>{}}', 'x', 300000000))",
        "SELECT len(replace(replace(lpad('', 1000, 'a'), 'a', lpad('', 1000, 'a')), 'a', 'b'))",
        "SELECT len(replace(replace(region, 'n', 'nn'), 'n', 'nn')) FROM table",
        "SELECT len(replace(region, 'n', note)) FROM table",
    ):
        started = time.monotonic()
        for response in both_apis(admin, sales, sql):
            assert response.status_code == 400, (sql, response.text)
        assert time.monotonic() - started < 5, sql


def test_deeply_nested_sql_is_a_clear_400(admin: Api, sales: str, client: TestClient) -> None:
    nested = "SELECT * FROM " + "(SELECT * FROM " * 100 + "table" + ") s" * 100
    parentheses = "SELECT " + "(" * 1000 + "1" + ")" * 1000
    long_sum = "SELECT " + " + ".join(["n"] * 5000) + " FROM table"
    for sql in (nested, parentheses, long_sum):
        for response in both_apis(admin, sales, sql):
            assert response.status_code == 400, response.text[:300]
            assert "nests too deeply" in response.json()["message"]
    v0 = Feldera(client, ADMIN_TOKEN)
    view = "CREATE TABLE t (n BIGINT); CREATE VIEW v AS SELECT " + "(" * 1000 + "1" + ")" * 1000
    created = v0("POST", "/pipelines", json={"name": "deep", "program_code": view})
    assert created.status_code == 400, created.text[:300]
    assert "nests too deeply" in created.json()["message"]
    assert admin.post(f"/api/query/v1/execute/{sales}", json={"sql": "SELECT 1 AS x"}).json() == [
        {"x": 1}
    ]


def test_a_pipeline_view_that_could_never_run_is_refused_when_sent(client: TestClient) -> None:
    v0 = Feldera(client, ADMIN_TOKEN)
    for view, why in (
        ("SELECT * FROM read_csv('/etc/passwd')", "read_csv"),
        (
            "WITH RECURSIVE pg_settings AS (SELECT name FROM pg_settings UNION ALL "
            "SELECT name FROM pg_settings WHERE false) SELECT * FROM pg_settings",
            "pg_settings",
        ),
        ("SELECT * FROM elsewhere", "elsewhere"),
        ("SELECT current_setting('threads')", "current_setting"),
    ):
        program = f"CREATE TABLE t (n BIGINT); CREATE VIEW v AS {view};"
        created = v0("POST", "/pipelines", json={"name": "views", "program_code": program})
        assert created.status_code == 400, created.text
        assert created.json()["error_code"] == "ProgramParseError"
        assert why in created.json()["message"]
        assert "'v'" in created.json()["message"]
    assert v0("GET", "/pipelines/views").status_code == 404  # nothing was created
    v0.create("views", "CREATE TABLE t (n BIGINT); CREATE VIEW v AS SELECT sum(n) AS s FROM t;")
    replaced = v0(
        "PATCH",
        "/pipelines/views",
        json={"program_code": "CREATE TABLE t (n BIGINT); CREATE VIEW v AS FROM glob('/*');"},
    )
    assert replaced.status_code == 400, replaced.text
