"""A background loop on its own thread: one pass, then sleep until the next is wanted.

Started by `Runtime.start()` and stopped by `Runtime.close()`. A pass that raises is logged
and the loop goes on: a background service must outlive one bad pass.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Loop:
    def __init__(self, name: str, step: Callable[[], float]) -> None:
        """`step` runs one pass and returns how many seconds to sleep before the next."""
        self.name = name
        self._step = step
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                pause = self._step()
            except Exception:
                log.exception("%s: a pass failed", self.name)
                pause = 1.0
            self._stop.wait(max(0.0, pause))
