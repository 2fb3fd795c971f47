"""The `sql` connector against the local PostgreSQL and MariaDB servers and SQLite files."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from headwater.connectors.builtin.sql import SqlConnector
from headwater.connectors.config import prepare_config
from headwater.connectors.sdk import Checkpoint, TerminalError, TransientError
from headwater.domain.errors import InvalidInput
from headwater.testing import check_connector, read_all
from tests.connectors.sql_support import DRIVERS, SERVER_CONFIG, Database

BASE = dt.datetime(2024, 1, 2, 3, 4, 5, 123456)
KINDS = {
    "id": "int",
    "name": "text",
    "score": "float",
    "active": "bool",
    "day": "date",
    "at": "timestamp",
    "amount": "decimal",
}
ROWS = [
    (1, "ann", 1.5, True, dt.date(2024, 1, 2), BASE, Decimal("12.50")),
    (
        2,
        "o'brien",
        -2.25,
        False,
        dt.date(1999, 12, 31),
        BASE + dt.timedelta(days=1),
        Decimal("-0.01"),
    ),
    (3, None, None, None, None, None, None),
]
DATASET_TYPES = {
    "id": pa.int64(),
    "name": pa.string(),
    "score": pa.float64(),
    "active": pa.bool_(),
    "day": pa.date32(),
    "at": pa.timestamp("us"),
    "amount": pa.decimal128(12, 2),  # NUMERIC(12,2) / DECIMAL(12,2), exactly
}


def dataset_types(driver: str) -> dict[str, pa.DataType]:
    """SQLite has no exact decimals (DECIMAL is a number affinity): its amounts are doubles."""
    if driver == "sqlite":
        return {**DATASET_TYPES, "amount": pa.float64()}
    return DATASET_TYPES


def expected_amount(driver: str, value: Decimal | None) -> Decimal | float | None:
    if value is None or driver != "sqlite":
        return value
    return float(value)


@pytest.fixture(params=DRIVERS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    database = Database(request.param, tmp_path)
    yield database
    database.drop()


@pytest.fixture
def connector(tmp_path: Path) -> SqlConnector:
    return SqlConnector(sqlite_dirs=[str(tmp_path)], connect_timeout=5)


def batches(connector: SqlConnector, config: dict[str, Any], state: dict[str, Any]) -> list[Any]:
    return list(connector.read(config, state))


@pytest.mark.parametrize("mode", ["table", "query"])
def test_reads_every_common_type_and_nulls(
    db: Database, connector: SqlConnector, mode: str
) -> None:
    db.create(KINDS)
    db.insert(ROWS)
    if mode == "table":
        config = {**db.config, "table": db.table}
    else:
        config = {**db.config, "query": f"SELECT *, id * 2 AS twice FROM {db.table};"}

    result = check_connector(connector, config)
    table, _ = read_all(connector, config)

    assert table is not None
    expected = dict(dataset_types(db.driver), **({"twice": pa.int64()} if mode == "query" else {}))
    assert dict(zip(table.column_names, table.schema.types, strict=True)) == expected
    rows = table.sort_by("id").to_pylist()
    assert [tuple(row[name] for name in KINDS) for row in rows] == [
        (*row[:6], expected_amount(db.driver, row[6])) for row in ROWS
    ]
    assert [c.name for c in result.columns] == list(expected)


def test_more_rows_than_chunk_rows_arrive_in_several_batches(
    db: Database, connector: SqlConnector
) -> None:
    db.create({"id": "int", "name": "text"})
    db.insert((i, f"row {i}") for i in range(2_500))
    items = batches(connector, {**db.config, "table": db.table, "chunk_rows": 1_000}, {})
    assert [b.num_rows for b in items if isinstance(b, pa.RecordBatch)] == [1_000, 1_000, 500]


def test_an_empty_table_still_reads_as_its_columns(db: Database, connector: SqlConnector) -> None:
    db.create(KINDS)
    items = batches(connector, {**db.config, "table": db.table}, {})
    assert [
        (b.num_rows, dict(zip(b.schema.names, b.schema.types, strict=True))) for b in items
    ] == [(0, dataset_types(db.driver))]


@pytest.mark.parametrize("cursor", ["id", "at", "amount"])
def test_incremental_reads_each_row_once(
    db: Database, connector: SqlConnector, cursor: str
) -> None:
    db.create({"id": "int", "at": "timestamp", "amount": "decimal", "name": "text"})
    row = lambda i: (i, BASE + dt.timedelta(seconds=i), Decimal(i) * Decimal("1.25"), f"n{i}")  # noqa: E731
    db.insert(row(i) for i in range(1, 6))
    config = {**db.config, "table": db.table, "cursor_column": cursor, "chunk_rows": 2}

    first = check_connector(connector, config, incremental=True)
    assert sorted(first.table.column("id").to_pylist()) == [1, 2, 3, 4, 5]
    last = first.final_state["cursor"]
    if cursor == "at":  # ISO text
        assert dt.datetime.fromisoformat(last) == BASE + dt.timedelta(seconds=5)
    elif cursor == "amount":  # exact, not a float's approximation
        assert Decimal(str(last)) == Decimal("6.25")
    else:
        assert last == 5

    db.insert([row(6), row(7)])
    table, states = read_all(connector, config, first.final_state)
    assert table is not None
    assert table.column("id").to_pylist() == [6, 7]
    again, _ = read_all(connector, config, states[-1])
    assert again is not None
    assert again.num_rows == 0


def test_rows_sharing_a_cursor_value_are_never_split_by_a_checkpoint(
    db: Database, connector: SqlConnector
) -> None:
    db.create({"id": "int", "version": "int"})
    db.insert([(1, 1), (2, 1), (3, 1), (4, 2), (5, 3)])
    config = {**db.config, "table": db.table, "cursor_column": "version", "chunk_rows": 2}

    items = batches(connector, config, {})

    # Batches end at versions 1, 2, 3; the first ends inside version 1, so no checkpoint there.
    states = [item.state for item in items if isinstance(item, Checkpoint)]
    assert states == [{"cursor": 2}, {"cursor": 3}]
    table, _ = read_all(connector, config, states[0])
    assert table is not None
    assert table.column("id").to_pylist() == [5]


def test_a_query_with_percent_signs_comments_and_a_semicolon_reads_incrementally(
    db: Database, connector: SqlConnector
) -> None:
    db.create({"id": "int", "name": "text"})
    db.insert([(1, "a1"), (2, "b2"), (3, "a3"), (4, "a%4")])
    query = f"SELECT id, name FROM {db.table} WHERE name LIKE 'a%' -- a-names only\n;"
    config = {**db.config, "query": query, "cursor_column": "ID"}
    table, states = read_all(connector, config, {"cursor": 1})
    assert table is not None
    assert table.column("id").to_pylist() == [3, 4]
    assert states[-1] == {"cursor": 4}


def test_a_missing_table_is_terminal_and_named(db: Database, connector: SqlConnector) -> None:
    config = {**db.config, "table": f"{db.table}_missing"}
    with pytest.raises(TerminalError, match=f"{db.table}_missing"):
        connector.check(config)
    with pytest.raises(TerminalError, match=f"{db.table}_missing"):
        batches(connector, config, {})


def test_a_missing_cursor_column_is_terminal_and_named(
    db: Database, connector: SqlConnector
) -> None:
    db.create({"id": "int"})
    config = {**db.config, "table": db.table, "cursor_column": "updated_at"}
    with pytest.raises(TerminalError, match=r"cursor_column 'updated_at' is not a column.*\bid\b"):
        connector.check(config)


def test_a_stopped_read_releases_its_connection(db: Database, connector: SqlConnector) -> None:
    db.create({"id": "int", "name": "text"})
    db.insert((i, f"row {i}") for i in range(20_000))
    config = {**db.config, "table": db.table, "chunk_rows": 1_000}
    for state, extra in [({}, {}), ({"cursor": 10}, {"cursor_column": "id"})]:
        items = connector.read({**config, **extra}, state)
        assert next(items).num_rows == 1_000
        items.close()  # an abort: the rest is never read
    table, _ = read_all(connector, config)
    assert table is not None
    assert table.num_rows == 20_000


def test_wrong_password_on_mariadb_is_an_authentication_failure(connector: SqlConnector) -> None:
    config = {**SERVER_CONFIG["mariadb"], "password": "not-the-password", "table": "t"}
    with pytest.raises(TerminalError, match="authentication failed for user 'root'"):
        connector.check(config)


def test_wrong_credentials_on_postgresql_are_an_authentication_failure(
    connector: SqlConnector,
) -> None:
    # The local server trusts every connection from 127.0.0.1 (pg_hba `trust`), so a wrong
    # password for a real role is accepted; an unknown role fails the same authentication step.
    config = {
        **SERVER_CONFIG["postgresql"],
        "username": "hw_nobody",
        "password": "wrong",
        "table": "t",
    }
    with pytest.raises(TerminalError, match="authentication failed for user 'hw_nobody'"):
        connector.check(config)


@pytest.mark.parametrize("driver", ["postgresql", "mariadb"])
def test_a_closed_port_is_transient(connector: SqlConnector, driver: str) -> None:
    config = {**SERVER_CONFIG[driver], "port": 1, "table": "t"}
    with pytest.raises(TransientError, match=r"(?i)refused"):
        connector.check(config)
    with pytest.raises(TransientError):
        batches(connector, config, {})


def test_an_unknown_database_is_terminal(connector: SqlConnector) -> None:
    for driver in ("postgresql", "mariadb"):
        config = {**SERVER_CONFIG[driver], "database": "hw_no_such_db", "table": "t"}
        with pytest.raises(TerminalError, match="database 'hw_no_such_db' does not exist"):
            connector.check(config)


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"driver": "postgresql", "table": "t"}, "host"),
        ({"driver": "sqlite", "table": "t"}, "database"),
        ({"driver": "oracle", "table": "t"}, "driver"),
    ],
)
def test_the_spec_asks_for_what_each_driver_needs(
    connector: SqlConnector, config: dict[str, str], field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        prepare_config(connector.spec(), config)
    assert raised.value.details["field"] == f"configuration.{field}"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"table": "t", "query": "SELECT 1"}, "either table or query, not both"),
        ({}, "set table"),
        ({"query": " ; "}, "the query is empty"),
    ],
)
def test_table_xor_query(connector: SqlConnector, extra: dict[str, str], message: str) -> None:
    with pytest.raises(TerminalError, match=message):
        connector.check({**SERVER_CONFIG["postgresql"], **extra})


def test_postgresql_types_without_a_dataset_twin_arrive_as_text(connector: SqlConnector) -> None:
    db = Database("postgresql", Path())
    try:
        db.create(
            {
                "id": "int",
                "u": "uuid",
                "doc": "jsonb",
                "span": "interval",
                "at_time": "time",
                "tags": "text[]",
                "raw": "bytea",
                "ip": "inet",
                "zoned": "timestamptz",
                "big": "numeric(40,10)",
            }
        )
        db.execute(
            f"INSERT INTO {db.table} VALUES (1, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',"
            " '{\"k\": [1, 2]}', '1 day 02:00:00', '13:14:15', ARRAY['x', 'y'], '\\x00ff',"
            " '10.0.0.1', '2024-01-02 03:04:05+02', 123456789012345678901234.5)"
        )
        table, _ = read_all(connector, {**db.config, "table": db.table})
    finally:
        db.drop()
    assert table is not None
    assert table.to_pylist() == [
        {
            "id": 1,
            "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "doc": '{"k": [1, 2]}',
            "span": "1 day 02:00:00",
            "at_time": "13:14:15",
            "tags": '["x","y"]',
            "raw": "\\x00ff",
            "ip": "10.0.0.1/32",
            "zoned": dt.datetime(2024, 1, 2, 1, 4, 5),  # naive UTC
            # wider than 38 digits: read as DECIMAL(38, 9), every digit of this value kept
            "big": Decimal("123456789012345678901234.500000000"),
        }
    ]


def test_postgresql_reads_are_read_only_and_discover_runs_nothing(
    connector: SqlConnector,
) -> None:
    config = {**SERVER_CONFIG["postgresql"], "query": "SELECT nextval('hw_sql_seq') AS n"}
    db = Database("postgresql", Path())
    try:
        db.execute("CREATE SEQUENCE IF NOT EXISTS hw_sql_seq")
        assert [c.name for c in connector.discover(config)] == ["n"]  # prepared, not run
        with pytest.raises(TerminalError, match="read-only"):
            batches(connector, config, {})
    finally:
        db.execute("DROP SEQUENCE IF EXISTS hw_sql_seq")
        db.drop()


def test_mariadb_types(connector: SqlConnector) -> None:
    db = Database("mariadb", Path())
    try:
        db.create(
            {
                "flag": "TINYINT(1)",
                "small": "TINYINT",
                "span": "TIME",
                "doc": "JSON",
                "kind": "ENUM('a','b')",
                "bits": "BIT(4)",
                "raw": "BLOB",
                "zoned": "TIMESTAMP(6) NULL",
            }
        )
        db.insert([(1, 7, "-01:02:03", '{"k": 1}', "b", 5, b"\x00\xff", BASE)])
        table, _ = read_all(connector, {**db.config, "table": db.table})
    finally:
        db.drop()
    assert table is not None
    assert table.to_pylist() == [
        {
            "flag": True,
            "small": 7,
            "span": "-01:02:03",
            "doc": '{"k": 1}',
            "kind": "b",
            "bits": 5,
            "raw": "00ff",
            "zoned": BASE,
        }
    ]


def test_a_value_no_dataset_column_holds_is_terminal_and_names_its_column(
    connector: SqlConnector,
) -> None:
    db = Database("mariadb", Path())
    try:
        db.create({"id": "int", "huge": "BIGINT UNSIGNED"})
        db.insert([(1, 2**64 - 1)])
        with pytest.raises(TerminalError, match="column 'huge' holds 18446744073709551615"):
            batches(connector, {**db.config, "table": db.table}, {})
    finally:
        db.drop()


def test_sqlite_columns_keep_their_declared_type_however_sparse(
    connector: SqlConnector, tmp_path: Path
) -> None:
    path = tmp_path / "sparse.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (id INTEGER, note TEXT, price NUMERIC, seen DATETIME)")
        db.executemany(
            "INSERT INTO t VALUES (?, ?, ?, ?)",
            [(i, None, 2, None) for i in range(2_000)]
            + [(2_000, "late", 2.5, "2024-01-02T03:04:05Z")],
        )
    db.close()
    table, _ = read_all(connector, {"driver": "sqlite", "database": "sparse.db", "table": "t"})
    assert table is not None
    assert table.schema.types == [pa.int64(), pa.string(), pa.float64(), pa.timestamp("us")]
    assert table.slice(2_000).to_pylist() == [
        {"id": 2_000, "note": "late", "price": 2.5, "seen": dt.datetime(2024, 1, 2, 3, 4, 5)}
    ]


def test_sqlite_files_are_read_only_inside_the_allowed_directories(tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside.db"
    sqlite3.connect(outside).close()
    try:
        config = {"driver": "sqlite", "database": str(outside), "table": "t"}
        with pytest.raises(TerminalError, match="outside the directories"):
            SqlConnector(sqlite_dirs=[str(tmp_path)]).check(config)
        with pytest.raises(TerminalError, match="reads no SQLite files"):
            SqlConnector().check(config)
    finally:
        outside.unlink()


def test_schema_qualified_and_quoted_table_names(connector: SqlConnector) -> None:
    db = Database("postgresql", Path())
    db.table = f'"{db.table} Odd.Name"'
    try:
        db.create({"id": "int"})
        db.insert([(1,)])
        name = db.table.strip('"')
        table, _ = read_all(connector, {**db.config, "table": f'public."{name}"'})
        assert table is not None
        assert table.column("id").to_pylist() == [1]
        with pytest.raises(TerminalError, match="names are exact"):
            connector.check({**db.config, "table": name.upper().replace(".", "_")})
    finally:
        db.drop()
