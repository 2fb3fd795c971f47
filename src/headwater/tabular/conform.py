"""Make a record batch fit a dataset's columns: by name, in order, cast to the column types."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

import pyarrow as pa

from headwater.domain.columns import decimal_problem
from headwater.domain.datasets import Column
from headwater.domain.errors import BadData, InvalidInput
from headwater.domain.schema_policy import Incoming
from headwater.tabular.decimal_text import from_text
from headwater.tabular.types import arrow_schema, column_of

_CAST_ERRORS = (pa.ArrowInvalid, pa.ArrowNotImplementedError)


def conform(
    batch: pa.RecordBatch, columns: Sequence[Column], *, fill_missing: bool = False
) -> pa.RecordBatch:
    """Columns are matched by name, case-insensitively; a missing column is NULL if
    `fill_missing` (the schema policy decided so, and reports it), else a BadData naming it;
    extra columns are dropped (the policy reports those too), and a value that cannot be cast
    names its column."""
    target = arrow_schema(columns)
    by_name = {name.lower(): index for index, name in enumerate(batch.schema.names)}
    arrays = []
    for field in target:
        index = by_name.get(field.name.lower())
        if index is None:
            if fill_missing:
                arrays.append(pa.nulls(batch.num_rows, field.type))
                continue
            raise BadData(
                f"the source has no column {field.name!r} (it has {', '.join(batch.schema.names)})",
                column=field.name,
            )
        array = batch.column(index)
        if not array.type.equals(field.type):
            array = _cast(array, field)
        arrays.append(array)
    return pa.RecordBatch.from_arrays(arrays, schema=target)


def incoming_columns(schema: pa.Schema) -> list[Incoming]:
    """What a load brings, for the schema policy's `plan`: each column with the dataset type
    that holds it (None if none can), a column of nothing but NULLs marked as such."""
    found = []
    for field in schema:
        try:
            column: Column | None = column_of(field.name, field.type)
        except InvalidInput:
            column = None
        found.append(Incoming(field.name, column, all_null=pa.types.is_null(field.type)))
    return found


def _cast(array: pa.Array, field: pa.Field) -> pa.Array:
    if pa.types.is_decimal(field.type):
        return _to_decimal(array, field)
    try:
        return array.cast(field.type)
    except _CAST_ERRORS as exc:
        raise BadData(f"column {field.name!r}: {exc}", column=field.name) from None


def _to_decimal(array: pa.Array, field: pa.Field) -> pa.Array:
    """Exactly, or a BadData naming the column and the first value that does not fit. A
    double goes through its shortest text (1.1 is 1.1, not 1.100000000000000088817...), so
    it fits when the number it prints as does; Arrow's own cast would round it to the scale."""
    source = array.cast(pa.string()) if pa.types.is_floating(array.type) else array
    try:
        if pa.types.is_string(source.type) or pa.types.is_large_string(source.type):
            return from_text(source.cast(pa.string()), field.type)  # see `decimal_text`
        return source.cast(field.type)
    except _CAST_ERRORS as exc:
        raise _decimal_misfit(source, field, exc) from None


def _decimal_misfit(array: pa.Array, field: pa.Field, exc: Exception) -> BadData:
    precision, scale = field.type.precision, field.type.scale
    for value in array.to_pylist():
        if value is None:
            continue
        shown = str(value)[:100]
        try:
            number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            problem: str | None = "is not a decimal number"
        else:
            problem = decimal_problem(number, precision, scale)
        if problem is not None:
            return BadData(
                f"column {field.name!r}: {shown} {problem}", column=field.name, value=shown
            )
    return BadData(f"column {field.name!r}: {exc}", column=field.name)
