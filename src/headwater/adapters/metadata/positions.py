"""Committed positions in SQL (`domain.positions`): one row per dataset, tag and owner."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from headwater.adapters.metadata.tables import positions
from headwater.domain.positions import PositionKey, SavedPosition


def _where(key: PositionKey) -> Any:
    return sa.and_(
        positions.c.dataset_id == key.dataset_id,
        positions.c.tag == key.tag,
        positions.c.owner == key.owner,
    )


class SqlPositionRepository:
    def __init__(self, connection: Connection, now: Callable[[], datetime]) -> None:
        self._c = connection
        self._now = now

    def find(self, key: PositionKey) -> SavedPosition | None:
        row = self._c.execute(
            sa.select(positions.c.position, positions.c.version).where(_where(key))
        ).first()
        return None if row is None else SavedPosition(key, row.position, int(row.version))

    def save(self, saved: SavedPosition) -> None:
        values = {"position": saved.position, "version": saved.version, "updated_at": self._now()}
        # Only forward: a slower writer of an older version never overwrites a newer one.
        forward = sa.and_(_where(saved.key), positions.c.version <= saved.version)
        if self._c.execute(positions.update().where(forward).values(**values)).rowcount:
            return
        if self.find(saved.key) is not None:
            return  # a newer version is there already
        try:
            with self._c.begin_nested():
                self._c.execute(
                    positions.insert().values(
                        dataset_id=saved.key.dataset_id,
                        tag=saved.key.tag,
                        owner=saved.key.owner,
                        **values,
                    )
                )
        except sa.exc.IntegrityError:  # inserted meanwhile by another writer: forward only
            self._c.execute(positions.update().where(forward).values(**values))

    def delete(self, key: PositionKey) -> None:
        self._c.execute(positions.delete().where(_where(key)))
