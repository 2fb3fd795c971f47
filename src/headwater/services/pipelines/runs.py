"""What the supervisor of continuous connectors needs: leases, flags, progress, start_after.

A pipeline's connectors run in exactly one `headwater serve` process at a time: the one that
holds the pipeline's lease in the metadata database. The holder renews it while it runs; when
it lapses (the process died or hung) another process takes it over.
"""

from __future__ import annotations

from datetime import timedelta

from headwater.domain.pipelines import (
    ConnectorState,
    Pipeline,
    RuntimeStatus,
    ready_to_start,
)
from headwater.domain.ports.unit_of_work import Clock, UnitOfWorkFactory


class PipelineRuns:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def all(self) -> list[Pipeline]:
        with self._uow() as uow:
            return uow.pipelines.all()

    def chosen_by_admin(self, pipeline: Pipeline) -> bool:
        """Whether an admin set the program, so its connectors' destinations: the egress
        policy's admin exemption follows whoever chose them, not who started the pipeline."""
        with self._uow() as uow:
            chooser = uow.users.find(pipeline.chooser)
            return chooser is not None and chooser.is_admin

    def find(self, pipeline_id: str) -> tuple[Pipeline | None, list[ConnectorState]]:
        with self._uow() as uow:
            pipeline = uow.pipelines.find(pipeline_id)
            states = uow.pipelines.connectors(pipeline_id) if pipeline else []
            return pipeline, states

    def take_lease(self, pipeline_id: str, owner: str, seconds: float) -> bool:
        now = self._clock.now()
        with self._uow() as uow:
            taken = uow.pipelines.take_lease(
                pipeline_id, owner, now, now + timedelta(seconds=seconds)
            )
            uow.commit()
            return taken

    def release(self, pipeline_id: str, owner: str) -> None:
        with self._uow() as uow:
            uow.pipelines.release_lease(pipeline_id, owner)
            uow.commit()

    def report(self, pipeline_id: str, owner: str, status: RuntimeStatus) -> bool:
        with self._uow() as uow:
            held = uow.pipelines.report_runtime(pipeline_id, owner, status)
            uow.commit()
            return held

    def save_progress(self, states: list[ConnectorState]) -> None:
        with self._uow() as uow:
            for state in states:
                uow.pipelines.save_connector_progress(state)
            uow.commit()

    def start_ready(self, pipeline: Pipeline, states: list[ConnectorState]) -> list[str]:
        """Start the connectors whose `start_after` labels have all reached end of input."""
        ready = ready_to_start(pipeline.program, states)
        if not ready:
            return []
        with self._uow() as uow:
            for table, name in ready:
                uow.pipelines.set_connector_flags(
                    pipeline.id, table, name, paused=False, waiting=False
                )
            uow.commit()
        return [f"{t}.{n}" for t, n in ready]
