"""Decimals from the `sql` connector: each source size read as the DECIMAL(p, s) that holds it,
every value exact (from the server's text, never through a double)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from headwater.connectors.builtin.sql import SqlConnector
from headwater.connectors.sdk import TerminalError
from headwater.testing import read_all
from tests.connectors.sql_support import Database


@pytest.fixture
def connector() -> SqlConnector:
    return SqlConnector(connect_timeout=5)


def read(connector: SqlConnector, db: Database, **config: str) -> pa.Table:
    table, _ = read_all(connector, {**db.config, **(config or {"table": db.table})})
    assert table is not None
    return table


def sizes(connector: SqlConnector, db: Database, **config: str) -> dict[str, object]:
    columns = connector.discover({**db.config, **(config or {"table": db.table})})
    return {c.name: c.decimal_size if c.precision else c.type.value for c in columns}


def test_postgresql_numeric_sizes(connector: SqlConnector) -> None:
    db = Database("postgresql", Path())
    try:
        db.create(
            {
                "money": "numeric(12,2)",
                "wide": "numeric(38,9)",
                "hundreds": "numeric(5,-2)",  # PostgreSQL 15: multiples of 100
                "tiny": "numeric(2,5)",  # below 0.001
                "huge": "numeric(50,2)",
                "free": "numeric",
            }
        )
        db.execute(
            f"INSERT INTO {db.table} VALUES (-9999999999.99, 12345678901234567890.123456789, "
            "9999900, 0.00099, 123456789012345678901234567890.25, 0.1), "
            "(0, 0, 0, 0, 0, 0), (NULL, NULL, NULL, NULL, NULL, NULL)"
        )
        assert sizes(connector, db) == {
            "money": (12, 2),
            "wide": (38, 9),
            "hundreds": (7, 0),
            "tiny": (5, 5),
            "huge": (38, 2),
            "free": (38, 9),
        }
        table = read(connector, db)
        query = read(connector, db, query=f"SELECT SUM(money) AS s FROM {db.table}")
    finally:
        db.drop()
    assert table.schema.types == [
        pa.decimal128(12, 2),
        pa.decimal128(38, 9),
        pa.decimal128(7, 0),
        pa.decimal128(5, 5),
        pa.decimal128(38, 2),
        pa.decimal128(38, 9),
    ]
    assert table.to_pylist()[0] == {
        "money": Decimal("-9999999999.99"),
        "wide": Decimal("12345678901234567890.123456789"),
        "hundreds": Decimal("9999900"),
        "tiny": Decimal("0.00099"),
        "huge": Decimal("123456789012345678901234567890.25"),
        "free": Decimal("0.1"),
    }
    assert table.column("money").to_pylist()[1:] == [Decimal("0"), None]
    # an expression has no declared size: read as the default DECIMAL
    assert query.schema.types == [pa.decimal128(38, 9)]
    assert query.column(0).to_pylist() == [Decimal("-9999999999.99")]


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("'NaN'", "'free' holds nan, which is not a finite number"),
        ("1e30", "has 31 digits before the point"),
        ("0.0000000001", "has 10 digits after the point"),
    ],
)
def test_a_postgresql_value_that_does_not_fit_its_size_fails_the_read(
    connector: SqlConnector, value: str, words: str
) -> None:
    db = Database("postgresql", Path())
    try:
        db.create({"free": "numeric"})
        db.execute(f"INSERT INTO {db.table} VALUES (1), ({value})")
        with pytest.raises(TerminalError, match=words):
            read(connector, db)
    finally:
        db.drop()


def test_mariadb_decimal_sizes_signed_and_unsigned(connector: SqlConnector) -> None:
    db = Database("mariadb", Path())
    try:
        db.create(
            {
                "money": "DECIMAL(12,2)",
                "unsigned_money": "DECIMAL(4,2) UNSIGNED",
                "whole": "DECIMAL(10,0) UNSIGNED",
                "widest": "DECIMAL(65,30)",
            }
        )
        db.execute(
            f"INSERT INTO {db.table} VALUES (-9999999999.99, 99.99, 9999999999, 1.5), "
            "(0.01, 0, 0, -123456789.123456789)"
        )
        assert sizes(connector, db) == {
            "money": (12, 2),
            "unsigned_money": (4, 2),
            "whole": (10, 0),
            "widest": (38, 9),
        }
        table = read(connector, db)
        query = read(connector, db, query=f"SELECT SUM(money) AS s FROM {db.table}")
    finally:
        db.drop()
    assert table.to_pylist() == [
        {
            "money": Decimal("-9999999999.99"),
            "unsigned_money": Decimal("99.99"),
            "whole": Decimal("9999999999"),
            "widest": Decimal("1.5"),
        },
        {
            "money": Decimal("0.01"),
            "unsigned_money": Decimal("0"),
            "whole": Decimal("0"),
            "widest": Decimal("-123456789.123456789"),
        },
    ]
    assert query.column(0).to_pylist() == [Decimal("-9999999999.98")]


def test_a_mariadb_value_too_precise_for_the_read_size_fails_the_read(
    connector: SqlConnector,
) -> None:
    db = Database("mariadb", Path())
    try:
        db.create({"widest": "DECIMAL(65,30)"})
        db.execute(f"INSERT INTO {db.table} VALUES (0.1234567891)")
        with pytest.raises(TerminalError, match=r"'widest' holds 0\.1234567891000"):
            read(connector, db)
    finally:
        db.drop()
