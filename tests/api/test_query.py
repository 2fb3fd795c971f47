"""SQL over a dataset, and the sandbox around it, through the HTTP API."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api


@pytest.fixture
def sales(admin: Api) -> str:
    dataset_id = admin.new_dataset()
    for row in ("north,10", "south,5", "north,7"):
        admin.post(f"/api/data/v3/datasources/{dataset_id}/uploads", json={"values": row})
    return dataset_id


def query(api: Api, dataset_id: str, sql: object) -> object:
    return api.post(f"/api/query/v1/execute/{dataset_id}", json={"sql": sql})


def test_the_seed_query_returns_row_objects(admin: Api, sales: str) -> None:
    response = query(admin, sales, "SELECT * FROM table")
    assert response.status_code == 200
    assert sorted(response.json(), key=lambda r: (r["region"], r["n"])) == [
        {"region": "north", "n": 7},
        {"region": "north", "n": 10},
        {"region": "south", "n": 5},
    ]


def test_aggregates_and_the_dataset_id_as_table_name(admin: Api, sales: str) -> None:
    response = query(
        admin,
        sales,
        f'SELECT region, SUM(n) AS total FROM "{sales}" GROUP BY region ORDER BY region',
    )
    assert response.json() == [{"region": "north", "total": 17}, {"region": "south", "total": 5}]


def test_doubly_wrapped_sql_is_unwrapped(admin: Api, sales: str) -> None:
    response = query(admin, sales, {"sql": "SELECT COUNT(*) AS c FROM table"})
    assert response.json() == [{"c": 3}]


def test_an_empty_dataset_answers_no_rows(admin: Api) -> None:
    dataset_id = admin.new_dataset()
    assert query(admin, dataset_id, "SELECT * FROM table").json() == []


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM glob('/etc/*')",
        "ATTACH '/tmp/other.db' AS other",
        "INSTALL httpfs",
        "LOAD httpfs",
        "COPY (SELECT * FROM table) TO '/tmp/leak.csv'",
        "SET enable_external_access = true",
        "PRAGMA database_list",
        "SELECT 1; SELECT 2",
        "DROP TABLE table",
        "SELECT * FROM nonsense_table",
        "SELEC broken",
    ],
)
def test_the_sandbox_refuses_with_400(admin: Api, sales: str, sql: str) -> None:
    response = query(admin, sales, sql)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "INVALID_QUERY"
    assert response.json()["message"]


def test_another_datasets_files_cannot_be_read(admin: Api, sales: str, settings) -> None:  # type: ignore[no-untyped-def]
    other = admin.new_dataset("Secret")
    admin.post(f"/api/data/v3/datasources/{other}/uploads", json={"values": "hidden,1"})
    path = settings.datasets_dir / other
    for sql in (
        f"SELECT * FROM read_parquet('{path}/*.parquet')",
        f'SELECT * FROM "{other}"',
        f"SELECT * FROM table UNION ALL SELECT * FROM read_parquet('{path}/*.parquet')",
    ):
        response = query(admin, sales, sql)
        assert response.status_code == 400, sql
        assert "hidden" not in response.text


def test_a_runaway_query_is_stopped(admin: Api, sales: str) -> None:
    response = query(
        admin,
        sales,
        "WITH RECURSIVE t(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM t WHERE i < 10000000000) "
        "SELECT SUM(i) AS s FROM t",
    )
    assert response.status_code == 400
    assert "time limit" in response.json()["message"]
    # The server is still answering afterwards.
    assert query(admin, sales, "SELECT COUNT(*) AS c FROM table").json() == [{"c": 3}]


def test_a_query_after_an_append_sees_the_new_rows(admin: Api, sales: str) -> None:
    # The first query caches the version's database; the append makes a new version.
    assert query(admin, sales, "SELECT COUNT(*) AS c FROM table").json() == [{"c": 3}]
    admin.post(f"/api/data/v3/datasources/{sales}/uploads", json={"values": "east,1"})
    assert query(admin, sales, "SELECT COUNT(*) AS c FROM table").json() == [{"c": 4}]
    assert query(admin, sales, "SELECT SUM(n) AS s FROM table").json() == [{"s": 23}]


def test_a_revoked_viewer_loses_the_query_at_once_though_its_database_is_cached(
    admin: Api, sales: str
) -> None:
    viewer_id, token = admin.new_user("Vic", role=4)
    viewer = admin.as_(token)
    admin.post(
        f"/api/data/v3/datasources/{sales}/share",
        json={"permissions": [{"type": "USER", "id": viewer_id, "accessLevel": "CAN_VIEW"}]},
    )
    assert query(viewer, sales, "SELECT COUNT(*) AS c FROM table").json() == [{"c": 3}]
    revoked = admin.delete(f"/api/data/v3/datasources/{sales}/permissions/USER/{viewer_id}")
    assert revoked.status_code == 200
    response = query(viewer, sales, "SELECT COUNT(*) AS c FROM table")
    assert response.status_code == 404
    assert "north" not in response.text
