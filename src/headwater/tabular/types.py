"""Dataset column types as Arrow types, and back."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from headwater.domain.columns import Column, ColumnType, decimal_for_source
from headwater.domain.errors import InvalidInput

_ARROW = {
    ColumnType.STRING: pa.string(),
    ColumnType.LONG: pa.int64(),
    ColumnType.DOUBLE: pa.float64(),
    ColumnType.DATE: pa.date32(),
    # Domo datetimes carry no zone; they are stored as they come.
    ColumnType.DATETIME: pa.timestamp("us"),
    ColumnType.BOOLEAN: pa.bool_(),
}


def arrow_type(column: Column) -> pa.DataType:
    if column.type is ColumnType.DECIMAL:
        return pa.decimal128(*column.decimal_size)
    return _ARROW[column.type]


def arrow_schema(columns: Sequence[Column]) -> pa.Schema:
    return pa.schema([pa.field(c.name, arrow_type(c), nullable=True) for c in columns])


def column_of(name: str, data_type: pa.DataType) -> Column:
    """The column that holds an Arrow type: a decimal of any width keeps its size where a
    column can hold it (`decimal_for_source` otherwise)."""
    if pa.types.is_integer(data_type):
        return Column(name, ColumnType.LONG)
    if pa.types.is_floating(data_type):
        return Column(name, ColumnType.DOUBLE)
    if pa.types.is_decimal(data_type):
        return Column(name, ColumnType.DECIMAL, *decimal_for_source(*_size(data_type)))
    if pa.types.is_date(data_type):
        return Column(name, ColumnType.DATE)
    if pa.types.is_timestamp(data_type):
        return Column(name, ColumnType.DATETIME)
    if pa.types.is_boolean(data_type):
        return Column(name, ColumnType.BOOLEAN)
    if (
        pa.types.is_string(data_type)
        or pa.types.is_large_string(data_type)
        or pa.types.is_null(data_type)
    ):
        return Column(name, ColumnType.STRING)
    raise InvalidInput(
        f"column {name!r} has type {data_type}, which no dataset column can hold", column=name
    )


def columns_from_arrow(schema: pa.Schema) -> list[Column]:
    return [column_of(field.name, field.type) for field in schema]


def _size(data_type: pa.DataType) -> tuple[int, int]:
    return int(data_type.precision), int(data_type.scale)
