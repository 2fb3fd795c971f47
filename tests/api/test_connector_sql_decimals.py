"""Exact decimals from real databases: a `sql` stream over PostgreSQL NUMERIC and MariaDB
DECIMAL lands DECIMAL(p, s) columns whose SUM is, digit for digit, the server's own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import psycopg
import pymysql
import pytest

from tests.api.conftest import Api
from tests.api.test_connector_sql_runs import run
from tests.connectors.sql_support import POSTGRES_URL, SERVER_CONFIG

ROWS = 2000
# cents: money; big: 26 digits; loose: a decimal declared without a usable size
DECLARED = {
    "postgresql": ("NUMERIC(12,2)", "NUMERIC(38,9)", "NUMERIC"),
    "mariadb": ("DECIMAL(12,2)", "DECIMAL(38,9)", "DECIMAL(65,30)"),
}
AS_TEXT = {"postgresql": "CAST({} AS text)", "mariadb": "CAST({} AS CHAR)"}


class Table:
    """A table in the real server, made and filled by the test."""

    def __init__(self, driver: str) -> None:
        self.driver = driver
        self.name = f"hw_dec_{uuid.uuid4().hex[:10]}"
        cents, big, loose = DECLARED[driver]
        self.execute(
            f"CREATE TABLE {self.name} (id BIGINT PRIMARY KEY, cents {cents}, big {big}, "
            f"loose {loose})"
        )

    def execute(self, sql: str) -> list[tuple[Any, ...]]:
        if self.driver == "postgresql":
            with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
                cursor = connection.execute(sql.encode())
                return cursor.fetchall() if cursor.description else []
        connection = pymysql.connect(host="127.0.0.1", user="root", database="test")
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                found = list(cursor.fetchall())
            connection.commit()
            return found
        finally:
            connection.close()

    def fill(self, count: int) -> None:
        values = []
        for i in range(1, count + 1):
            sign = "-" if i % 7 == 0 else ""
            cents = f"{sign}{(i * 7919) % 10**10}.{(i * 37) % 100:02d}"
            big = f"{sign}{(i * 104729) % 10**17}.{(i * 7_654_321) % 10**9:09d}"
            loose = f"{(i * 31) % 10**6}.{i % 1000:03d}"
            values.append(f"({i}, {cents}, {big}, {loose})")
        self.execute(f"INSERT INTO {self.name} VALUES {', '.join(values)}")

    def sum_text(self, column: str) -> str:
        expression = AS_TEXT[self.driver].format(f"SUM({column})")
        ((text,),) = self.execute(f"SELECT {expression} FROM {self.name}")
        return str(text)


@pytest.fixture(params=["postgresql", "mariadb"])
def table(request: pytest.FixtureRequest) -> Iterator[Table]:
    made = Table(request.param)
    yield made
    made.execute(f"DROP TABLE {made.name}")


def sql_stream(api: Api, driver: str, source: str) -> tuple[int, str]:
    config = {**SERVER_CONFIG[driver], "table": source}
    owned = {k: config.pop(k) for k in ("driver", "host", "port", "username", "database")}
    account = api.post(
        "/api/data/v1/accounts",
        json={
            "name": f"{driver} ledger",
            "dataProviderType": "sql",
            "configurations": [{"name": k, "value": str(v)} for k, v in owned.items()],
        },
    )
    assert account.status_code == 201, account.text
    created = api.post(
        "/api/data/v1/streams",
        json={
            "transport": {"type": "CONNECTOR"},
            "dataProvider": {"key": "sql"},
            "account": {"id": account.json()["id"]},
            "configuration": [{"name": k, "value": str(v)} for k, v in config.items()],
            "updateMethod": "REPLACE",
            "dataSource": {"name": "Ledger from SQL"},
        },
    )
    assert created.status_code == 201, created.text
    return created.json()["id"], created.json()["dataSource"]["id"]


def test_a_sql_stream_keeps_decimals_exact_and_sums_them_as_the_server_does(
    admin: Api, table: Table
) -> None:
    table.fill(ROWS)
    stream_id, dataset_id = sql_stream(admin, table.driver, table.name)
    done = run(admin, stream_id)
    assert (done["currentState"], done["rowsInserted"]) == ("SUCCESS", ROWS), done

    schema = admin.get(f"/api/data/v3/datasources/{dataset_id}").json()["schema"]["columns"]
    assert [(c["name"], c["type"], c.get("precision"), c.get("scale")) for c in schema] == [
        ("id", "LONG", None, None),
        ("cents", "DECIMAL", 12, 2),
        ("big", "DECIMAL", 38, 9),
        ("loose", "DECIMAL", 38, 9),  # no size (or wider than 38 digits): the default
    ]
    answer = admin.post(
        f"/api/query/v1/execute/{dataset_id}",
        json={
            "sql": "SELECT CAST(SUM(cents) AS VARCHAR) AS cents, CAST(SUM(big) AS VARCHAR) AS "
            "big, SUM(loose) AS loose, SUM(cents) AS cents_json, SUM(big) AS big_json FROM table"
        },
    )
    assert answer.status_code == 200, answer.text
    (sums,) = answer.json()
    cents, big = table.sum_text("cents"), table.sum_text("big")
    assert sums["cents"] == cents  # as text, every digit: the server's own SUM
    assert sums["big"] == big
    assert Decimal(str(sums["loose"])) == Decimal(table.sum_text("loose"))
    # the JSON values themselves lose nothing either: a number a double keeps, else text
    assert Decimal(str(sums["cents_json"])) == Decimal(cents)
    assert sums["big_json"] == big
    # what a double sum would have said: the reason for all of this
    values = table.execute(f"SELECT cents, big FROM {table.name}")
    assert Decimal(repr(sum(float(c) for c, _ in values))) != Decimal(cents)
    assert Decimal(repr(sum(float(b) for _, b in values))) != Decimal(big)


def test_a_value_too_precise_for_a_sizeless_decimal_fails_the_run_naming_it(
    admin: Api, table: Table
) -> None:
    table.execute(
        f"INSERT INTO {table.name} VALUES (1, 1.00, 2.5, 0.5), (2, 1.00, 2.5, 0.1234567891)"
    )
    stream_id, dataset_id = sql_stream(admin, table.driver, table.name)
    done = run(admin, stream_id)
    assert done["currentState"] == "ERROR", done
    message = " ".join(str(e) for e in done["errors"])
    assert "'loose'" in message, message
    assert "0.1234567891" in message, message
    assert "10 digits after the point" in message, message
    dataset = admin.get(f"/api/data/v3/datasources/{dataset_id}").json()
    assert dataset["rowCount"] == 0  # nothing committed
