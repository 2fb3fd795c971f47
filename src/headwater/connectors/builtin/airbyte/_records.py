"""A stream's records as Arrow batches, typed by the JSON Schema its catalog declares.

The catalog's types decide the columns, so every batch of a run has the same schema, whatever
the records happen to hold: string, integer -> int64, number -> float64, boolean -> bool,
string with format date-time -> timestamp[us] (naive UTC), format date -> date32, objects,
arrays and mixed types -> JSON text. A value that does not fit its declared type is a
TerminalError naming the column. Fields the catalog does not declare are dropped; a stream
that declares no properties at all arrives as one `_airbyte_data` column of JSON text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa

from headwater.connectors.sdk import TerminalError
from headwater.domain.datasets import Column, ColumnType
from headwater.tabular.types import arrow_type

RAW_COLUMN = "_airbyte_data"
_INT64 = (-(2**63), 2**63 - 1)


@dataclass(frozen=True)
class Field:
    name: str
    type: ColumnType
    convert: Callable[[Any], Any]  # a JSON value -> what Arrow takes for `type`; raises on misfit


def fields_of(json_schema: Mapping[str, Any], stream: str) -> list[Field]:
    properties = json_schema.get("properties") if isinstance(json_schema, Mapping) else None
    if not properties:
        return [Field(RAW_COLUMN, ColumnType.STRING, _text)]
    fields = [_field(str(name), prop or {}) for name, prop in properties.items()]
    seen: dict[str, str] = {}
    for f in fields:
        other = seen.setdefault(f.name.lower(), f.name)
        if other != f.name:
            raise TerminalError(
                f"stream {stream!r} has columns {other!r} and {f.name!r}, which a dataset "
                "cannot tell apart (names are case-insensitive)"
            )
    return fields


def columns_of(fields: list[Field]) -> list[Column]:
    return [Column(f.name, f.type) for f in fields]


class BatchBuilder:
    """Records collected until `batch()` turns them into one RecordBatch."""

    def __init__(self, fields: list[Field], stream: str) -> None:
        self._fields = fields
        self._stream = stream
        self._schema = pa.schema([pa.field(c.name, arrow_type(c)) for c in columns_of(fields)])
        self._rows: list[Mapping[str, Any]] = []

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, data: Any) -> None:
        if not isinstance(data, Mapping):
            raise TerminalError(f"stream {self._stream!r} sent a record that is not an object")
        self._rows.append(data)

    def batch(self) -> pa.RecordBatch:
        rows, self._rows = self._rows, []
        if len(self._fields) == 1 and self._fields[0].name == RAW_COLUMN:
            raw = [json.dumps(r, default=str) for r in rows]
            return pa.RecordBatch.from_arrays([pa.array(raw, pa.string())], schema=self._schema)
        arrays = []
        for f, arrow in zip(self._fields, self._schema.types, strict=True):
            values: list[Any] = []
            for row in rows:
                value = row.get(f.name)
                try:
                    values.append(None if value is None else f.convert(value))
                except (TypeError, ValueError, OverflowError):
                    raise TerminalError(
                        f"stream {self._stream!r}: column {f.name!r} is declared "
                        f"{f.type.value} but a record has {value!r:.200}"
                    ) from None
            arrays.append(pa.array(values, arrow))
        return pa.RecordBatch.from_arrays(arrays, schema=self._schema)


def _field(name: str, prop: Mapping[str, Any]) -> Field:
    branches = prop.get("anyOf") or prop.get("oneOf")
    if prop.get("type") is None and isinstance(branches, list):
        real = [b for b in branches if isinstance(b, Mapping) and _types(b)]
        return _field(name, real[0]) if len(real) == 1 else Field(name, ColumnType.STRING, _text)
    kinds = _types(prop)
    if kinds == {"integer", "number"}:
        return Field(name, ColumnType.DOUBLE, _float)
    if len(kinds) != 1:
        return Field(name, ColumnType.STRING, _text)
    (kind,) = kinds
    if kind == "integer" or (kind == "number" and prop.get("airbyte_type") == "integer"):
        return Field(name, ColumnType.LONG, _int)
    if kind == "number":
        return Field(name, ColumnType.DOUBLE, _float)
    if kind == "boolean":
        return Field(name, ColumnType.BOOLEAN, _bool)
    if kind == "string" and prop.get("format") == "date-time":
        naive = prop.get("airbyte_type") == "timestamp_without_timezone"
        return Field(name, ColumnType.DATETIME, _naive_timestamp if naive else _utc_timestamp)
    if kind == "string" and prop.get("format") == "date":
        return Field(name, ColumnType.DATE, _date)
    return Field(name, ColumnType.STRING, _text)


def _types(prop: Mapping[str, Any]) -> set[str]:
    """The non-null JSON types `prop` declares."""
    declared = prop.get("type")
    names = declared if isinstance(declared, list) else [declared]
    return {str(t) for t in names if t not in (None, "null")}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError("a boolean is not an integer")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("not a whole number")
        value = int(value)
    number = int(value)
    if not _INT64[0] <= number <= _INT64[1]:
        raise OverflowError("outside int64")
    return number


def _float(value: Any) -> float:
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    return float(value)


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise TypeError("not a boolean")


def _parse_timestamp(value: Any) -> datetime:
    if not isinstance(value, str):
        raise TypeError("not a date-time string")
    return datetime.fromisoformat(value.strip())


def _utc_timestamp(value: Any) -> datetime:
    moment = _parse_timestamp(value)
    if moment.tzinfo is None:  # declared with a time zone but none given: Airbyte means UTC
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _naive_timestamp(value: Any) -> datetime:
    return _parse_timestamp(value).replace(tzinfo=None)


def _date(value: Any) -> date:
    if not isinstance(value, str):
        raise TypeError("not a date string")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return datetime.fromisoformat(value.strip()).date()
