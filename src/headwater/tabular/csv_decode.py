"""CSV held in memory (small bodies, such as the one-row append) to an Arrow table."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pyarrow as pa

from headwater.domain.datasets import Column
from headwater.domain.errors import BadData, InvalidInput
from headwater.tabular.csv_stream import decode_all
from headwater.tabular.types import arrow_schema


def decode_csv(data: bytes, columns: Sequence[Column] | None, *, delimiter: str = ",") -> pa.Table:
    batches = decode_all(io.BytesIO(data), columns, delimiter)
    if batches:
        return pa.Table.from_batches(batches)
    return arrow_schema(columns or []).empty_table()


def decode_row(values: str, columns: Sequence[Column] | None, delimiter: str = ",") -> pa.Table:
    """Exactly one record: the seed's `{"values": "a,b,c", "delimiter": ","}`."""
    text = values.rstrip("\r\n")
    if not text.strip() and (columns is None or len(columns) > 1):
        raise InvalidInput(
            "values is empty: send the row's values, separated by the delimiter", field="values"
        )
    table = decode_csv(text.encode() + b"\n", columns, delimiter=delimiter)
    if table.num_rows != 1:
        raise BadData(f"values holds {table.num_rows} rows; send exactly one", field="values")
    return table
