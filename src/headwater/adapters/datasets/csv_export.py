"""A dataset's committed Parquet files as RFC 4180 CSV, one record batch at a time.

Nulls are empty unquoted fields and empty strings are `""`, the convention uploads read, so an
export can be uploaded again as it is (without its header line). Memory stays at one batch
whatever the dataset's size.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence

import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from headwater.domain.datasets import Column
from headwater.tabular.types import arrow_schema

BATCH_ROWS = 65_536


class ParquetCsvExporter:
    def csv(
        self, files: list[str] | None, columns: Sequence[Column], include_header: bool
    ) -> Iterator[bytes]:
        schema = arrow_schema(columns)
        sink = io.BytesIO()
        options = pacsv.WriteOptions(include_header=include_header, quoting_style="needed")
        with pacsv.CSVWriter(sink, schema, write_options=options) as writer:
            yield _drain(sink)  # the header line, if any
            for path in files or []:
                for batch in pq.ParquetFile(path).iter_batches(
                    batch_size=BATCH_ROWS, columns=schema.names
                ):
                    writer.write_batch(batch.cast(schema))
                    yield _drain(sink)
        if rest := _drain(sink):
            yield rest


def _drain(sink: io.BytesIO) -> bytes:
    data = sink.getvalue()
    sink.seek(0)
    sink.truncate()
    return data
