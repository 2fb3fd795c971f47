"""Cutting a CSV file into upload parts, and reading one part as gzip: no network here.

Parts end on record boundaries: a newline counts only outside quotes, which RFC 4180 lets us
tell by the parity of the `"` characters since the part began (an escaped quote is two). The
scan is `bytes.count` and `bytes.find` over the file once, so planning runs at disk speed.
Each part remembers the file line it starts on, so a server error about "line 3" of part 7
can be told as the line of the file.
"""

from __future__ import annotations

import csv
import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SCAN_BLOCK = 4 * 1024 * 1024
READ_BLOCK = 1024 * 1024
BOM = b"\xef\xbb\xbf"
QUOTE, NEWLINE = b'"', b"\n"


@dataclass(frozen=True)
class PartSpan:
    part_id: int  # 1-based, in file order: commit applies parts in id order
    offset: int
    length: int
    first_line: int  # the file line (1-based) its first record starts on


@dataclass(frozen=True)
class UploadPlan:
    path: Path
    header: list[str] | None
    parts: list[PartSpan]

    @property
    def data_bytes(self) -> int:
        return sum(p.length for p in self.parts)


def plan(path: Path, part_size: int, has_header: bool) -> UploadPlan:
    if part_size < 1:
        raise ValueError("part_size must be positive")
    size = path.stat().st_size
    with path.open("rb") as source:
        start = len(BOM) if source.read(len(BOM)) == BOM else 0
        header = None
        line = 1
        if has_header and start < size:
            end, lines = _record_end(source, start, start, size)
            header = _parse_header(source, start, end)
            start, line = end, 1 + lines
        parts: list[PartSpan] = []
        while start < size:
            end, lines = _record_end(source, start, min(start + part_size, size), size)
            parts.append(PartSpan(len(parts) + 1, start, end - start, line))
            start, line = end, line + lines
    if not parts:  # no rows: one empty part, so the commit still says what the file held
        parts.append(PartSpan(1, start, 0, line))
    return UploadPlan(path, header, parts)


def _record_end(source: io.BufferedReader, start: int, target: int, size: int) -> tuple[int, int]:
    """The end (past its newline) of the first record ending at or after `target`, counting
    quotes from `start`; and how many newlines lie between `start` and that end."""
    if target >= size:
        return size, _count_newlines(source, start, size)
    quotes = newlines = 0
    source.seek(start)
    remaining = target - start
    while remaining > 0:
        block = source.read(min(SCAN_BLOCK, remaining))
        quotes += block.count(QUOTE)
        newlines += block.count(NEWLINE)
        remaining -= len(block)
    position = target
    while position < size:
        block = source.read(SCAN_BLOCK)
        if not block:
            break
        cursor = 0
        while (found := block.find(NEWLINE, cursor)) != -1:
            quotes += block.count(QUOTE, cursor, found)
            newlines += 1
            cursor = found + 1
            if quotes % 2 == 0:
                return position + cursor, newlines
        quotes += block.count(QUOTE, cursor)
        position += len(block)
    return size, newlines


def _count_newlines(source: io.BufferedReader, start: int, end: int) -> int:
    source.seek(start)
    count, remaining = 0, end - start
    while remaining > 0:
        block = source.read(min(SCAN_BLOCK, remaining))
        if not block:
            break
        count += block.count(NEWLINE)
        remaining -= len(block)
    return count


def _parse_header(source: io.BufferedReader, start: int, end: int) -> list[str]:
    source.seek(start)
    text = source.read(end - start).decode("utf-8", errors="replace")
    return next(csv.reader(io.StringIO(text)), [])


def read_part(path: Path, span: PartSpan, gzip_level: int) -> Iterator[tuple[bytes, int]]:
    """The part's body in pieces: (bytes to send, file bytes they stand for). gzip_level 0
    sends the CSV as it is."""
    compressor = zlib.compressobj(gzip_level, zlib.DEFLATED, 31) if gzip_level else None
    with path.open("rb") as source:
        source.seek(span.offset)
        remaining = span.length
        while remaining > 0:
            block = source.read(min(READ_BLOCK, remaining))
            if not block:
                raise OSError(f"{path} is shorter than when the upload was planned")
            remaining -= len(block)
            yield (compressor.compress(block) if compressor else block), len(block)
    if compressor:
        yield compressor.flush(), 0


LINE = re.compile(r"^line (\d+)")


def file_line(span: PartSpan, part_line: int) -> int:
    """A line number the server gave for a part, as a line of the file."""
    return span.first_line + part_line - 1


def restate_line(message: str, span: PartSpan, path: Path) -> str:
    """'line 3, column "n": ...' about a part → 'data.csv line 1203, column "n": ...'."""
    match = LINE.match(message)
    if not match:
        return f"{path.name}, part {span.part_id}: {message}"
    return f"{path.name} line {file_line(span, int(match.group(1)))}{message[match.end() :]}"
