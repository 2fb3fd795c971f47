"""`file_input`: a file on the server, read line by line, then (`follow: true`) followed.

Config: `{"path": "/data/in.jsonl", "follow": false}`. The path must lie inside a directory
the operator allows (`HEADWATER_FILE_ROOTS`). The position is the byte offset after the last
committed line, so a restart reads on from there; a line still being written (no newline yet)
waits until it is complete. Without `follow`, the end of the file is the end of input.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import IO, Any

from headwater.runtime.continuous.lines import LineBuffer
from headwater.runtime.continuous.source import FatalSourceError, Fetched, SourceContext

READ_BYTES = 4 << 20


def allowed_path(raw: str, allowed_dirs: tuple[str, ...], reader: str = "file_input") -> Path:
    """`raw` resolved (links followed), if it lies inside one of the allowed directories.
    `reader` names who asks, in the error (`file_input`, or a TLS field of a transport)."""
    if not raw:
        raise FatalSourceError(f"{reader} needs a 'path'")
    real = Path(raw).resolve()
    roots = [Path(d).resolve() for d in allowed_dirs]
    if not any(real == root or root in real.parents for root in roots):
        shown = ", ".join(str(r) for r in roots) or "none"
        raise FatalSourceError(
            f"{reader} may read only inside the allowed directories ({shown}); {raw!r} is not"
        )
    return real


class FileSource:
    def __init__(self, context: SourceContext) -> None:
        self._path = allowed_path(str(context.config.get("path") or ""), context.allowed_dirs)
        self._follow = bool(context.config.get("follow", False))
        self._file: IO[bytes] | None = None
        self._lines = LineBuffer()
        self._offset = 0  # bytes handed over as complete lines

    def open(self, position: dict[str, Any] | None) -> None:
        self._offset = int((position or {}).get("offset", 0))
        if not self._path.is_file():
            if self._follow:
                return  # it may appear later
            raise FatalSourceError(f"file_input: no file {str(self._path)!r}")
        self._file = self._path.open("rb")
        self._file.seek(self._offset)

    def fetch(self, max_records: int, timeout: float) -> Fetched:
        if self._file is None:
            if self._path.is_file():
                self.open({"offset": self._offset})
            else:
                time.sleep(min(timeout, 0.1))
                return Fetched(position={"offset": self._offset})
        assert self._file is not None
        chunk = self._file.read(min(READ_BYTES, max(4096, max_records * 64)))
        at_end = len(chunk) == 0
        lines, used = self._lines.feed(chunk, final=at_end and not self._follow)
        self._offset += used
        if lines or not at_end:
            return Fetched(payloads=lines, position={"offset": self._offset}, nbytes=used)
        if not self._follow:
            return Fetched(position={"offset": self._offset}, end_of_input=True)
        time.sleep(min(timeout, 0.1))  # at the end: wait for the file to grow
        return Fetched(position={"offset": self._offset})

    def ack(self, position: dict[str, Any] | None) -> None:
        pass  # the committed offset is the acknowledgement

    def pause(self) -> None:
        pass  # not reading is all pausing takes

    def resume(self) -> None:
        pass

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
