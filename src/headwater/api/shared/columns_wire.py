"""A dataset schema's columns on the wire, as both Domo dialects send and show them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from headwater.domain.columns import parse_column
from headwater.domain.datasets import Column


class ColumnIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str
    type: str = Field(description="STRING, LONG, DOUBLE, DECIMAL, DATE, DATETIME or BOOLEAN")
    precision: StrictInt | None = Field(
        default=None, description="DECIMAL only: 1 to 38 digits in all (38 if left out)"
    )
    scale: StrictInt | None = Field(
        default=None,
        description="DECIMAL only: digits after the point, 0 to precision (a DECIMAL with "
        "neither is DECIMAL(38, 9))",
    )


class SchemaIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    columns: list[ColumnIn]


def columns_in(schema: SchemaIn | None) -> list[Column] | None:
    if schema is None:
        return None
    return [
        parse_column(c.name, c.type, c.precision, c.scale, field=f"schema.columns[{i}]")
        for i, c in enumerate(schema.columns)
    ]


def columns_json(columns: list[Column] | None) -> list[dict[str, Any]]:
    return [column_json(c) for c in columns or []]


def column_json(column: Column) -> dict[str, Any]:
    """`{"type", "name"}` in that order (pydomo compares schemas as JSON strings of them),
    then a DECIMAL's `precision` and `scale`."""
    shown: dict[str, Any] = {"type": column.type.value, "name": column.name}
    if column.precision is not None:
        shown["precision"], shown["scale"] = column.decimal_size
    return shown
