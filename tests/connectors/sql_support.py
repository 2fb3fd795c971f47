"""Real databases for the `sql` connector's tests: the local PostgreSQL and MariaDB servers and
a SQLite file, each test with a table of its own, dropped afterwards."""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pymysql

DRIVERS = ("postgresql", "mariadb", "sqlite")
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
SERVER_CONFIG: dict[str, dict[str, Any]] = {
    "postgresql": {
        "driver": "postgresql",
        "host": "127.0.0.1",
        "port": 5432,
        "username": "postgres",
        "database": "test",
    },
    "mariadb": {
        "driver": "mariadb",
        "host": "127.0.0.1",
        "port": 3306,
        "username": "root",
        "database": "test",
    },
}
# A column kind as each database declares it.
TYPES: dict[str, dict[str, str]] = {
    "postgresql": {
        "int": "bigint",
        "text": "text",
        "float": "double precision",
        "bool": "boolean",
        "date": "date",
        "timestamp": "timestamp",
        "decimal": "numeric(12,2)",
    },
    "mariadb": {
        "int": "BIGINT",
        "text": "VARCHAR(100)",
        "float": "DOUBLE",
        "bool": "BOOLEAN",
        "date": "DATE",
        "timestamp": "DATETIME(6)",
        "decimal": "DECIMAL(12,2)",
    },
    "sqlite": {
        "int": "INTEGER",
        "text": "TEXT",
        "float": "REAL",
        "bool": "BOOLEAN",
        "date": "DATE",
        "timestamp": "TIMESTAMP",
        "decimal": "DECIMAL(12,2)",
    },
}


class Database:
    """One database and a uniquely named table in it."""

    def __init__(self, driver: str, folder: Path) -> None:
        self.driver = driver
        self.table = f"hw_sql_{uuid.uuid4().hex[:12]}"
        self._connection: Any
        if driver == "postgresql":
            self._connection = psycopg.connect(POSTGRES_URL, autocommit=True)
            self.config: dict[str, Any] = dict(SERVER_CONFIG[driver])
        elif driver == "mariadb":
            self._connection = pymysql.connect(
                host="127.0.0.1",
                port=3306,
                user="root",
                database="test",
                autocommit=True,
                init_command="SET time_zone = '+00:00'",  # TIMESTAMP values written as UTC
            )
            self.config = dict(SERVER_CONFIG[driver])
        else:
            path = folder / "test.db"
            self._connection = sqlite3.connect(path, isolation_level=None)
            self.config = {"driver": "sqlite", "database": str(path)}

    @property
    def placeholder(self) -> str:
        return "?" if self.driver == "sqlite" else "%s"

    def execute(self, sql: str, rows: Iterable[Sequence[Any]] = ()) -> None:
        rows = [tuple(self._value(v) for v in row) for row in rows]
        if self.driver in ("mariadb", "postgresql"):
            with self._connection.cursor() as cursor:
                if rows:
                    cursor.executemany(sql, rows)
                else:
                    cursor.execute(sql)
        elif rows:  # one transaction, not one per row
            self._connection.execute("BEGIN")
            self._connection.executemany(sql, rows)
            self._connection.execute("COMMIT")
        else:
            self._connection.execute(sql)

    def create(self, columns: dict[str, str], name: str | None = None) -> None:
        """The table, with columns as kinds ("int", "text", ...) or raw SQL types."""
        types = TYPES[self.driver]
        listed = ", ".join(f"{column} {types.get(kind, kind)}" for column, kind in columns.items())
        self.execute(f"CREATE TABLE {name or self.table} ({listed})")

    def insert(self, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        marks = ", ".join([self.placeholder] * len(rows[0]))
        self.execute(f"INSERT INTO {self.table} VALUES ({marks})", rows)

    def drop(self) -> None:
        try:
            self.execute(f"DROP TABLE IF EXISTS {self.table}")
        finally:
            self._connection.close()

    def _value(self, value: Any) -> Any:
        """Python values as SQLite stores them (text dates, numbers for decimals)."""
        if self.driver != "sqlite":
            return value
        if isinstance(value, dt.datetime):
            return value.isoformat(sep=" ")
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return float(value)
        return value
