"""Decode headerless CSV into Arrow batches against a dataset's columns, in bounded memory.

The fast path is Arrow's streaming reader (`csv_options` says how values are read). If it
fails, `csv_diagnose` re-reads the source to name the bad line and column. A dataset without
columns yet takes the types Arrow infers and names them `column_1`, `column_2`, ...
"""

from __future__ import annotations

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
from headwater.tabular.types import arrow_schema, check_decimal_precision, columns_from_arrow


class TimestampsNeedText(Exception):
    """A DATETIME value Arrow cannot parse natively: decode again, from the start, with
    `timestamps_as_text=True` (the batches yielded so far must be thrown away)."""


def iter_csv_batches(
    source: IO[bytes],
    columns: Sequence[Column] | None,
    delimiter: str = ",",
    *,
    timestamps_as_text: bool = False,
) -> Iterator[pa.RecordBatch]:
    """Batches of `source` (which must be seekable, for the diagnosis pass)."""
    if columns is None:
        yield from _inferred(source, delimiter)
        return
    if _is_empty(source):
        return
    read, parse, convert = reader_options(columns, delimiter, timestamps_as_text)
    try:
        reader = pacsv.open_csv(
            source, read_options=read, parse_options=parse, convert_options=convert
        )
        for batch in reader:
            check_decimal_precision(batch)
            yield finish_batch(batch, columns) if timestamps_as_text else batch
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        if not timestamps_as_text and has_datetime(columns) and "timestamp" in str(exc):
            raise TimestampsNeedText from None
        raise _diagnosis(source, columns, delimiter, exc) from None


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


def _diagnosis(
    source: IO[bytes], columns: Sequence[Column], delimiter: str, exc: Exception
) -> BadData:
    source.seek(0)
    found = find_bad_record(source, columns, delimiter)
    if found is not None:
        return found
    first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return BadData(f"the data could not be read: {first_line}")


def _inferred(source: IO[bytes], delimiter: str) -> Iterator[pa.RecordBatch]:
    """No schema yet: let Arrow infer one from the whole input (so no memory bound here)."""
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
    names = [f"column_{i}" for i in range(1, table.num_columns + 1)]
    table = table.rename_columns(names)
    columns = columns_from_arrow(table.schema)
    yield from table.cast(arrow_schema(columns)).to_batches()
