"""Staged parts: `<staging>/<execution id>/part-<id>-<token>.parquet`, apart from any table.

A part's body goes to disk as it arrives (never whole into memory), is decompressed if it is
gzip, decoded and checked against the schema batch by batch, and written as Parquet. Only a
part that decoded completely is kept; a bad one is removed and its error names the line.
"""

from __future__ import annotations

import functools
import gzip
import os
import shutil
import threading
import uuid
import zlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, cast

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from headwater.domain.columns import ColumnType
from headwater.domain.datasets import Column
from headwater.domain.errors import BadData
from headwater.domain.ports.ingest import StagedPart
from headwater.domain.schema_policy import DEFAULT_POLICY, Incoming, SchemaPolicy, plan
from headwater.tabular.conform import conform
from headwater.tabular.csv_stream import TimestampsNeedText, iter_csv_batches, read_header
from headwater.tabular.schema_align import AlignedBatches
from headwater.tabular.types import arrow_schema, columns_from_arrow

GZIP_MAGIC = b"\x1f\x8b"
# Decoded batches are small (one 1 MB block each); they are gathered into row groups of about
# this many rows, so the files stay good to query (few, large row groups) at little memory.
ROW_GROUP_ROWS = 131_072


class ParquetPartStaging:
    def __init__(self, root: Path, decode_slots: int | None = None) -> None:
        self._root = root
        # Receiving is cheap and runs for every part at once; decoding is CPU-bound and costs
        # ~100 MB of Arrow buffers each, so only as many parts decode at once as there are
        # cores: more would not go faster, only grow the peak memory.
        self._decoding = threading.BoundedSemaphore(decode_slots or os.cpu_count() or 2)

    def _dir(self, execution_id: int) -> Path:
        path = self._root / str(execution_id)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def stage(
        self,
        execution_id: int,
        part_id: int,
        chunks: Iterable[bytes],
        columns: Sequence[Column] | None,
        gzip_hint: bool,
        header: bool = False,
        policy: SchemaPolicy = DEFAULT_POLICY,
        key_columns: Sequence[str] = (),
    ) -> StagedPart:
        folder = self._dir(execution_id)
        token = uuid.uuid4().hex[:12]
        raw = folder / f".part-{part_id}-{token}.body"
        received = 0
        head = b""
        try:
            with raw.open("wb") as sink:
                for chunk in chunks:
                    if len(head) < 2:
                        head += chunk[:2]
                    received += len(chunk)
                    sink.write(chunk)
            compressed = head.startswith(GZIP_MAGIC)
            if gzip_hint and not compressed and received:
                raise BadData("the part was sent as gzip but is not a gzip stream", field="body")
            with self._decoding:
                decode = functools.partial(
                    self._decode,
                    raw,
                    compressed,
                    folder,
                    part_id,
                    token,
                    received,
                    columns,
                    header,
                    policy,
                    key_columns,
                )
                try:
                    return decode(as_text=False)
                except TimestampsNeedText:  # rare: fraction and Z together; decode again
                    return decode(as_text=True)
        finally:
            raw.unlink(missing_ok=True)

    def _decode(
        self,
        raw: Path,
        compressed: bool,
        folder: Path,
        part_id: int,
        token: str,
        received: int,
        columns: Sequence[Column] | None,
        header: bool,
        policy: SchemaPolicy,
        key_columns: Sequence[str],
        *,
        as_text: bool,
    ) -> StagedPart:
        with _open_body(raw, compressed) as source:
            if not header:
                batches = _decoded(source, columns, compressed, as_text=as_text)
                return self._write(folder, part_id, token, batches, received, columns)
            names = _header(source, compressed)
            # CSV has no types: a column the dataset has is read as its type, a new one as
            # STRING (the schema policy decides whether it joins the dataset).
            known = {c.name.lower(): c for c in columns or ()}
            typed = [known.get(n.lower(), Column(n, ColumnType.STRING)) for n in names]
            read_as = [
                Column(n, c.type, c.precision, c.scale) for n, c in zip(names, typed, strict=True)
            ]
            decoded = _decoded(
                source,
                read_as if columns is not None else None,
                compressed,
                as_text=as_text,
                after_header=True,
            )
            if columns is None:
                decoded = (b.rename_columns(names) for b in decoded)
            aligned = AlignedBatches(columns, policy, key_columns)
            staged = self._write(folder, part_id, token, aligned(decoded), received, columns)
            if aligned.plan is None:  # no rows: the header alone still says the columns
                aligned.plan = plan(
                    columns, [Incoming(c.name, c) for c in read_as], policy, key_columns
                )
                aligned.changes = aligned.plan.changes
            return StagedPart(
                staged.path, staged.rows, received, list(aligned.plan.columns), aligned.changes
            )

    def stage_batches(
        self,
        execution_id: int,
        part_id: int,
        batches: Iterable[Any],
        columns: Sequence[Column] | None,
        policy: SchemaPolicy = DEFAULT_POLICY,
        key_columns: Sequence[str] = (),
    ) -> StagedPart:
        folder = self._dir(execution_id)
        token = uuid.uuid4().hex[:12]
        aligned = AlignedBatches(columns, policy, key_columns)
        staged = self._write(folder, part_id, token, aligned(batches), 0, columns)
        return StagedPart(
            staged.path,
            staged.rows,
            _file_size(staged.path),
            list(aligned.plan.columns) if aligned.plan else staged.columns,
            aligned.changes,
        )

    def _write(
        self,
        folder: Path,
        part_id: int,
        token: str,
        batches: Iterator[pa.RecordBatch],
        received: int,
        columns: Sequence[Column] | None = None,
    ) -> StagedPart:
        final = folder / f"part-{part_id}-{token}.parquet"
        temp = folder / f".part-{part_id}-{token}.parquet"
        writer: pq.ParquetWriter | None = None
        rows = 0
        schema: pa.Schema | None = None
        pending: list[pa.RecordBatch] = []
        pending_rows = 0
        try:
            for batch in batches:
                if writer is None:
                    schema = batch.schema
                    writer = pq.ParquetWriter(
                        temp, schema, compression="snappy", use_dictionary=_few_values(batch)
                    )
                if not batch.num_rows:
                    continue  # it still set the schema; an empty row group is not allowed
                pending.append(batch)
                pending_rows += batch.num_rows
                rows += batch.num_rows
                if pending_rows >= ROW_GROUP_ROWS:
                    writer.write_table(pa.Table.from_batches(pending), row_group_size=pending_rows)
                    pending, pending_rows = [], 0
            if writer is not None and pending:
                writer.write_table(pa.Table.from_batches(pending), row_group_size=pending_rows)
        except BaseException:
            if writer is not None:
                writer.close()
            temp.unlink(missing_ok=True)
            raise
        if writer is None:  # an empty part: zero rows, still a valid file of the right schema
            schema = arrow_schema(columns) if columns else pa.schema([])
            pq.write_table(schema.empty_table(), temp)
        else:
            writer.close()
        temp.rename(final)  # atomic: a part file exists only once it is complete
        assert schema is not None
        return StagedPart(str(final), rows, received, columns_from_arrow(schema))

    def conform_file(self, path: str, columns: Sequence[Column]) -> None:
        temp = Path(path).with_name(f".{Path(path).name}.{uuid.uuid4().hex[:8]}")
        schema = arrow_schema(columns)
        source = pq.ParquetFile(path)
        with pq.ParquetWriter(temp, schema, compression="snappy") as writer:
            for batch in source.iter_batches(batch_size=ROW_GROUP_ROWS):
                writer.write_batch(conform(batch, columns, fill_missing=True))
        os.replace(temp, path)

    def columns_of(self, path: str) -> list[Column]:
        return columns_from_arrow(pq.ParquetFile(path).schema_arrow)

    def discard(self, path: str) -> None:
        Path(path).unlink(missing_ok=True)

    def discard_execution(self, execution_id: int) -> None:
        shutil.rmtree(self._root / str(execution_id), ignore_errors=True)

    def staged_execution_ids(self) -> list[int]:
        if not self._root.exists():
            return []
        return sorted(int(p.name) for p in self._root.iterdir() if p.is_dir() and p.name.isdigit())


def _open_body(path: Path, compressed: bool) -> IO[bytes]:
    return cast(IO[bytes], gzip.open(path, "rb") if compressed else path.open("rb"))


def _few_values(batch: pa.RecordBatch) -> list[str]:
    """Text columns worth dictionary-encoding, judged on the first batch. Dictionary pages
    shrink repetitive text but cost twice the write time on text that rarely repeats."""
    return [
        field.name
        for field, array in zip(batch.schema, batch.columns, strict=True)
        if pa.types.is_string(field.type)
        and len(array) > 0
        and pc.count_distinct(array).as_py() <= max(1, len(array) // 10)
    ]


def _header(source: IO[bytes], compressed: bool) -> list[str]:
    try:
        return read_header(source)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        if not compressed:
            raise
        raise BadData(f"the part is not a valid gzip stream: {exc}", field="body") from None


def _decoded(
    source: IO[bytes],
    columns: Sequence[Column] | None,
    compressed: bool,
    *,
    as_text: bool,
    after_header: bool = False,
) -> Iterator[pa.RecordBatch]:
    try:
        yield from iter_csv_batches(
            source, columns, timestamps_as_text=as_text, after_header=after_header
        )
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        if not compressed:
            raise
        raise BadData(f"the part is not a valid gzip stream: {exc}", field="body") from None


def _file_size(path: str) -> int:
    return Path(path).stat().st_size
