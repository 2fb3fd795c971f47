"""The liveness loop: renew this process's heartbeat; settle what gone processes left.

Every pass renews the heartbeat; every few passes (about one lease) it sweeps: executions of
runners that died or lapsed are settled by `Recovery.settle_gone`, the same rules as at start.
"""

from __future__ import annotations

import itertools

from headwater.runtime.loop import Loop
from headwater.services.ingest.recovery import Recovery
from headwater.services.runners import Runners

LIVENESS = "headwater-liveness"


def liveness_loop(runners: Runners, recovery: Recovery, heartbeat_seconds: float) -> Loop:
    sweep_every = max(1, round(runners.lease.total_seconds() / heartbeat_seconds / 2))
    passes = itertools.count(1)

    def step() -> float:
        runners.heartbeat()
        if next(passes) % sweep_every == 0:
            recovery.settle_gone()
        return heartbeat_seconds

    return Loop(LIVENESS, step)
