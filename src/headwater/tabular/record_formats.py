"""Records of a pipeline table from bytes: JSON (raw or insert/delete) and CSV.

Every transport hands its payloads here, so a message over NATS, a line of a followed file and
the body of an HTTP ingress request parse the same way. Clean input takes Arrow's C++ readers
(`pyarrow.json`, `pyarrow.csv`); input they refuse is read again record by record, so each bad
record becomes a parse error showing that record, and the good ones still land.

JSON `update_format`: `raw` (each value is a row, an insert) or `insert_delete`
(`{"insert": row}`, `{"delete": row}`, `{"update": row}` on tables with a primary key).
`array: true` wraps the values of a payload in one JSON array. CSV has no header line; its
fields are the table's columns in order.

A JSON record with fields the table does not declare: under the table's schema policy EVOLVE
or IGNORE_NEW the fields are dropped and the record counted (`Changes.unknown_field_records`,
`Changes.unknown_fields`), so the connector's stats say so; under STRICT the record is a parse
error naming the fields, and does not land.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json

from headwater.domain.columns import decimal_problem
from headwater.domain.datasets import Column, ColumnType
from headwater.domain.errors import InvalidInput
from headwater.domain.pipelines import Format
from headwater.domain.schema_policy import DEFAULT_POLICY, SchemaPolicy
from headwater.tabular.decimal_text import as_text, decimals_from_text, has_decimals
from headwater.tabular.types import arrow_schema

SHOWN_BYTES = 1000  # of an offending record, in its parse error


@dataclass(frozen=True)
class RecordError:
    index: int  # the record's number in its stream (since the connector started)
    message: str
    record: str

    def description(self) -> str:
        return f"{self.message}: {self.record}"


@dataclass
class Changes:
    """What one batch does to a table: rows to insert (upsert with a key) and to delete."""

    inserts: pa.Table
    deletes: pa.Table
    records: int = 0  # parsed records, insert and delete alike
    errors: list[RecordError] = field(default_factory=list)
    unknown_field_records: int = 0  # records that landed without fields the table lacks
    unknown_fields: tuple[str, ...] = ()  # those fields' names, each once, as first seen

    @property
    def empty(self) -> bool:
        return bool(self.inserts.num_rows == 0 and self.deletes.num_rows == 0)


class RecordFormat:
    """A table's decoder for one connector's format."""

    def __init__(
        self,
        columns: tuple[Column, ...] | list[Column],
        fmt: Format | None,
        primary_key: tuple[str, ...] = (),
        case_sensitive: bool = False,
        schema_policy: SchemaPolicy = DEFAULT_POLICY,
    ) -> None:
        fmt = fmt or Format("json")
        if fmt.name not in ("json", "csv"):
            raise InvalidInput(f"unknown format {fmt.name!r}; use json or csv", field="format")
        self.name = fmt.name
        self.columns = list(columns)
        self.schema = arrow_schema(self.columns)
        self.primary_key = primary_key
        self.update_format = str(fmt.config.get("update_format", "raw"))
        if self.update_format not in ("raw", "insert_delete"):
            raise InvalidInput(
                f"unknown update_format {self.update_format!r}; use raw or insert_delete",
                field="format.config.update_format",
            )
        self.array = bool(fmt.config.get("array", False))
        self.delimiter = str(fmt.config.get("delimiter", ","))
        self._by_name = {c.name if case_sensitive else c.name.lower(): c for c in self.columns}
        # JSON numbers as exact decimals where a DECIMAL column needs them; floats otherwise
        # (Decimal parsing costs ~40% more on the record-by-record path)
        exact = any(c.type is ColumnType.DECIMAL for c in self.columns)
        self._decoder = json.JSONDecoder(parse_float=Decimal) if exact else json.JSONDecoder()
        self._case_sensitive = case_sensitive
        self._strict = schema_policy is SchemaPolicy.STRICT

    # -- entry point ---------------------------------------------------------------------
    def decode(self, payloads: list[bytes], first_index: int = 0) -> Changes:
        """Parse payloads (messages, lines, or a body) into changes; bad records are noted."""
        if not payloads:
            return Changes(self.schema.empty_table(), self.schema.empty_table())
        if self.name == "csv":
            return self._csv(payloads, first_index)
        if self.update_format == "raw" and not self.array and not self.primary_key:
            fast = self._json_fast(payloads)
            if fast is not None:
                return Changes(fast, self.schema.empty_table(), records=fast.num_rows)
        return self._json_slow(payloads, first_index)

    # -- JSON ----------------------------------------------------------------------------
    def _json_fast(self, payloads: list[bytes]) -> pa.Table | None:
        """One Arrow read of all payloads as NDJSON; None if anything is off (then the slow
        path finds what)."""
        if has_decimals(self.schema):
            return None  # Arrow's JSON reader parses decimals unsafely (see `decimal_text`)
        body = b"\n".join(payloads)
        if body.lstrip().startswith(b"null"):
            # pyarrow 26's reader crashes the process (SIGSEGV) on a first value of null
            return None
        try:
            table = pa_json.read_json(
                io.BytesIO(body),
                parse_options=pa_json.ParseOptions(
                    explicit_schema=self.schema, unexpected_field_behavior="error"
                ),
                read_options=pa_json.ReadOptions(block_size=max(1 << 20, len(body) + 1)),
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            return None
        return table

    def _json_slow(self, payloads: list[bytes], first_index: int) -> Changes:
        rows: list[tuple[str, dict[str, Any]]] = []
        errors: list[RecordError] = []
        unknown = _UnknownFields()
        index = first_index
        for payload in payloads:
            for value, text, problem in _json_values(payload, self._decoder):
                if problem is not None:
                    errors.append(RecordError(index, problem, text))
                    index += 1
                    continue
                values = value if self.array else [value]
                if self.array and not isinstance(value, list):
                    errors.append(RecordError(index, "expected a JSON array", text))
                    index += 1
                    continue
                for item in values:
                    try:
                        rows.append(self._change(item, unknown))
                    except ValueError as exc:
                        shown = text if len(values) == 1 else json.dumps(item, default=float)
                        errors.append(RecordError(index, str(exc), shown[:SHOWN_BYTES]))
                    index += 1
        return self._changes(rows, errors, unknown)

    def _change(self, item: Any, unknown: _UnknownFields) -> tuple[str, dict[str, Any]]:
        if self.update_format == "raw":
            return "insert", self._row(item, unknown)
        if not isinstance(item, dict) or len(item) != 1:
            raise ValueError('expected {"insert": {...}}, {"delete": {...}} or {"update": {...}}')
        ((op, row),) = item.items()
        if op not in ("insert", "delete", "update"):
            raise ValueError(f"unknown operation {op!r}; use insert, delete or update")
        if op == "update" and not self.primary_key:
            raise ValueError("update needs a table with a primary key")
        return ("delete" if op == "delete" else "insert"), self._row(row, unknown)

    def _row(self, item: Any, unknown: _UnknownFields) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise ValueError("expected a JSON object (one row)")
        row: dict[str, Any] = {}
        extra: list[str] = []
        for key, value in item.items():
            column = self._by_name.get(key if self._case_sensitive else key.lower())
            if column is None:
                extra.append(key)
            elif not (extra and self._strict):  # a STRICT record with extras fails anyway
                row[column.name] = convert(column, value)
        if extra and self._strict:
            raise ValueError(
                f"field {', '.join(repr(k[:100]) for k in extra[:10])} is not a column of the "
                "table (its schema_policy is STRICT)"
            )
        if extra:  # dropped, as Feldera does, but counted
            unknown.note(extra)
        return row

    # -- CSV -----------------------------------------------------------------------------
    def _csv(self, payloads: list[bytes], first_index: int) -> Changes:
        body = b"\n".join(p.rstrip(b"\r\n") for p in payloads if p.strip())
        if not body:
            return Changes(self.schema.empty_table(), self.schema.empty_table())
        try:
            table = pa_csv.read_csv(
                io.BytesIO(body),
                read_options=pa_csv.ReadOptions(column_names=[c.name for c in self.columns]),
                parse_options=pa_csv.ParseOptions(delimiter=self.delimiter),
                convert_options=pa_csv.ConvertOptions(
                    column_types=as_text(self.schema), strings_can_be_null=True
                ),
            )
            table = decimals_from_text(table, self.schema)
            if not self.primary_key:
                return Changes(table, self.schema.empty_table(), records=table.num_rows)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
        rows: list[tuple[str, dict[str, Any]]] = []
        errors: list[RecordError] = []
        lines = body.decode("utf-8", errors="replace").splitlines()
        for offset, fields in enumerate(csv.reader(lines, delimiter=self.delimiter)):
            try:
                if len(fields) != len(self.columns):
                    raise ValueError(f"expected {len(self.columns)} fields, found {len(fields)}")
                row = {
                    c.name: convert(c, f if f != "" else None, from_text=True)
                    for c, f in zip(self.columns, fields, strict=True)
                }
                rows.append(("insert", row))
            except ValueError as exc:
                errors.append(
                    RecordError(first_index + offset, str(exc), lines[offset][:SHOWN_BYTES])
                )
        return self._changes(rows, errors)

    # -- assembling ----------------------------------------------------------------------
    def _changes(
        self,
        rows: list[tuple[str, dict[str, Any]]],
        errors: list[RecordError],
        unknown: _UnknownFields | None = None,
    ) -> Changes:
        inserts, deletes = net_changes(rows, self.primary_key, [c.name for c in self.columns])
        return Changes(
            pa.Table.from_pylist(inserts, schema=self.schema),
            pa.Table.from_pylist(deletes, schema=self.schema),
            records=len(rows),
            errors=errors,
            unknown_field_records=unknown.records if unknown else 0,
            unknown_fields=tuple(unknown.names) if unknown else (),
        )


MAX_UNKNOWN_NAMES = 100  # of one batch; a stream of ever new keys must not grow it unbounded


class _UnknownFields:
    """The records of one batch that carried fields the table lacks, and those names."""

    def __init__(self) -> None:
        self.records = 0
        self.names: dict[str, None] = {}  # ordered, each once

    def note(self, names: list[str]) -> None:
        self.records += 1
        for name in names:
            if len(self.names) >= MAX_UNKNOWN_NAMES:
                break
            self.names.setdefault(name[:100], None)


def net_changes(
    rows: list[tuple[str, dict[str, Any]]], key: tuple[str, ...], names: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Apply a batch's operations in order. With a primary key the last operation on a key
    wins (an insert replaces the row); without one, rows are a multiset: an insert and a
    delete of the same row cancel, and a delete left over removes that row from the table."""
    if not any(op == "delete" for op, _ in rows) and not key:
        return [row for _, row in rows], []
    if key:
        last: dict[tuple[Any, ...], tuple[str, dict[str, Any]]] = {}
        for op, row in rows:
            last[tuple(row.get(k) for k in key)] = (op, row)
        inserts = [row for op, row in last.values() if op == "insert"]
        deletes = [row for op, row in last.values() if op == "delete"]
        return inserts, deletes
    weights: dict[tuple[Any, ...], int] = {}
    first: dict[tuple[Any, ...], dict[str, Any]] = {}
    for op, row in rows:
        identity = tuple(row.get(n) for n in names)
        weights[identity] = weights.get(identity, 0) + (1 if op == "insert" else -1)
        first.setdefault(identity, row)
    inserts = [first[i] for i, w in weights.items() for _ in range(max(w, 0))]
    deletes = [first[i] for i, w in weights.items() if w < 0]
    return inserts, deletes


def _json_values(payload: bytes, decoder: json.JSONDecoder) -> list[tuple[Any, str, str | None]]:
    """The JSON values in one payload (whitespace-separated, as NDJSON or concatenated):
    (value, its text, problem or None). A value that does not parse ends the payload."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [(None, payload[:SHOWN_BYTES].decode("utf-8", "replace"), f"not UTF-8: {exc}")]
    values: list[tuple[Any, str, str | None]] = []
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            return values
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            line_end = text.find("\n", position)
            bad = text[position : line_end if line_end >= 0 else len(text)]
            values.append((None, bad[:SHOWN_BYTES], f"invalid JSON: {exc.msg}"))
            if line_end < 0:
                return values
            position = line_end + 1  # NDJSON: go on with the next line
            continue
        values.append((value, text[position:end][:SHOWN_BYTES], None))
        position = end


def convert(column: Column, value: Any, *, from_text: bool = False) -> Any:
    """One value for `column`, or ValueError saying why it does not fit."""
    if value is None:
        return None
    kind = column.type
    if kind is ColumnType.DECIMAL:
        return _decimal(column, value)
    try:
        if kind is ColumnType.STRING:
            # a number parsed as Decimal (for a DECIMAL column beside) is written as a double
            return value if isinstance(value, str) else json.dumps(value, default=float)
        if kind is ColumnType.LONG:
            if isinstance(value, bool) or not (isinstance(value, int) or from_text):
                raise ValueError
            return int(value)
        if kind is ColumnType.DOUBLE:
            if isinstance(value, bool) or not (
                isinstance(value, int | float | Decimal) or from_text
            ):
                raise ValueError
            return float(value)
        if kind is ColumnType.BOOLEAN:
            if isinstance(value, bool):
                return value
            if from_text and str(value).lower() in ("true", "false"):
                return str(value).lower() == "true"
            raise ValueError
        if kind is ColumnType.DATE:
            return date.fromisoformat(str(value))
        if kind is ColumnType.DATETIME:
            parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
    except (ValueError, TypeError, InvalidOperation):
        pass
    raise ValueError(f"column {column.name!r}: {value!r} is not a {column.type_text}")


def _decimal(column: Column, value: Any) -> Decimal:
    """JSON numbers arrive as Decimal (parsed exactly), text as itself; either must fit the
    column's size exactly: never rounded."""
    try:
        if isinstance(value, bool | dict | list):
            raise ValueError
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (ValueError, InvalidOperation):
        raise ValueError(f"column {column.name!r}: {value!r} is not a {column.type_text}") from None
    problem = decimal_problem(number, *column.decimal_size)
    if problem is not None:
        shown = str(value) if len(str(value)) <= 100 else str(value)[:97] + "..."
        raise ValueError(f"column {column.name!r}: {shown} {problem}")
    return number
