"""Runners (server processes) in SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from headwater.adapters.metadata.tables import runners
from headwater.domain.runners import Runner


def _runner(row: Any) -> Runner:
    return Runner(row.id, row.host, row.pid, row.started_at, row.heartbeat_at)


class SqlRunnerRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, runner: Runner) -> None:
        self._c.execute(
            runners.insert().values(
                id=runner.id,
                host=runner.host,
                pid=runner.pid,
                started_at=runner.started_at,
                heartbeat_at=runner.heartbeat_at,
            )
        )

    def find(self, runner_id: str) -> Runner | None:
        row = self._c.execute(runners.select().where(runners.c.id == runner_id)).first()
        return _runner(row) if row else None

    def all(self) -> list[Runner]:
        return [_runner(row) for row in self._c.execute(runners.select())]

    def heartbeat(self, runner_id: str, now: datetime) -> bool:
        result = self._c.execute(
            runners.update().where(runners.c.id == runner_id).values(heartbeat_at=now)
        )
        return bool(result.rowcount)

    def delete(self, runner_id: str) -> None:
        self._c.execute(runners.delete().where(runners.c.id == runner_id))
