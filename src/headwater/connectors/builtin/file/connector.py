"""Read files from directories the operator allows; incremental by byte offset and file
identity (`headwater.connectors.file_positions`)."""

from __future__ import annotations

import glob
import os
from collections.abc import Generator, Iterator, Mapping, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import pyarrow as pa

from headwater.connectors.bad_data import bad_data_is_terminal
from headwater.connectors.builtin.file.spec import SPEC
from headwater.connectors.file_positions import (
    HEAD_BYTES,
    HEADER_FORMATS,
    FileMarks,
    FileStat,
    header_line,
    is_line_oriented,
    read_head,
    to_parse,
)
from headwater.connectors.sdk import Checkpoint, Notice, TerminalError
from headwater.domain.datasets import Column
from headwater.tabular.file_formats import format_of, read_configured
from headwater.tabular.types import columns_from_arrow

_GLOB_CHARS = set("*?[")


class FileConnector:
    """Files on the server: CSV, TSV, JSON, NDJSON or Parquet, from a path, a directory or a
    glob inside the directories the operator allows."""

    name = "file"

    def __init__(self, allowed_dirs: Sequence[str] = ()) -> None:
        self._allowed = [Path(d).resolve() for d in allowed_dirs]

    def spec(self) -> dict[str, Any]:
        return SPEC

    def check(self, config: Mapping[str, Any]) -> None:
        self._files(config)

    def discover(self, config: Mapping[str, Any]) -> list[Column]:
        for path in self._files(config):
            with closing(self._read(path, config)) as batches:  # closes the file at once
                first = next(batches, None)
            if first is not None:
                return columns_from_arrow(first.schema)
        raise TerminalError(f"no file matches {config['path']!r}, so there is no schema yet")

    def read(
        self, config: Mapping[str, Any], state: Mapping[str, Any]
    ) -> Iterator[pa.RecordBatch | Checkpoint | Notice]:
        marks = FileMarks(state, enabled=bool(config.get("incremental")))
        for path in self._files(config):
            with bad_data_is_terminal():
                fmt = format_of(path.name, str(config.get("format", "auto")))
            name = str(path)
            with path.open("rb") as source:
                status = os.fstat(source.fileno())
                now = FileStat(status.st_size, status.st_mtime, status.st_dev, status.st_ino)
                head = source.read(HEAD_BYTES)[: now.size]
                lines = is_line_oriented(fmt, name)
                plan = marks.plan(name, now, head, lines)
                notice = plan.notice(name)
                if notice:
                    yield Notice(notice)
                if not plan.reads:
                    marks.done(name, now, head, plan.start)
                    continue
                prefix = b""
                if plan.start and fmt in HEADER_FORMATS and config.get("header", True):
                    prefix = header_line(lambda n: read_head(source, n))
                parsed, end = to_parse(
                    source, plan.start, now.size, lines=lines and marks.enabled, prefix=prefix
                )
                if parsed is not None:
                    with bad_data_is_terminal():
                        yield from read_configured(parsed, fmt, name, config)
            yield Checkpoint(marks.done(name, now, head, end))
        final = marks.final()
        if final is not None:
            yield Checkpoint(final)

    def _read(self, path: Path, config: Mapping[str, Any]) -> Generator[pa.RecordBatch, None, None]:
        with bad_data_is_terminal(), path.open("rb") as source:
            fmt = format_of(path.name, str(config.get("format", "auto")))
            yield from read_configured(source, fmt, str(path), config)

    def _files(self, config: Mapping[str, Any]) -> list[Path]:
        """Matching files, oldest first, each proven to lie inside an allowed directory."""
        pattern = os.path.expanduser(str(config["path"]))
        if not os.path.isabs(pattern) and self._allowed:  # relative to the first allowed dir
            pattern = str(self._allowed[0] / pattern)
        if not any(c in _GLOB_CHARS for c in pattern):
            target = Path(pattern)
            self._ensure_allowed(target)
            if target.is_dir():
                pattern = str(target / "*")
            elif not target.is_file():
                raise TerminalError(f"no such file: {target}")
        else:
            self._ensure_allowed(Path(_fixed_prefix(pattern)))
        files = [Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file()]
        for path in files:  # a symlink inside may point outside
            self._ensure_allowed(path)
        return sorted(files, key=lambda p: (p.stat().st_mtime, str(p)))

    def _ensure_allowed(self, path: Path) -> None:
        real = path.resolve()
        if not any(real == root or root in real.parents for root in self._allowed):
            allowed = ", ".join(str(r) for r in self._allowed) or "none configured"
            raise TerminalError(
                f"{path} is outside the directories this server may read ({allowed})"
            )


def _fixed_prefix(pattern: str) -> str:
    """The directory part of a glob before its first wildcard."""
    parts: list[str] = []
    for part in Path(pattern).parts:
        if any(c in _GLOB_CHARS for c in part):
            break
        parts.append(part)
    return str(Path(*parts)) if parts else "."
