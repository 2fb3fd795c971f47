"""After a scheduled run fails: set its retry, per the stream's policy, in the same transaction.

Only scheduled (AUTOMATED) runs are retried this way, and only while the stream's schedule is
active: a manual run's failure is for the person who started it to see. Retry number n waits
`policy.delay(n)` (doubling, capped); the scheduler claims it when due, unless a later run of
the stream has happened meanwhile (see `scheduler.py`).
"""

from __future__ import annotations

from datetime import timedelta

from headwater.domain.executions import Execution, ExecutionState, RunType
from headwater.domain.ports.unit_of_work import UnitOfWork
from headwater.domain.retries import RetryPolicy


class ScheduledRetries:
    def __init__(self, default_policy: RetryPolicy) -> None:
        self.default_policy = default_policy

    def after_end(self, uow: UnitOfWork, execution: Execution) -> None:
        if (
            execution.state is not ExecutionState.ERROR
            or execution.run_type is not RunType.AUTOMATED
        ):
            return
        stream = uow.streams.find(execution.stream_id)
        if stream is None or not stream.schedule_active or execution.ended_at is None:
            return
        policy = stream.retry_policy or self.default_policy
        if policy.gives_up(execution.attempt):
            return
        due = execution.ended_at + timedelta(seconds=policy.delay(execution.attempt))
        uow.streams.set_retry(stream.id, due, execution.id, expected_of=stream.retry_of)
