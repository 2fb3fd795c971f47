"""Dataset column types as Arrow types, and back."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from headwater.domain.datasets import Column, ColumnType
from headwater.domain.errors import InvalidInput

DECIMAL_TYPE = pa.decimal128(38, 9)

_ARROW = {
    ColumnType.STRING: pa.string(),
    ColumnType.LONG: pa.int64(),
    ColumnType.DOUBLE: pa.float64(),
    ColumnType.DECIMAL: DECIMAL_TYPE,
    ColumnType.DATE: pa.date32(),
    # Domo datetimes carry no zone; they are stored as they come.
    ColumnType.DATETIME: pa.timestamp("us"),
    ColumnType.BOOLEAN: pa.bool_(),
}


def arrow_type(column_type: ColumnType) -> pa.DataType:
    return _ARROW[column_type]


def arrow_schema(columns: Sequence[Column]) -> pa.Schema:
    return pa.schema([pa.field(c.name, arrow_type(c.type), nullable=True) for c in columns])


def column_type_of(data_type: pa.DataType, name: str = "") -> ColumnType:
    if pa.types.is_integer(data_type):
        return ColumnType.LONG
    if pa.types.is_floating(data_type):
        return ColumnType.DOUBLE
    if pa.types.is_decimal(data_type):
        return ColumnType.DECIMAL
    if pa.types.is_date(data_type):
        return ColumnType.DATE
    if pa.types.is_timestamp(data_type):
        return ColumnType.DATETIME
    if pa.types.is_boolean(data_type):
        return ColumnType.BOOLEAN
    if (
        pa.types.is_string(data_type)
        or pa.types.is_large_string(data_type)
        or pa.types.is_null(data_type)
    ):
        return ColumnType.STRING
    raise InvalidInput(
        f"column {name!r} has type {data_type}, which no dataset column can hold", column=name
    )


def columns_from_arrow(schema: pa.Schema) -> list[Column]:
    return [Column(field.name, column_type_of(field.type, field.name)) for field in schema]
