"""Decode headerless CSV into Arrow batches against a dataset's columns, in bounded memory.

The fast path is Arrow's streaming reader (`csv_options` says how values are read). If it
fails, `csv_diagnose` re-reads the source to name the bad line and column. A dataset without
columns yet takes the types Arrow infers and names them `column_1`, `column_2`, ...
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from typing import IO

import pyarrow as pa
import pyarrow.csv as pacsv

from headwater.domain.datasets import Column
from headwater.domain.errors import BadData
from headwater.tabular.csv_diagnose import find_bad_record
from headwater.tabular.csv_options import (
    FALSE_VALUES,
    TRUE_VALUES,
    finish_batch,
    has_datetime,
    reader_options,
)
from headwater.tabular.types import arrow_schema, columns_from_arrow


class TimestampsNeedText(Exception):
    """A DATETIME value Arrow cannot parse natively: decode again, from the start, with
    `timestamps_as_text=True` (the batches yielded so far must be thrown away)."""


def iter_csv_batches(
    source: IO[bytes],
    columns: Sequence[Column] | None,
    delimiter: str = ",",
    *,
    timestamps_as_text: bool = False,
    after_header: bool = False,
) -> Iterator[pa.RecordBatch]:
    """Batches of `source` (which must be seekable, for the diagnosis pass). `after_header`:
    `read_header` took the first line (inferred columns are then named by the caller)."""
    if columns is None:
        yield from _inferred(source, delimiter, header=after_header)
        return
    if _is_empty(source):
        return
    start = source.tell() if after_header else 0
    read, parse, convert = reader_options(columns, delimiter, timestamps_as_text)
    try:
        reader = pacsv.open_csv(
            source, read_options=read, parse_options=parse, convert_options=convert
        )
        for batch in reader:
            yield finish_batch(batch, columns)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        if not timestamps_as_text and has_datetime(columns) and "timestamp" in str(exc):
            raise TimestampsNeedText from None
        raise _diagnosis(source, columns, delimiter, exc, start) from None


def decode_all(
    source: IO[bytes], columns: Sequence[Column] | None, delimiter: str = ","
) -> list[pa.RecordBatch]:
    """All batches, retried in text mode when timestamps need it (small inputs only)."""
    try:
        return list(iter_csv_batches(source, columns, delimiter))
    except TimestampsNeedText:
        source.seek(0)
        return list(iter_csv_batches(source, columns, delimiter, timestamps_as_text=True))


def _is_empty(source: IO[bytes]) -> bool:
    start = source.tell()
    head = source.read(1)
    source.seek(start)
    return not head


def read_header(source: IO[bytes], delimiter: str = ",") -> list[str]:
    """The column names on the first line of `source`, which is left just after it (so the
    decoder reads the records, and the diagnosis counts the header as line 1). A header is
    one line: a name cannot hold a line break."""
    line = source.readline()
    try:
        text = line.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError:
        raise BadData("line 1: the header is not valid UTF-8", line=1, field="header") from None
    names = next(csv.reader([text], delimiter=delimiter), [])
    names = [name.strip() for name in names]
    if not names or not all(names):
        raise BadData("line 1: the header must name every column", line=1, field="header")
    seen: set[str] = set()
    for name in names:
        if name.lower() in seen:
            raise BadData(f"line 1: the header names column {name!r} twice", line=1, field="header")
        seen.add(name.lower())
    return names


def _diagnosis(
    source: IO[bytes], columns: Sequence[Column], delimiter: str, exc: Exception, start: int
) -> BadData:
    source.seek(start)
    found = find_bad_record(source, columns, delimiter, first_line=2 if start else 1)
    if found is not None:
        return found
    first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return BadData(f"the data could not be read: {first_line}")


def _inferred(source: IO[bytes], delimiter: str, *, header: bool) -> Iterator[pa.RecordBatch]:
    """No schema yet: let Arrow infer one from the whole input (so no memory bound here).
    After a header (`read_header`), the caller names the columns."""
    if _is_empty(source):
        return
    try:
        table = pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(autogenerate_column_names=True),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
                null_values=[""],
                true_values=TRUE_VALUES[:3],
                false_values=FALSE_VALUES[:3],
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise BadData(f"the data could not be read: {str(exc).splitlines()[0]}") from None
    if not header:
        table = table.rename_columns([f"column_{i}" for i in range(1, table.num_columns + 1)])
    columns = columns_from_arrow(table.schema)
    yield from table.cast(arrow_schema(columns)).to_batches()
