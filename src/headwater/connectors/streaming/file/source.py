"""`file_input`: a file on the server, read line by line, then (`follow: true`) followed.

Config: `{"path": "/data/in.jsonl", "follow": false}`. The path must lie inside a directory
the operator allows (`HEADWATER_FILE_ROOTS`). The position is the byte offset after the last
committed line with the file's identity (`connectors.file_positions`, shared with the batch
`file` connector), so a restart reads on from there; a line still being written (no newline
yet) waits until it is complete. A file replaced (another inode, another first block) or
truncated (shorter than the offset) is read again from its start, on restart and, with
`follow`, while following; the connector's stats say so (`warnings`). Without `follow`, the
end of the file is the end of input.
"""

from __future__ import annotations

import logging
import os
import time
from typing import IO, Any

from headwater.connectors.file_positions import (
    HEAD_BYTES,
    Change,
    FileMark,
    FileStat,
    assess,
)
from headwater.connectors.sdk import Fetched, SourceContext, TerminalError
from headwater.connectors.streaming.file.spec import SPEC
from headwater.connectors.streaming.lines import LineBuffer
from headwater.connectors.streaming.paths import allowed_path

log = logging.getLogger(__name__)

READ_BYTES = 4 << 20


class FileSource:
    @staticmethod
    def spec() -> dict[str, Any]:
        """The JSON Schema of `transport.config` (checked when a pipeline is defined)."""
        return SPEC

    def __init__(self, context: SourceContext) -> None:
        self._path = allowed_path(str(context.config.get("path") or ""), context.allowed_dirs)
        self._follow = bool(context.config.get("follow", False))
        self._file: IO[bytes] | None = None
        self._lines = LineBuffer()
        self._offset = 0  # bytes handed over as complete lines
        self._identity: FileStat | None = None  # of the file open
        self._head = b""  # its first block, as far as it went when looked at
        self._notices: list[str] = []

    def open(self, position: dict[str, Any] | None) -> None:
        self._offset = int((position or {}).get("offset", 0))
        if not self._path.is_file():
            if self._follow:
                return  # it may appear later
            raise TerminalError(f"file_input: no file {str(self._path)!r}")
        self._file = self._path.open("rb")
        self._look()
        mark = _mark_in(position)
        if mark is None and self._identity is not None and self._identity.size < self._offset:
            self._restart(Change.TRUNCATED)  # a position from before marks: offset only
        elif mark is not None:
            assert self._identity is not None
            change = assess(mark, self._identity, self._head, line_oriented=True).change
            if change in (Change.REPLACED, Change.TRUNCATED):
                self._restart(change)
        self._file.seek(self._offset)

    def fetch(self, max_records: int, timeout: float) -> Fetched:
        if self._file is None:
            if self._path.is_file():
                self.open(self._position())
            else:
                time.sleep(min(timeout, 0.1))
                return Fetched(position=self._position())
        assert self._file is not None
        chunk = self._file.read(min(READ_BYTES, max(4096, max_records * 64)))
        at_end = len(chunk) == 0
        lines, used = self._lines.feed(chunk, final=at_end and not self._follow)
        self._offset += used
        if lines or not at_end:
            return self._fetched(payloads=lines, nbytes=used)
        if not self._follow:
            return self._fetched(end_of_input=True)
        if self._moved():  # rotated or truncated while followed: from its start again
            return self._fetched()
        time.sleep(min(timeout, 0.1))  # at the end: wait for the file to grow
        return self._fetched()

    def _fetched(self, **fields: Any) -> Fetched:
        notices, self._notices = self._notices, []
        return Fetched(position=self._position(), notices=notices, **fields)

    def _position(self) -> dict[str, Any]:
        if self._identity is None:
            return {"offset": self._offset}
        return FileMark.of(self._identity, self._head, self._offset).as_dict()

    def _look(self) -> None:
        """Note the identity and first block of the file open."""
        assert self._file is not None
        status = os.fstat(self._file.fileno())
        self._identity = FileStat(status.st_size, status.st_mtime, status.st_dev, status.st_ino)
        self._head = os.pread(self._file.fileno(), HEAD_BYTES, 0)[: status.st_size]

    def _moved(self) -> bool:
        """At the end of the file open: is the path now another file, or this one shorter
        than what was read? Then reopen it from its start."""
        assert self._file is not None
        assert self._identity is not None
        try:
            status = self._path.stat()
        except FileNotFoundError:
            return False  # between a rotation's two steps: the next look finds the new one
        now = FileStat(status.st_size, status.st_mtime, status.st_dev, status.st_ino)
        if (now.device, now.inode) != (self._identity.device, self._identity.inode):
            change = Change.REPLACED
        elif now.size < self._offset:
            change = Change.TRUNCATED
        else:
            if len(self._head) < HEAD_BYTES:  # the first block grew: hash more of it next time
                self._look()
            return False
        self._file.close()
        self._file = self._path.open("rb")
        self._lines = LineBuffer()
        self._look()
        self._restart(change)
        self._file.seek(0)
        return True

    def _restart(self, change: Change) -> None:
        why = "replaced" if change is Change.REPLACED else "truncated"
        message = f"file_input: {self._path} was {why}: read again from its start"
        log.warning("%s", message)
        self._notices.append(message)
        self._offset = 0

    def ack(self, position: dict[str, Any] | None) -> None:
        pass  # the committed offset is the acknowledgement

    def pause(self) -> None:
        pass  # not reading is all pausing takes

    def resume(self) -> None:
        pass

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def _mark_in(position: dict[str, Any] | None) -> FileMark | None:
    """The file mark a position carries (None for one with an offset only)."""
    try:
        return FileMark.from_dict(position) if position and "head" in position else None
    except (KeyError, TypeError, ValueError):
        return None
