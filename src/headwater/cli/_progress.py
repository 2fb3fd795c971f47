"""Progress a person can watch: a live Rich bar on a terminal, plain lines in logs.

On a terminal an upload shows a bar with bytes, rate and time left, and a followed run a
live line of its state, rows, bytes and elapsed time. Elsewhere (CI logs, pipes) each shows
one line per step instead (per finished part, per change of the run), which reads well in a
log and never floods it.
"""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from headwater.cli._output import seconds, size
from headwater.client import Execution, UploadProgress


class UploadDisplay:
    def __init__(self, console: Console, label: str, total: int) -> None:
        self._console = console
        self._label = label
        self._total = total
        self._started = time.monotonic()
        self._parts_seen = -1
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> UploadDisplay:
        if self._console.is_interactive:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                TextColumn("{task.fields[parts]}"),
                console=self._console,
            )
            self._progress.start()
            self._task = self._progress.add_task(self._label, total=self._total, parts="")
        return self

    def __call__(self, update: UploadProgress) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(
                self._task,
                completed=update.bytes_done,
                total=update.bytes_total,
                parts=f"parts {update.parts_done}/{update.parts_total}",
            )
        elif update.parts_done != self._parts_seen:
            self._parts_seen = update.parts_done
            elapsed = max(time.monotonic() - self._started, 1e-6)
            rate = update.bytes_done / elapsed
            left = (update.bytes_total - update.bytes_done) / rate if rate else None
            self._console.print(
                f"{self._label}: parts {update.parts_done}/{update.parts_total}  "
                f"{size(update.bytes_done)} / {size(update.bytes_total)}  "
                f"{size(rate)}/s  ETA {seconds(left)}",
                highlight=False,
            )

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()


def describe(execution: Execution) -> str:
    phase = f" {execution.phase}" if execution.phase and not execution.finished else ""
    return (
        f"execution {execution.id}: {execution.state}{phase}  "
        f"{execution.rows:,} rows  {size(execution.bytes)}"
    )


class FollowDisplay:
    def __init__(self, console: Console) -> None:
        self._console = console
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> FollowDisplay:
        if self._console.is_interactive:
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=self._console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("starting", total=None)
        return self

    def __call__(self, execution: Execution) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=describe(execution))
        else:
            self._console.print(describe(execution), highlight=False)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
