"""An incremental `sql` stream through the API, against the local PostgreSQL and MariaDB:
each run appends only the rows added since the last committed one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pymysql
import pytest

from tests.api.conftest import Api
from tests.api.test_connector_runs import wait_for
from tests.connectors.sql_support import POSTGRES_URL, SERVER_CONFIG


class Source:
    """A table in a real database, with rows inserted as the test goes."""

    def __init__(self, driver: str) -> None:
        self.driver = driver
        self.table = f"hw_api_{uuid.uuid4().hex[:10]}"
        self.execute(f"CREATE TABLE {self.table} (id BIGINT PRIMARY KEY, amount DOUBLE PRECISION)")

    def execute(self, sql: str) -> None:
        if self.driver == "postgresql":
            with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
                connection.execute(sql.encode())
        else:
            connection = pymysql.connect(host="127.0.0.1", user="root", database="test")
            try:
                with connection.cursor() as cursor:
                    cursor.execute(sql)
                connection.commit()
            finally:
                connection.close()

    def insert(self, ids: range) -> None:
        values = ", ".join(f"({i}, {i * 1.5})" for i in ids)
        self.execute(f"INSERT INTO {self.table} (id, amount) VALUES {values}")


@pytest.fixture(params=["postgresql", "mariadb"])
def source(request: pytest.FixtureRequest) -> Iterator[Source]:
    table = Source(request.param)
    yield table
    table.execute(f"DROP TABLE {table.table}")


def run(api: Api, stream_id: int) -> dict[str, Any]:
    started = api.post(f"/api/data/v1/streams/{stream_id}/executions", json={"runType": "MANUAL"})
    assert started.status_code == 201, started.text
    return wait_for(api, stream_id, started.json()["executionId"])


def test_incremental_sql_stream_appends_only_new_rows(admin: Api, source: Source) -> None:
    config = {**SERVER_CONFIG[source.driver], "table": source.table, "cursor_column": "id"}
    # where the password goes belongs to the account; the stream says what to read there
    account_values = {k: config.pop(k) for k in ("driver", "host", "port", "username", "database")}
    account = admin.post(
        "/api/data/v1/accounts",
        json={
            "name": f"{source.driver} source",
            "dataProviderType": "sql",
            "configurations": [{"name": k, "value": str(v)} for k, v in account_values.items()],
        },
    )
    assert account.status_code == 201, account.text
    created = admin.post(
        "/api/data/v1/streams",
        json={
            "transport": {"type": "CONNECTOR"},
            "dataProvider": {"key": "sql"},
            "account": {"id": account.json()["id"]},
            "configuration": [{"name": k, "value": str(v)} for k, v in config.items()],
            "updateMethod": "APPEND",
            "dataSource": {"name": "Orders from SQL"},
        },
    )
    assert created.status_code == 201, created.text
    stream_id, dataset_id = created.json()["id"], created.json()["dataSource"]["id"]

    source.insert(range(1, 1001))
    first = run(admin, stream_id)
    assert (first["currentState"], first["rowsInserted"]) == ("SUCCESS", 1000), first
    source.insert(range(1001, 1251))
    second = run(admin, stream_id)
    assert (second["currentState"], second["rowsInserted"]) == ("SUCCESS", 250), second
    third = run(admin, stream_id)
    assert (third["currentState"], third["rowsInserted"]) == ("SUCCESS", 0), third

    answer = admin.post(
        f"/api/query/v1/execute/{dataset_id}",
        json={"sql": "SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS d, SUM(amount) AS s FROM table"},
    ).json()
    assert answer == [{"n": 1250, "d": 1250, "s": sum(i * 1.5 for i in range(1, 1251))}]
