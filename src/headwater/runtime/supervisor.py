"""The supervisor of continuous connectors: runs the pipelines whose lease this process holds.

Every `poll_seconds` it reads what the API asked for. A started pipeline nobody holds (or
whose lease lapsed) is taken with a compare-and-set on its lease row, then its connectors run
here until it is stopped, deleted, or the lease is lost; the lease is renewed every third of
its length. Several `headwater serve` processes may share one database: the lease keeps each
pipeline's connectors in exactly one of them, and a commit is made only while the lease is
known to be held. Stopping the process commits what the connectors buffered and lets go.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from datetime import UTC, datetime

from headwater.connectors.sdk import SourceFactory
from headwater.domain.egress import EgressPolicy
from headwater.domain.pipelines import Pipeline, RuntimeStatus
from headwater.runtime.pipeline_worker import PipelineWorker
from headwater.services.pipelines.commits import PipelineCommits
from headwater.services.pipelines.runs import PipelineRuns
from headwater.settings import PipelineSettings

log = logging.getLogger(__name__)


class Supervisor:
    def __init__(
        self,
        runs: PipelineRuns,
        commits: PipelineCommits,
        factories: dict[str, SourceFactory],
        settings: PipelineSettings,
        allowed_dirs: tuple[str, ...] = (),
        egress: EgressPolicy | None = None,
    ) -> None:
        # Who holds a lease, as `deployment_location` shows it: host, process and a nonce.
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._runs = runs
        self._commits = commits
        self._factories = factories
        self._settings = settings
        self._allowed_dirs = allowed_dirs
        self._egress = egress or EgressPolicy()
        self._workers: dict[str, PipelineWorker] = {}
        self._renewed: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="supervisor", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)
        for pipeline_id in list(self._workers):
            self._let_go(pipeline_id, flush=True)

    def running(self) -> list[str]:
        return list(self._workers)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._tick()
            except Exception:
                log.exception("supervisor tick failed")
            self._stop.wait(self._settings.poll_seconds)

    def _tick(self) -> None:
        pipelines = {p.id: p for p in self._runs.all()}
        for pipeline_id in [p for p in self._workers if p not in pipelines]:
            self._let_go(pipeline_id, flush=False)  # deleted under us
        for pipeline in pipelines.values():
            if self._stop.is_set():
                return
            if pipeline.deployed:
                self._run(pipeline)
            elif pipeline.id in self._workers:
                self._let_go(pipeline.id, flush=True)
            elif pipeline.lease_owner == self.owner:
                self._runs.release(pipeline.id, self.owner)

    def _run(self, pipeline: Pipeline) -> None:
        worker = self._workers.get(pipeline.id)
        now = time.monotonic()
        if worker is None:
            if pipeline.lease_owner not in (None, self.owner) and pipeline.lease_live(_utcnow()):
                return  # another process runs it
            if not self._runs.take_lease(pipeline.id, self.owner, self._settings.lease_seconds):
                return
            self._renewed[pipeline.id] = now
            self._runs.report(pipeline.id, self.owner, RuntimeStatus.INITIALIZING)
            fresh, states = self._runs.find(pipeline.id)
            if fresh is None:
                return
            worker = PipelineWorker(
                fresh,
                states,
                self._factories,
                self._commits,
                self._runs,
                self._settings,
                lambda: self._lease_ok(pipeline.id),
                self._allowed_dirs,
                self._egress,
                self._runs.chosen_by_admin(fresh),
            )
            worker.reported = RuntimeStatus.INITIALIZING.value
            worker.update(fresh, states)
            worker.start()
            self._workers[pipeline.id] = worker
            log.info("running pipeline %s (lease %s)", pipeline.name, self.owner)
            return
        if worker.lease_lost:  # its commits stopped (renewals were late): start over
            log.warning("connectors of %s stopped for want of the lease; restarting", pipeline.name)
            self._workers.pop(pipeline.id).stop(flush=False)
            self._renewed.pop(pipeline.id, None)
            return
        if now - self._renewed.get(pipeline.id, 0) >= self._settings.lease_seconds / 3:
            if not self._runs.take_lease(pipeline.id, self.owner, self._settings.lease_seconds):
                log.warning("lost the lease of %s; stopping its connectors", pipeline.name)
                self._workers.pop(pipeline.id).stop(flush=False)
                return
            self._renewed[pipeline.id] = now
        _, states = self._runs.find(pipeline.id)
        worker.update(pipeline, states)
        status = pipeline.desired.value if worker.ready else RuntimeStatus.INITIALIZING.value
        if status != worker.reported and self._runs.report(
            pipeline.id, self.owner, RuntimeStatus(status)
        ):
            worker.reported = status

    def _lease_ok(self, pipeline_id: str) -> bool:
        """Held, with margin: renewed within the last 80% of the lease's length."""
        renewed = self._renewed.get(pipeline_id)
        return (
            renewed is not None and time.monotonic() - renewed < self._settings.lease_seconds * 0.8
        )

    def _let_go(self, pipeline_id: str, flush: bool) -> None:
        worker = self._workers.pop(pipeline_id, None)
        if worker is not None:
            worker.stop(flush)
        self._renewed.pop(pipeline_id, None)
        try:
            self._runs.release(pipeline_id, self.owner)
        except Exception:
            log.exception("releasing the lease of %s", pipeline_id)


def _utcnow() -> datetime:
    return datetime.now(UTC)
