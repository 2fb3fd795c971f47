"""Runners: the server processes that read and commit executions.

Each process registers itself and renews a heartbeat. An execution it reads or commits
carries its runner id, so when several processes share one metadata database, a process that
starts (or a periodic sweep) settles only the executions of runners that are gone — never
the live work of a neighbour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass
class Runner:
    id: str
    host: str
    pid: int
    started_at: datetime
    heartbeat_at: datetime

    def lapsed(self, now: datetime, lease: timedelta) -> bool:
        """No heartbeat within the lease: the process is gone or cut off."""
        return now - self.heartbeat_at > lease
