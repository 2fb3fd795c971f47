"""Incremental reads by a cursor field: keep the records above the last run's maximum.

The maximum is kept in the state as a JSON value (a number, or text such as an ISO
timestamp) and compared in the column's own type, so `9 < 10` and timestamps compare as
instants whatever their text. Records without a value cannot be placed: they are read while
there is no maximum yet (the first run) and skipped afterwards, so none is read twice.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from headwater.connectors.sdk import TerminalError


def newer(batch: pa.RecordBatch, field: str, since: Any) -> tuple[pa.RecordBatch, Any]:
    """The rows of `batch` whose `field` is above `since` (every row if `since` is None), and
    the largest `field` among them as a JSON value (None if there is none)."""
    if field not in batch.schema.names:
        raise TerminalError(
            f"the records have no field {field!r} (cursor_field); "
            f"they have: {', '.join(batch.schema.names)}"
        )
    if since is not None:
        batch = batch.filter(_above(batch.column(field), since))
    column = batch.column(field)
    if pa.types.is_null(column.type) or len(column) == 0:
        return batch, None
    return batch, _json_value(pc.max(column).as_py())


def later(a: Any, b: Any) -> Any:
    """The larger of two cursor values, either of which may be None."""
    if a is None or b is None:
        return b if a is None else a
    try:
        return b if b > a else a
    except TypeError:  # a field whose type changed between pages: compare the text
        return b if str(b) > str(a) else a


def _above(column: pa.Array, since: Any) -> pa.Array:
    if pa.types.is_null(column.type):
        return pa.nulls(len(column), pa.bool_())
    value: Any = since
    if isinstance(since, str) and pa.types.is_timestamp(column.type):
        value = _instant(since, column.type)
    elif isinstance(since, str) and pa.types.is_date(column.type):
        value = _date(since)
    try:
        return pc.greater(column, value)
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid, pa.ArrowTypeError):
        return pc.greater(pc.cast(column, pa.string()), str(since))


def _instant(text: str, type_: pa.TimestampType) -> Any:
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return text  # compared as text
    if when.tzinfo is not None and type_.tz is None:  # naive columns hold UTC
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return pa.scalar(when, pa.timestamp("us", tz=type_.tz))


def _date(text: str) -> Any:
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return text


def _json_value(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value
