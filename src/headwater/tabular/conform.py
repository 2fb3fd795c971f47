"""Make a record batch fit a dataset's columns: by name, in order, cast to the column types."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from headwater.domain.datasets import Column
from headwater.domain.errors import BadData
from headwater.tabular.types import arrow_schema


def conform(batch: pa.RecordBatch, columns: Sequence[Column]) -> pa.RecordBatch:
    """Columns are matched by name, case-insensitively; a missing column is a BadData naming it,
    extra columns are dropped, and a value that cannot be cast names its column."""
    target = arrow_schema(columns)
    by_name = {name.lower(): index for index, name in enumerate(batch.schema.names)}
    arrays = []
    for field in target:
        index = by_name.get(field.name.lower())
        if index is None:
            raise BadData(
                f"the source has no column {field.name!r} (it has {', '.join(batch.schema.names)})",
                column=field.name,
            )
        array = batch.column(index)
        if not array.type.equals(field.type):
            try:
                array = array.cast(field.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise BadData(f"column {field.name!r}: {exc}", column=field.name) from None
        arrays.append(array)
    return pa.RecordBatch.from_arrays(arrays, schema=target)
