"""The scheduler's use cases: claim due ticks and due retries, start their executions.

One pass (`run_due`) looks at the streams whose next tick or pending retry has come. Each
claim is one metadata transaction that moves the stream's next tick forward with a
compare-and-set and records the tick under its (stream, due moment) idempotency key, so
however many server processes share the database and race for a tick, one wins and the
others find it taken. The winner starts the execution and dispatches it to its own executor.

- A tick while the stream's previous execution still runs is SKIPPED and recorded; nothing
  queues behind a slow run.
- After downtime the first missed tick is claimed once, as the catch-up run, and the next
  tick is the first one after now: at most one catch-up, then the normal cadence.
- A failed scheduled run is retried per the stream's retry policy (see `retries.py`): the
  retry is a new execution pointing at the failed one (`retryExecution`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from headwater.domain import access
from headwater.domain.errors import Conflict
from headwater.domain.executions import Execution, ExecutionState, Phase, RunType, new_toe
from headwater.domain.ports.ingest import RunDispatcher
from headwater.domain.ports.unit_of_work import Clock, UnitOfWork, UnitOfWorkFactory
from headwater.domain.streams import Stream
from headwater.domain.ticks import Tick, TickOutcome
from headwater.domain.users import Principal
from headwater.services.ingest.streams import authorize_stream

log = logging.getLogger(__name__)

MAX_PAGE = 500
PRUNE_EVERY = 100  # prune a stream's tick history every this many claims


@dataclass(frozen=True)
class SchedulerLimits:
    batch: int = 100  # streams looked at per pass
    keep_ticks: int = 1000  # tick records kept per stream


class Scheduler:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        runner_id: str,
        dispatcher: RunDispatcher | None,
        limits: SchedulerLimits | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._runner_id = runner_id
        self.dispatcher = dispatcher
        self._limits = limits or SchedulerLimits()

    def run_due(self) -> list[int]:
        """Claim every due tick and retry; the ids of the executions this process started."""
        now = self._clock.now()
        with self._uow() as uow:
            due = uow.streams.due(now, self._limits.batch)
        started: list[int] = []
        for stream in due:
            for claim in (self._claim_tick, self._claim_retry):
                try:
                    execution_id = claim(stream, now)
                except Exception:  # one broken stream must not stop the others
                    log.exception("scheduling stream %s failed", stream.id)
                    continue
                if execution_id is not None:
                    started.append(execution_id)
                    if self.dispatcher is not None:
                        self.dispatcher.dispatch(execution_id)
        return started

    def wake_at(self) -> datetime | None:
        """When the next tick or retry of any stream is due."""
        with self._uow() as uow:
            return uow.streams.earliest_due()

    def ticks(self, actor: Principal, stream_id: int, limit: int, offset: int) -> list[Tick]:
        """The stream's claimed ticks, newest first: what ran, what was skipped and why."""
        with self._uow() as uow:
            authorize_stream(uow, actor, stream_id, access.VIEW)
            return uow.ticks.page(stream_id, min(limit, MAX_PAGE), offset)

    # -- claims ---------------------------------------------------------------------------
    def _claim_tick(self, seen: Stream, now: datetime) -> int | None:
        due_at = seen.next_run_at
        if due_at is None or due_at > now:
            return None
        with self._uow() as uow:
            stream = uow.streams.find(seen.id)
            if stream is None or stream.next_run_at != due_at:
                return None  # moved meanwhile: claimed elsewhere, or rescheduled
            if not uow.streams.move_next_run(stream.id, due_at, stream.next_run_after(now)):
                return None
            later = stream.next_run_after(due_at)
            tick = Tick(
                stream_id=stream.id,
                due_at=due_at,
                claimed_at=now,
                claimed_by=self._runner_id,
                outcome=TickOutcome.STARTED,
                catch_up=later is not None and later <= now,
            )
            if tick.catch_up:
                tick.note = "one run for every tick missed since this one"
            execution = self._start_or_skip(uow, stream, tick, now)
            if not uow.ticks.add(tick):
                return None  # another process holds this tick: leave without committing
            if tick.id % PRUNE_EVERY == 0:
                uow.ticks.prune(stream.id, self._limits.keep_ticks)
            uow.commit()
        return execution.id if execution else None

    def _start_or_skip(
        self, uow: UnitOfWork, stream: Stream, tick: Tick, now: datetime
    ) -> Execution | None:
        active = uow.executions.active_for_stream(stream.id)
        if active is None:
            try:
                execution = uow.executions.add(self._new_execution(stream, now))
            except Conflict:  # a manual run started this very moment
                active = uow.executions.active_for_stream(stream.id)
            else:
                tick.execution_id = execution.id
                if stream.retry_of is not None:  # a fresh tick supersedes a waiting retry
                    uow.streams.set_retry(stream.id, None, None, expected_of=stream.retry_of)
                return execution
        tick.outcome = TickOutcome.SKIPPED
        tick.execution_id = active.id if active else None
        tick.note = f"execution {active.id if active else '?'} was still running"
        return None

    def _claim_retry(self, seen: Stream, now: datetime) -> int | None:
        failed_id = seen.retry_of
        if failed_id is None or seen.retry_due_at is None or seen.retry_due_at > now:
            return None
        with self._uow() as uow:
            if not uow.streams.set_retry(seen.id, None, None, expected_of=failed_id):
                return None  # claimed elsewhere
            stream = uow.streams.find(seen.id)
            failed = uow.executions.find(failed_id)
            latest = uow.executions.list_for_stream(seen.id, 1, 0)
            if (
                stream is None
                or failed is None
                or failed.state is not ExecutionState.ERROR
                or not latest
                or latest[0].id != failed.id  # a later run has happened since
            ):
                uow.commit()
                return None
            retry = self._new_execution(stream, now)
            retry.attempt = failed.attempt + 1
            retry.retry_count = failed.attempt
            retry.retry_execution = failed.id
            try:
                uow.executions.add(retry)
            except Conflict:
                return None  # something else runs now; the retry stays due
            uow.commit()
        return retry.id

    def _new_execution(self, stream: Stream, now: datetime) -> Execution:
        return Execution(
            id=0,
            stream_id=stream.id,
            dataset_id=stream.dataset_id,
            state=ExecutionState.ACTIVE,
            phase=Phase.UPLOADING,
            run_type=RunType.AUTOMATED,
            update_method=stream.update_method,
            started_at=now,
            started_by=stream.owner_id,
            toe=new_toe(),
            runner_id=self._runner_id,
        )
