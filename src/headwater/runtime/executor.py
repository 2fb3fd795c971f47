"""The in-process executor: connector runs on a small thread pool.

The pool is bounded, so a burst of runs queues instead of starving the API of threads.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor

from headwater.services.ingest.connector_runs import ConnectorRuns

log = logging.getLogger(__name__)


class ThreadExecutor:
    def __init__(self, runs: ConnectorRuns, workers: int = 2) -> None:
        self._runs = runs
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="headwater-run")
        self._futures: set[Future[object]] = set()

    def dispatch(self, execution_id: int) -> None:
        future: Future[object] = self._pool.submit(self._run, execution_id)
        self._futures.add(future)
        future.add_done_callback(self._futures.discard)

    def _run(self, execution_id: int) -> object:
        try:
            return self._runs.run(execution_id)
        except Exception:  # the run records its own failure; never kill the worker
            log.exception("connector run %s crashed", execution_id)
            return None

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)
