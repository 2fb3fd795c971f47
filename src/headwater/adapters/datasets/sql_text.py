"""Names and values as DuckDB SQL text, for the SQL this package writes itself (views, row
filters), never for a user's query: identifiers double-quoted, strings single-quoted, each
with its quote doubled, and the DuckDB type of each column type."""

from __future__ import annotations

from headwater.domain.datasets import Column, ColumnType

SQL_TYPES = {
    ColumnType.STRING: "VARCHAR",
    ColumnType.LONG: "BIGINT",
    ColumnType.DOUBLE: "DOUBLE",
    ColumnType.DATE: "DATE",
    ColumnType.DATETIME: "TIMESTAMP",
    ColumnType.BOOLEAN: "BOOLEAN",
}


def sql_type(column: Column) -> str:
    if column.type is ColumnType.DECIMAL:
        precision, scale = column.decimal_size
        return f"DECIMAL({precision}, {scale})"
    return SQL_TYPES[column.type]


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def string_literal(text: str) -> str:
    """DuckDB gives backslashes no meaning in '...': doubling `'` is the whole escape."""
    if "\x00" in text:
        raise ValueError("a NUL character cannot enter a SQL literal")
    return "'" + text.replace("'", "''") + "'"
