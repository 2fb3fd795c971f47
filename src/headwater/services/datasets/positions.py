"""Durable positions: each stream's and pipeline connector's committed position, kept in the
metadata database beside the Delta commit that holds it, and reconciled with the log.

The Delta commit is the truth: its metadata carries the position with the rows read up to it.
The `positions` row is a copy with that commit's version, so a run starting finds its
position without walking the log (which log cleanup could also shorten). It is written right
after the Delta commit; a crash in between leaves it one commit behind, which the next read
notices and repairs:

- the row's version is the table's newest, or no commit above it is tagged for the owner
  (one log file read per newer version, usually none) and its own commit says the same
  owner (or its log entry is gone: then the row is what survives): the row is the position;
- otherwise (a newer tagged commit: a crash before the row was written, a restore; a row
  naming a version the table does not have or a commit another writer made), the log wins:
  the newest tagged commit's position is read and the row written from it. No tagged
  commit left: no position, and the row goes.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from headwater.domain.ports.storage import DatasetStore
from headwater.domain.ports.unit_of_work import UnitOfWorkFactory
from headwater.domain.positions import PositionKey, SavedPosition

log = logging.getLogger(__name__)


class Positions:
    def __init__(self, uow: UnitOfWorkFactory, store: DatasetStore) -> None:
        self._uow = uow
        self._store = store

    def current(self, key: PositionKey, field: str) -> Any:
        """The owner's committed position (the JSON under commit metadata `field`), or None
        if it committed none."""
        with self._uow() as uow:
            saved = uow.positions.find(key)
        latest = self._store.current_version(key.dataset_id)
        if latest is None:  # no table (yet, or any more): nothing is committed
            return None
        if saved is not None and self._agrees(saved, latest):
            return saved.position
        return self._rebuild(key, field, saved)

    def record(self, key: PositionKey, position: Any, version: int) -> None:
        """Note `position` as committed by `version` (right after that commit). A failure is
        logged, not raised: the commit holds the position, and the next read repairs."""
        try:
            with self._uow() as uow:
                uow.positions.save(SavedPosition(key, position, version))
                uow.commit()
        except Exception:
            log.exception("the position of %s at version %s was not saved", key, version)

    def _agrees(self, saved: SavedPosition, latest: int) -> bool:
        key = saved.key
        if saved.version > latest:
            return False  # a version the table does not have
        if saved.version < latest and self._store.tagged_commit(
            key.dataset_id, key.tag, key.owner, after=saved.version
        ):
            return False  # a newer commit of the owner: the row missed it
        own = self._store.commit_metadata(key.dataset_id, saved.version)
        return own is None or own.get(key.tag) == key.owner

    def _rebuild(self, key: PositionKey, field: str, saved: SavedPosition | None) -> Any:
        found = self._store.tagged_commit(key.dataset_id, key.tag, key.owner)
        if found is None:
            if saved is not None:
                with self._uow() as uow:
                    uow.positions.delete(key)
                    uow.commit()
            return None
        raw = found.metadata.get(field)
        position = json.loads(raw) if raw is not None else None
        if saved is not None:
            log.info(
                "position of %s: row at version %s, log at %s; the log's kept",
                key,
                saved.version,
                found.version,
            )
            with self._uow() as uow:  # forward-only saving would keep a row that is wrong
                uow.positions.delete(key)
                uow.commit()
        self.record(key, position, found.version)
        return position
