"""Schedule ticks: each due moment of a stream's schedule, claimed once by one server.

The tick's (stream, due moment) pair is its idempotency key: however many server processes
share the metadata database, one claims it and the others find it taken. A claimed tick
either STARTED an execution or was SKIPPED because the stream's previous execution was
still running, so slow runs never pile up behind each other. `catch_up` marks the one run
that stands for every tick missed while no server was up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum


class TickOutcome(Enum):
    STARTED = "STARTED"
    SKIPPED = "SKIPPED"


@dataclass
class Tick:
    stream_id: int
    due_at: datetime
    claimed_at: datetime
    claimed_by: str
    outcome: TickOutcome
    execution_id: int | None = None
    catch_up: bool = False
    note: str | None = None
    id: int = 0
