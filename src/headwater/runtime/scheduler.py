"""The scheduler loop: claim what is due, then sleep until the next tick or the poll bound.

Sleeping until the earliest due moment (read from the database) makes a one-second schedule
fire on time; the poll bound makes a schedule created or changed by another process, which
cannot wake this one, start at most that late.
"""

from __future__ import annotations

from headwater.runtime.loop import Loop
from headwater.services.clock import SystemClock
from headwater.services.ingest.scheduler import Scheduler

SOONEST = 0.01  # seconds: never spin


def scheduler_loop(scheduler: Scheduler, poll_seconds: float) -> Loop:
    clock = SystemClock()

    def step() -> float:
        scheduler.run_due()
        wake = scheduler.wake_at()
        if wake is None:
            return poll_seconds
        until = (wake - clock.now()).total_seconds()
        return min(poll_seconds, max(SOONEST, until))

    return Loop("headwater-scheduler", step)
