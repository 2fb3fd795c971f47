"""File formats the file-reading connectors share (file, http, sftp): bytes in, Arrow record
batches out. A malformed input is `BadData` (connectors report it as a `TerminalError`).

CSV, TSV, NDJSON and Parquet stream in blocks, so memory stays bounded whatever the size.
A JSON document is parsed whole (JSON has no record boundaries to stream by); its records
are the list at `records_path` (dotted, `data.items`), or the document itself if it is a list.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import PurePath
from typing import IO, Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from headwater.domain.errors import BadData

FORMATS = ("csv", "tsv", "json", "ndjson", "parquet")
BLOCK_SIZE = 4 << 20
BATCH_ROWS = 65_536
_BY_SUFFIX = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_BY_MEDIA_TYPE = {
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/json": "json",
    "application/x-ndjson": "ndjson",
    "application/jsonl": "ndjson",
    "application/vnd.apache.parquet": "parquet",
}


def format_of(name: str, wanted: str = "auto", media_type: str | None = None) -> str:
    """The format to read `name` as: `wanted` unless "auto", else by media type or suffix."""
    if wanted != "auto":
        return wanted
    if media_type:
        found = _BY_MEDIA_TYPE.get(media_type.split(";")[0].strip().lower())
        if found:
            return found
    suffixes = [s.lower() for s in PurePath(name).suffixes if s.lower() != ".gz"]
    found = _BY_SUFFIX.get(suffixes[-1]) if suffixes else None
    if found is None:
        raise BadData(
            f"cannot tell the format of {name!r}; set format to one of {', '.join(FORMATS)}"
        )
    return found


def read_batches(
    source: IO[bytes],
    fmt: str,
    *,
    name: str = "input",
    header: bool = True,
    delimiter: str | None = None,
    records_path: str | None = None,
) -> Iterator[pa.RecordBatch]:
    """Record batches of `source` read as `fmt`; a malformed input is a BadData naming
    `name` and what was wrong."""
    try:
        if fmt in ("csv", "tsv"):
            yield from _delimited(source, delimiter or ("\t" if fmt == "tsv" else ","), header)
        elif fmt == "ndjson":
            yield from _ndjson(source)
        elif fmt == "json":
            yield from records_to_batches(records_at(json.load(source), records_path, name))
        elif fmt == "parquet":
            yield from pq.ParquetFile(_seekable(source)).iter_batches(batch_size=BATCH_ROWS)
        else:
            raise BadData(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    except (
        pa.ArrowInvalid,
        pa.ArrowNotImplementedError,
        json.JSONDecodeError,
        UnicodeError,
    ) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise BadData(f"{name} is not valid {fmt}: {first_line}") from None


def read_configured(
    source: IO[bytes], fmt: str, name: str, config: Mapping[str, Any]
) -> Iterator[pa.RecordBatch]:
    """`read_batches` with the FORMAT_PROPERTIES options a connector's config carries."""
    return read_batches(
        source,
        fmt,
        name=name,
        header=bool(config.get("header", True)),
        delimiter=config.get("delimiter"),
        records_path=config.get("records_path"),
    )


def records_at(document: Any, path: str | None, name: str = "the response") -> list[Any]:
    """The list of records at dotted `path` in a parsed JSON document."""
    node = document
    for step in [p for p in (path or "").split(".") if p]:
        if isinstance(node, Mapping) and step in node:
            node = node[step]
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            raise BadData(f"{name} has nothing at records_path {path!r} (stopped at {step!r})")
    if node is None:
        return []
    if isinstance(node, Mapping):
        return [node]  # a single record
    if not isinstance(node, list):
        raise BadData(f"{name}: records_path {path!r} is not a list of records")
    return node


def records_to_batches(records: Sequence[Any]) -> Iterator[pa.RecordBatch]:
    """JSON records (objects) as batches; nested values stay as JSON text."""
    rows = [_flat(r) for r in records]
    for start in range(0, len(rows), BATCH_ROWS):
        table = pa.Table.from_pylist(rows[start : start + BATCH_ROWS])
        yield from table.to_batches()


def _flat(record: Any) -> dict[str, Any]:
    if not isinstance(record, Mapping):
        return {"value": record}
    return {
        key: json.dumps(value) if isinstance(value, (Mapping, list)) else value
        for key, value in record.items()
    }


def _delimited(source: IO[bytes], delimiter: str, header: bool) -> Iterator[pa.RecordBatch]:
    reader = pacsv.open_csv(
        source,
        read_options=pacsv.ReadOptions(block_size=BLOCK_SIZE, autogenerate_column_names=not header),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(strings_can_be_null=True, null_values=[""]),
    )
    renamed = None
    for batch in reader:
        if not header:  # Arrow names them f0, f1, ...; datasets say column_1, column_2, ...
            renamed = renamed or [f"column_{i}" for i in range(1, batch.num_columns + 1)]
            batch = batch.rename_columns(renamed)
        yield batch


def _ndjson(source: IO[bytes]) -> Iterator[pa.RecordBatch]:
    reader = pajson.open_json(source, read_options=pajson.ReadOptions(block_size=BLOCK_SIZE))
    for batch in reader:
        yield _nested_as_text(batch)


def _nested_as_text(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Struct and list columns become JSON text: datasets hold flat columns."""
    if not any(pa.types.is_nested(t) for t in batch.schema.types):
        return batch
    arrays = []
    for field, array in zip(batch.schema, batch.columns, strict=True):
        if pa.types.is_nested(field.type):
            array = pa.array(
                [None if v is None else json.dumps(v, default=str) for v in array.to_pylist()],
                pa.string(),
            )
        arrays.append(array)
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def _seekable(source: IO[bytes]) -> IO[bytes]:
    """Parquet needs random access; a stream that has none is spooled to memory."""
    try:
        if source.seekable():
            return source
    except (AttributeError, ValueError):
        pass
    return io.BytesIO(source.read())
