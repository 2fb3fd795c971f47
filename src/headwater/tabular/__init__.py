"""Bytes to Arrow, the one format room: column types, CSV decoding of uploads, the file formats
connectors read, a pipeline table's record formats, decimals from text, conforming."""

from headwater.tabular.conform import conform
from headwater.tabular.csv_decode import decode_csv, decode_row
from headwater.tabular.csv_stream import iter_csv_batches
from headwater.tabular.types import arrow_schema, arrow_type, columns_from_arrow

__all__ = [
    "arrow_schema",
    "arrow_type",
    "columns_from_arrow",
    "conform",
    "decode_csv",
    "decode_row",
    "iter_csv_batches",
]
