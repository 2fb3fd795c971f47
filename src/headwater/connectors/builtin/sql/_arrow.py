"""Values as dataset columns: Python values or driver Arrow arrays in, the Arrow types a dataset
column can hold out (string, int64, float64, decimal128(p, s), bool, date32, timestamp[us]
naive UTC). Decimals arrive as the server's exact text and become decimal128 without a float
on the way; a value that does not fit its size exactly is refused, never rounded.

A value that cannot become its column's type is a TerminalError naming the column and the
value, so a user knows which column to CAST in a query.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from headwater.connectors.sdk import TerminalError
from headwater.domain.columns import decimal_for_source, decimal_problem
from headwater.tabular.decimal_text import from_text

STRING = pa.string()
INT = pa.int64()
FLOAT = pa.float64()
BOOL = pa.bool_()
DATE = pa.date32()
TIMESTAMP = pa.timestamp("us")

_BAD_VALUE = (
    pa.ArrowInvalid,
    pa.ArrowTypeError,
    pa.ArrowNotImplementedError,
    TypeError,
    ValueError,
    OverflowError,
)
_TRUE = {"1", "t", "true", "y", "yes", "on"}
_FALSE = {"0", "f", "false", "n", "no", "off"}


def column_from_values(name: str, values: Sequence[Any], target: pa.DataType) -> pa.Array:
    """Python values (a driver's row values of one column) as an array of `target`."""
    try:
        return _from_values(values, target)
    except _BAD_VALUE:
        raise TerminalError(_bad_value(name, values, target)) from None


def decimal_type(precision: int | None, scale: int | None) -> pa.DataType:
    """The dataset type for a source's DECIMAL(precision, scale) (None: not declared)."""
    return pa.decimal128(*decimal_for_source(precision, scale))


def _from_values(values: Sequence[Any], target: pa.DataType) -> pa.Array:
    if target == STRING:
        return _strings(values)
    if pa.types.is_decimal(target):  # from the server's text (or Decimal): exact
        return from_text(pa.array([_decimal_text(v) for v in values], STRING), target)
    if target == BOOL:
        return pa.array([_bool(v) for v in values], BOOL)
    if target in (DATE, TIMESTAMP) and any(isinstance(v, str) for v in values):
        return _parse_times(pa.array(values, STRING), target)
    if target == FLOAT and any(isinstance(v, (str, Decimal)) for v in values):
        return pa.array([None if v is None else str(v) for v in values], STRING).cast(FLOAT)
    return pa.array(values, target)


def _decimal_text(value: Any) -> str | None:
    """A driver's decimal as plain digits (`str(Decimal)` may write `1E-7`)."""
    if value is None:
        return None
    return format(value, "f") if isinstance(value, Decimal) and value.is_finite() else str(value)


def column_from_arrow(name: str, array: pa.Array, target: pa.DataType) -> pa.Array:
    """A driver's Arrow array as an array of `target`."""
    if isinstance(array.type, pa.BaseExtensionType):  # PostgreSQL numeric, json, uuid
        if array.type.extension_name == "arrow.uuid":
            return pa.array([None if v is None else str(v) for v in array.to_pylist()], STRING)
        array = array.storage
    if array.type.equals(target):
        return array
    try:
        if pa.types.is_timestamp(array.type) and array.type.tz is not None:
            array = array.cast(pa.timestamp(array.type.unit))  # stored as UTC already
        if target == STRING and not _castable_to_string(array.type):
            return _strings(array.to_pylist())
        if (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)) and target in (
            DATE,
            TIMESTAMP,
        ):
            return _parse_times(array, target)
        if pa.types.is_decimal(target) and (
            pa.types.is_string(array.type) or pa.types.is_large_string(array.type)
        ):
            return from_text(array.cast(STRING), target)  # never Arrow's own decimal parser
        return array.cast(target, safe=not pa.types.is_timestamp(target))
    except _BAD_VALUE:
        raise TerminalError(_bad_value(name, array.to_pylist(), target)) from None


def dataset_type_of(data_type: pa.DataType) -> pa.DataType:
    """The dataset type for a driver's Arrow type: a decimal keeps its size (as
    `decimal_type` fits it), time, binary, nested and other types without a dataset
    equivalent become string."""
    if isinstance(data_type, pa.BaseExtensionType):
        if data_type.extension_name == "arrow.opaque" and "numeric" in str(data_type):
            return decimal_type(None, None)  # no size known here: the default DECIMAL
        if data_type.extension_name == "arrow.opaque":
            return STRING
        return dataset_type_of(data_type.storage_type)
    if pa.types.is_integer(data_type):
        return INT
    if pa.types.is_floating(data_type):
        return FLOAT
    if pa.types.is_decimal(data_type):
        return decimal_type(data_type.precision, data_type.scale)
    if pa.types.is_boolean(data_type):
        return BOOL
    if pa.types.is_date(data_type):
        return DATE
    if pa.types.is_timestamp(data_type):
        return TIMESTAMP
    return STRING


def json_value(value: Any) -> Any:
    """A cursor value as JSON: numbers stay numbers, decimals become text, dates and
    timestamps ISO text (timestamps naive UTC)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)


def empty_batch(fields: Sequence[pa.Field]) -> pa.RecordBatch:
    """No rows, but the columns and their types: what an empty result reads as."""
    schema = pa.schema(fields)
    return pa.RecordBatch.from_arrays([pa.array([], f.type) for f in schema], schema=schema)


def rechunk(batches: Iterable[pa.RecordBatch], rows: int) -> Iterator[pa.RecordBatch]:
    """The same rows in batches of `rows` (the last may be smaller); holds at most one
    output batch plus one input batch."""
    pending: list[pa.RecordBatch] = []
    held = 0
    for batch in batches:
        if not batch.num_rows:
            continue
        pending.append(batch)
        held += batch.num_rows
        if held < rows:
            continue
        joined = _concat(pending)
        start = 0
        while held - start >= rows:
            yield joined.slice(start, rows)
            start += rows
        pending = [joined.slice(start)] if start < held else []
        held -= start
    if held:
        yield _concat(pending)


def _concat(batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    if len(batches) == 1:
        return batches[0]
    return pa.Table.from_batches(batches).combine_chunks().to_batches()[0]


def _strings(values: Sequence[Any]) -> pa.Array:
    if all(v is None or isinstance(v, str) for v in values):
        return pa.array(values, STRING)
    return pa.array([_text(v) for v in values], STRING)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, dt.timedelta):  # MySQL TIME
        return _duration(value)
    if isinstance(value, (list, dict, tuple)):
        return json.dumps(value, default=json_value)
    if isinstance(value, (dt.date, dt.time, dt.datetime, Decimal)):
        return str(json_value(value))
    return str(value)


def _duration(value: dt.timedelta) -> str:
    sign = "-" if value < dt.timedelta(0) else ""
    micros = abs(value) // dt.timedelta(microseconds=1)
    seconds, micros = divmod(micros, 1_000_000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    text = f"{sign}{hours:02d}:{minutes:02d}:{seconds:02d}"
    return f"{text}.{micros:06d}" if micros else text


def _bool(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(value)


def _parse_times(strings: pa.Array, target: pa.DataType) -> pa.Array:
    """ISO-like text as dates or naive UTC timestamps; MySQL's zero dates become null."""
    strings = pc.if_else(pc.starts_with(strings, "0000-00-00"), None, strings)
    if target == DATE:
        try:
            return strings.cast(DATE)
        except pa.ArrowInvalid:  # "2024-01-02 00:00:00" in a DATE column
            return _parse_times(strings, TIMESTAMP).cast(DATE)
    try:
        return strings.cast(TIMESTAMP)
    except pa.ArrowInvalid:  # with a zone offset: to UTC, then naive
        return strings.cast(pa.timestamp("us", "UTC")).cast(TIMESTAMP)


def _castable_to_string(data_type: pa.DataType) -> bool:
    return not (
        pa.types.is_binary(data_type)
        or pa.types.is_large_binary(data_type)
        or pa.types.is_fixed_size_binary(data_type)
        or pa.types.is_nested(data_type)
        or pa.types.is_interval(data_type)
    )


def _bad_value(name: str, values: Sequence[Any], target: pa.DataType) -> str:
    if pa.types.is_decimal(target):
        return _bad_decimal(name, values, target)
    kind = {
        STRING: "text",
        INT: "a 64-bit integer",
        FLOAT: "a number",
        BOOL: "a boolean",
        DATE: "a date",
        TIMESTAMP: "a timestamp",
    }.get(target, str(target))
    for value in values:
        if value is None:
            continue
        try:
            _from_values([value], target)
        except _BAD_VALUE:
            return (
                f"column {name!r} holds {value!r}, which is not {kind}; "
                "CAST it in a query to read it"
            )
    return f"column {name!r} holds values that are not {kind}"


def _bad_decimal(name: str, values: Sequence[Any], target: pa.DataType) -> str:
    size = f"DECIMAL({target.precision},{target.scale})"
    for value in values:
        if value is None:
            continue
        try:
            problem = decimal_problem(Decimal(str(value)), target.precision, target.scale)
        except ArithmeticError:  # decimal.InvalidOperation: not a number at all
            problem = "is not a decimal number"
        if problem is not None:
            return (
                f"column {name!r} holds {str(value)[:100]}, which {problem}: CAST or ROUND "
                "the column in the stream's query to read it at a size that holds it"
            )
    return f"column {name!r} holds values that do not fit {size}"
