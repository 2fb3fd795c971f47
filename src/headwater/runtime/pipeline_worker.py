"""The connectors of one pipeline this process holds the lease of, and their upkeep.

Its thread saves the connectors' counters for the API (any process may answer `/stats`),
starts connectors whose `start_after` labels finished, and compacts the tables' small files.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from headwater.connectors.egress import EgressGuard
from headwater.connectors.sdk import SourceFactory
from headwater.domain.egress import EgressPolicy
from headwater.domain.pipelines import ConnectorState, DesiredStatus, Pipeline
from headwater.runtime.connector_worker import ConnectorWorker
from headwater.runtime.guarded_source import guarded_factory
from headwater.services.pipelines.commits import PipelineCommits
from headwater.services.pipelines.runs import PipelineRuns
from headwater.settings import PipelineSettings

log = logging.getLogger(__name__)

SAVE_EVERY_SECONDS = 0.5


class PipelineWorker:
    def __init__(
        self,
        pipeline: Pipeline,
        states: list[ConnectorState],
        factories: dict[str, SourceFactory],
        commits: PipelineCommits,
        runs: PipelineRuns,
        settings: PipelineSettings,
        lease_ok: Callable[[], bool],
        allowed_dirs: tuple[str, ...] = (),
        egress: EgressPolicy | None = None,
        chosen_by_admin: bool = False,
    ) -> None:
        self.pipeline = pipeline
        self.reported: str | None = None
        self._runs = runs
        self._commits = commits
        self._settings = settings
        self._stop = threading.Event()
        self.workers: list[ConnectorWorker] = []
        by_endpoint = {s.endpoint: s for s in states}
        for table in pipeline.program.tables:
            for connector in table.connectors:
                state = by_endpoint.get(f"{table.name}.{connector.name}")
                factory = factories.get(connector.transport)
                if state is None:
                    continue
                if factory is None:
                    state.stats.fatal_error = f"unknown transport {connector.transport!r}"
                    self._runs.save_progress([state])
                    continue
                # each connector's connections pass the egress policy, exempt only if an
                # admin set the program that chose its destination
                guard = EgressGuard(egress or EgressPolicy(), chosen_by_admin)
                self.workers.append(
                    ConnectorWorker(
                        pipeline,
                        table,
                        connector,
                        state,
                        guarded_factory(factory, guard),
                        commits,
                        settings,
                        lease_ok,
                        allowed_dirs,
                    )
                )
        self._thread = threading.Thread(
            target=self._upkeep, name=f"pipeline {pipeline.name}", daemon=True
        )

    def start(self) -> None:
        for worker in self.workers:
            worker.start()
        self._thread.start()

    @property
    def lease_lost(self) -> bool:
        return any(w.lease_lost for w in self.workers)

    @property
    def ready(self) -> bool:
        return all(w.opened.is_set() for w in self.workers)

    def update(self, pipeline: Pipeline, states: list[ConnectorState]) -> None:
        """The desired flags as stored: the pipeline's status and each connector's."""
        self.pipeline = pipeline
        running = pipeline.desired is DesiredStatus.RUNNING
        by_endpoint = {s.endpoint: s for s in states}
        for worker in self.workers:
            state = by_endpoint.get(f"{worker.table.name}.{worker.connector.name}")
            if state is not None:
                worker.update(running, state)

    def stop(self, flush: bool = True, timeout: float = 30.0) -> None:
        for worker in self.workers:
            worker.stop(flush)
        deadline = time.monotonic() + timeout
        for worker in self.workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        self._stop.set()
        self._thread.join(timeout)
        if flush:
            self._save()

    def _save(self) -> None:
        try:
            self._runs.save_progress([w.snapshot() for w in self.workers])
        except Exception:
            log.exception("saving connector stats of %s", self.pipeline.name)

    def _upkeep(self) -> None:
        last_compaction = time.monotonic()
        while not self._stop.wait(SAVE_EVERY_SECONDS):
            self._save()
            snapshots = [w.snapshot() for w in self.workers]
            if any(s.end_of_input for s in snapshots) and any(s.waiting for s in snapshots):
                started = self._runs.start_ready(self.pipeline, snapshots)
                if started:
                    log.info(
                        "%s: started after their labels finished: %s", self.pipeline.name, started
                    )
            if time.monotonic() - last_compaction >= self._settings.compact_every_seconds:
                last_compaction = time.monotonic()
                self._compact()

    def _compact(self) -> None:
        for table in self.pipeline.program.tables:
            try:
                removed = self._commits.compact(
                    self.pipeline,
                    table.name,
                    self._settings.compact_min_files,
                    self._settings.vacuum_retention_hours,
                )
                if removed:
                    log.info("%s.%s: vacuumed %d files", self.pipeline.name, table.name, removed)
            except Exception:
                log.exception("compacting %s.%s", self.pipeline.name, table.name)
