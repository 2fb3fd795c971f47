"""Exact incremental reading of files: where reading stands in each file, and whether the file
is still the one read before. One implementation for the `file` and `sftp` connectors and the
pipelines' `file_input`.

A file's *mark* is what a read leaves behind: its identity (device and inode where the
filesystem has them, size, modification time, and a fingerprint: the sha256 of its first
block, `HEAD_BYTES`, or of the whole file if shorter) and the byte offset read up to. On the
next read the file is compared with its mark (`assess`):

- no mark: a new file, read from the start;
- another inode, or a first block that no longer hashes the same: the file was replaced
  (rotated, or rewritten): read again from the start;
- line-oriented formats (CSV, TSV, NDJSON: `LINE_FORMATS`): shorter than the offset, it was
  truncated: read again from the start; longer, the lines appended are read from the offset
  (a CSV's header line is read from the file's start and put before them, so they parse
  with the same columns); only complete lines are read: a last line without its newline
  (still being written) waits for the next read;
- other formats (a JSON document, Parquet, anything compressed) cannot be appended to: a
  file whose size or modification time changed is read again whole, the reader told so.

A file replaced with content that starts with the same first block and is at least as long
(a log rewritten in place with more lines) cannot be told from one appended to; it is read
from the offset.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from enum import Enum
from typing import IO, Any

from headwater.connectors.modified_since import ModifiedSince

HEAD_BYTES = 4096  # the block whose hash tells a file from its replacement
LINE_FORMATS = frozenset({"csv", "tsv", "ndjson"})
HEADER_FORMATS = frozenset({"csv", "tsv"})
_SCAN_BLOCK = 1 << 16
_MAX_HEADER = 1 << 20


@dataclass(frozen=True)
class FileStat:
    """A file as listed now."""

    size: int
    mtime: float
    device: int | None = None
    inode: int | None = None


@dataclass(frozen=True)
class FileMark:
    """A file as last read, and the byte offset read up to (after its last complete line)."""

    size: int
    mtime: float
    device: int | None
    inode: int | None
    head: str  # sha256 (hex) of the first `head_len` bytes
    head_len: int
    offset: int

    @classmethod
    def of(cls, now: FileStat, head: bytes, offset: int) -> FileMark:
        return cls(now.size, now.mtime, now.device, now.inode, fingerprint(head), len(head), offset)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> FileMark:
        return cls(
            size=int(raw["size"]),
            mtime=float(raw["mtime"]),
            device=None if raw.get("device") is None else int(raw["device"]),
            inode=None if raw.get("inode") is None else int(raw["inode"]),
            head=str(raw["head"]),
            head_len=int(raw["head_len"]),
            offset=int(raw["offset"]),
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Change(Enum):
    NEW = "new"
    UNCHANGED = "unchanged"
    GREW = "grew"
    REPLACED = "replaced"
    TRUNCATED = "truncated"
    REWRITTEN = "rewritten"  # a file that cannot be appended to changed: read whole again


@dataclass(frozen=True)
class Plan:
    """What to read of a file: from `start` on (0: from the start), or nothing."""

    change: Change
    start: int

    @property
    def reads(self) -> bool:
        return self.change is not Change.UNCHANGED

    def notice(self, name: str) -> str | None:
        """What the run should report about it, if anything."""
        if self.change is Change.REPLACED:
            return (
                f"{name} was replaced (rotated or rewritten) since it was last read: "
                "read again from its start"
            )
        if self.change is Change.TRUNCATED:
            return f"{name} was truncated since it was last read: read again from its start"
        if self.change is Change.REWRITTEN:
            return (
                f"{name} changed since it was last read and its format cannot be appended to: "
                "read again whole"
            )
        return None


def fingerprint(head: bytes) -> str:
    return hashlib.sha256(head).hexdigest()


def is_line_oriented(fmt: str, name: str) -> bool:
    return fmt in LINE_FORMATS and not name.lower().endswith(".gz")


def assess(mark: FileMark | None, now: FileStat, head: bytes, line_oriented: bool) -> Plan:
    """Compare a file (`now`, and `head`: its first min(size, HEAD_BYTES) bytes) with its mark."""
    plan = _compare(mark, now, head, line_oriented)
    if not line_oriented and plan.change in (Change.REPLACED, Change.TRUNCATED):
        return Plan(Change.REWRITTEN, 0)  # whichever way it changed, it is read whole
    return plan


def _compare(mark: FileMark | None, now: FileStat, head: bytes, line_oriented: bool) -> Plan:
    if mark is None:
        return Plan(Change.NEW, 0)
    if None not in (mark.inode, now.inode) and (mark.device, mark.inode) != (
        now.device,
        now.inode,
    ):
        return Plan(Change.REPLACED, 0)
    if line_oriented and now.size < mark.offset:
        return Plan(Change.TRUNCATED, 0)
    if len(head) < mark.head_len:  # shorter than the block hashed last time
        return Plan(Change.TRUNCATED if line_oriented else Change.REWRITTEN, 0)
    if fingerprint(head[: mark.head_len]) != mark.head:
        return Plan(Change.REPLACED, 0)
    if not line_oriented:
        same = (now.size, now.mtime) == (mark.size, mark.mtime)
        return Plan(Change.UNCHANGED if same else Change.REWRITTEN, 0)
    if now.size > mark.offset:
        return Plan(Change.GREW, mark.offset)
    return Plan(Change.UNCHANGED, mark.offset)


class FileMarks:
    """The marks of one incremental read over many files, and the state it checkpoints:
    `{"files": {name: mark}}`. A state from before marks (`cursor`/`at_cursor`, by
    modification time: `connectors.modified_since`) means the files it covers were read
    whole: each becomes a mark at its current size, so nothing is read twice. Files no longer
    listed lose their mark at the end of the read: one that comes back is a new file."""

    def __init__(self, state: Mapping[str, Any], enabled: bool = True) -> None:
        self._enabled = enabled
        files = state.get("files") if enabled else None
        self._before = {
            name: FileMark.from_dict(raw)
            for name, raw in (files.items() if isinstance(files, Mapping) else [])
        }
        legacy = enabled and "cursor" in state and not isinstance(files, Mapping)
        self._legacy = ModifiedSince(state) if legacy else None
        self._now: dict[str, FileMark] = {}
        self._last = self._state(self._before) if state or not enabled else self._state({})

    @property
    def enabled(self) -> bool:
        return self._enabled

    def plan(self, name: str, now: FileStat, head: bytes, line_oriented: bool) -> Plan:
        if not self._enabled:
            return Plan(Change.NEW, 0)
        mark = self._before.get(name)
        if mark is None and self._legacy is not None and not self._legacy.is_new(name, now.mtime):
            mark = FileMark.of(now, head, now.size)  # read whole at this mtime by the old rule
        return assess(mark, now, head, line_oriented)

    def done(self, name: str, now: FileStat, head: bytes, offset: int) -> dict[str, Any]:
        """Note `name` as read up to `offset`; the state to checkpoint after it (files not
        visited yet keep their marks)."""
        self._now[name] = FileMark.of(now, head, offset)
        self._last = self._state({**self._before, **self._now})
        return self._last

    def final(self) -> dict[str, Any] | None:
        """The state after every listed file was visited: marks of the others dropped. None
        if that is the state last handed over already."""
        state = self._state(self._now)
        return None if state == self._last else state

    @staticmethod
    def _state(marks: Mapping[str, FileMark]) -> dict[str, Any]:
        return {"files": {name: mark.as_dict() for name, mark in sorted(marks.items())}}


def complete_end(source: IO[bytes], start: int, end: int) -> int:
    """The offset just after the last newline in `source[start:end]` (`start` if none): where
    the complete lines end. Reads backwards from `end` in blocks."""
    position = end
    while position > start:
        low = max(start, position - _SCAN_BLOCK)
        source.seek(low)
        block = source.read(position - low)
        cut = block.rfind(b"\n")
        if cut >= 0:
            return low + cut + 1
        position = low
    return start


def header_line(read_head: Callable[[int], bytes]) -> bytes:
    """The file's first line, newline included (b"" if it has none yet). `read_head(n)` gives
    the file's first n bytes."""
    size = HEAD_BYTES
    while True:
        head = read_head(size)
        cut = head.find(b"\n")
        if cut >= 0:
            return head[: cut + 1]
        if len(head) < size or size >= _MAX_HEADER:
            return b""
        size *= 4


class RangeReader(io.RawIOBase):
    """`prefix`, then the bytes `start`..`end` of `source`: a file's appended lines after its
    header, as one readable stream."""

    def __init__(self, source: IO[bytes], prefix: bytes, start: int, end: int) -> None:
        super().__init__()
        self._source = source
        self._prefix = memoryview(prefix)
        self._position = start
        self._end = end
        source.seek(start)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._prefix:
            n = min(len(view), len(self._prefix))
            view[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        n = min(len(view), self._end - self._position)
        if n <= 0:
            return 0
        data = self._source.read(n)
        view[: len(data)] = data
        self._position += len(data)
        return len(data)


def read_head(source: IO[bytes], n: int) -> bytes:
    """The first `n` bytes of a seekable file."""
    source.seek(0)
    return source.read(n)


def to_parse(
    source: IO[bytes], start: int, size: int, *, base: int = 0, lines: bool, prefix: bytes = b""
) -> tuple[IO[bytes] | None, int]:
    """What to hand the format reader of a file whose bytes from offset `base` on are in the
    seekable `source`, reading from `start` up to `size`, and the offset that leaves the
    read at. With `lines`, only complete lines (`prefix`, the header, before them); None
    when there is no complete line to read yet."""
    if not lines:
        source.seek(start - base)
        return source, size
    end = complete_end(source, start - base, size - base) + base
    if end == start:
        return None, start
    return io.BufferedReader(RangeReader(source, prefix, start - base, end - base)), end
