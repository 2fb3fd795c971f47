"""Schedule ticks in SQL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from headwater.adapters.metadata.ids import inserted_id
from headwater.adapters.metadata.tables import schedule_ticks
from headwater.domain.ticks import Tick, TickOutcome


def _tick(row: Any) -> Tick:
    return Tick(
        id=row.id,
        stream_id=row.stream_id,
        due_at=row.due_at,
        claimed_at=row.claimed_at,
        claimed_by=row.claimed_by,
        outcome=TickOutcome(row.outcome),
        execution_id=row.execution_id,
        catch_up=bool(row.catch_up),
        note=row.note,
    )


class SqlTickRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, tick: Tick) -> bool:
        values = {
            "stream_id": tick.stream_id,
            "due_at": tick.due_at,
            "claimed_at": tick.claimed_at,
            "claimed_by": tick.claimed_by,
            "outcome": tick.outcome.value,
            "execution_id": tick.execution_id,
            "catch_up": tick.catch_up,
            "note": tick.note,
        }
        try:
            with self._c.begin_nested():
                result = self._c.execute(schedule_ticks.insert().values(**values))
        except sa.exc.IntegrityError:
            return False  # the idempotency key: another server claimed this tick
        tick.id = inserted_id(result)
        return True

    def page(self, stream_id: int, limit: int, offset: int) -> list[Tick]:
        query = (
            schedule_ticks.select()
            .where(schedule_ticks.c.stream_id == stream_id)
            .order_by(schedule_ticks.c.due_at.desc())
            .limit(limit)
            .offset(offset)
        )
        return [_tick(row) for row in self._c.execute(query)]

    def prune(self, stream_id: int, keep: int) -> int:
        newest_kept = self._c.execute(
            sa.select(schedule_ticks.c.due_at)
            .where(schedule_ticks.c.stream_id == stream_id)
            .order_by(schedule_ticks.c.due_at.desc())
            .offset(keep - 1)
            .limit(1)
        ).scalar()
        if newest_kept is None:
            return 0
        result = self._c.execute(
            schedule_ticks.delete().where(
                schedule_ticks.c.stream_id == stream_id, schedule_ticks.c.due_at < newest_kept
            )
        )
        return int(result.rowcount)
