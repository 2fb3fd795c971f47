"""Read files from an SFTP server.

Each matched file is downloaded into a temporary file, read from disk with the shared
`tabular.file_formats` readers, then deleted, so memory stays bounded whatever the file's
size (Parquet needs random access, which a download gives for free). A Checkpoint follows each file.

Incremental as the file connector (`connectors.file_positions`): appended lines are
downloaded and read once (only the bytes past the offset are fetched), a replaced or
truncated file is read again from its start. SFTP tells no inode, so a replaced file is known
by its first block's hash (or a size below the offset read).
"""

from __future__ import annotations

import tempfile
from collections.abc import Generator, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from headwater.connectors.bad_data import bad_data_is_terminal
from headwater.connectors.builtin.sftp.spec import SPEC
from headwater.connectors.file_positions import (
    HEAD_BYTES,
    HEADER_FORMATS,
    FileMarks,
    FileStat,
    header_line,
    is_line_oriented,
    to_parse,
)
from headwater.connectors.sdk import Checkpoint, Notice, TerminalError
from headwater.domain.datasets import Column
from headwater.tabular.file_formats import format_of, read_configured
from headwater.tabular.types import columns_from_arrow

if TYPE_CHECKING:
    from headwater.connectors.builtin.sftp.session import SftpSession


class SftpConnector:
    """Files on an SFTP server: CSV, TSV, JSON, NDJSON or Parquet, from a path, a directory or
    a glob, logging in with a password or a private key.

    Operator options: `connect_timeout` (seconds to connect and log in), `keepalive_interval`
    (seconds between keepalives; three unanswered ones drop a dead connection) and `temp_dir`
    (where downloads are spooled; the system's temporary directory by default).
    """

    name = "sftp"

    def __init__(
        self,
        connect_timeout: float = 30.0,
        keepalive_interval: float = 15.0,
        temp_dir: str | None = None,
    ) -> None:
        self._connect_timeout = connect_timeout
        self._keepalive_interval = keepalive_interval
        self._temp_dir = temp_dir

    def spec(self) -> dict[str, Any]:
        return SPEC

    def check(self, config: Mapping[str, Any]) -> None:
        with self._session(config) as session:
            session.files(_pattern(config))

    def discover(self, config: Mapping[str, Any]) -> list[Column]:
        with self._session(config) as session, _spool(self._temp_dir) as local:
            for remote in session.files(_pattern(config)):
                fmt = _format(remote.path, config)
                session.download(remote.path, local)
                batches = _batches(local, remote.path, fmt, config)
                try:
                    first = next(batches, None)
                finally:
                    batches.close()
                if first is not None:
                    return columns_from_arrow(first.schema)
        raise TerminalError(f"no file matches {_pattern(config)!r}, so there is no schema yet")

    def read(
        self, config: Mapping[str, Any], state: Mapping[str, Any]
    ) -> Iterator[pa.RecordBatch | Checkpoint | Notice]:
        marks = FileMarks(state, enabled=bool(config.get("incremental")))
        with self._session(config) as session, _spool(self._temp_dir) as local:
            for remote in session.files(_pattern(config)):
                fmt = _format(remote.path, config)  # before downloading what cannot be read
                now = FileStat(remote.size, remote.mtime)  # SFTP tells no inode
                head = (
                    session.head(remote.path, min(HEAD_BYTES, now.size)) if marks.enabled else b""
                )
                lines = is_line_oriented(fmt, remote.path) and marks.enabled
                plan = marks.plan(remote.path, now, head, lines)
                notice = plan.notice(remote.path)
                if notice:
                    yield Notice(notice)
                if not plan.reads:
                    marks.done(remote.path, now, head, plan.start)
                    continue
                if lines:  # only the bytes not read yet, up to the size listed
                    session.download_range(remote.path, plan.start, now.size - plan.start, local)
                else:
                    session.download(remote.path, local)
                prefix = b""
                if plan.start and fmt in HEADER_FORMATS and config.get("header", True):
                    prefix = header_line(partial(session.head, remote.path))
                with local.open("rb") as source:
                    parsed, end = to_parse(
                        source,
                        plan.start,
                        now.size,
                        base=plan.start if lines else 0,
                        lines=lines,
                        prefix=prefix,
                    )
                    if parsed is not None:
                        with bad_data_is_terminal():
                            yield from read_configured(parsed, fmt, remote.path, config)
                local.unlink()
                yield Checkpoint(marks.done(remote.path, now, head, end))
            final = marks.final()
            if final is not None:
                yield Checkpoint(final)

    def _session(self, config: Mapping[str, Any]) -> SftpSession:
        # asyncssh is imported on first use, not at every server start (about half a second).
        from headwater.connectors.builtin.sftp.session import SftpSession

        return SftpSession(
            config,
            connect_timeout=self._connect_timeout,
            keepalive_interval=self._keepalive_interval,
        )


@contextmanager
def _spool(directory: str | None) -> Iterator[Path]:
    """A local path for one download at a time, in a folder removed on exit."""
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="headwater-sftp-", dir=directory) as folder:
        yield Path(folder) / "download"


def _pattern(config: Mapping[str, Any]) -> str:
    return str(config.get("path") or ".")


def _format(remote: str, config: Mapping[str, Any]) -> str:
    with bad_data_is_terminal():
        return format_of(remote, str(config.get("format", "auto")))


def _batches(
    local: Path, remote: str, fmt: str, config: Mapping[str, Any]
) -> Generator[pa.RecordBatch, None, None]:
    with bad_data_is_terminal(), local.open("rb") as source:
        yield from read_configured(source, fmt, remote, config)
