"""A pipeline table's commits: one per micro-batch, through the one way into a table
(`services.datasets.table_commits`).

A connector's source position (a JetStream sequence, a file offset, rows generated...) rides
in the metadata of the very commit that holds the rows read up to it, as connector runs do
with their state. Rows and position land together or not at all, so a connector that
restarts from the newest position of its commits reads nothing twice and loses nothing. A
copy is kept in the metadata database right after each commit (`services.datasets.positions`), so a
restart finds it without walking the table's log, and the log wins where they disagree.
"""

from __future__ import annotations

import json
from typing import Any

from headwater.domain.pipelines import Pipeline, TableDef
from headwater.domain.ports.storage import CommitResult, DatasetStore
from headwater.domain.positions import CONNECTOR_TAG, PositionKey
from headwater.services.datasets.positions import Positions
from headwater.services.datasets.table_commits import TableCommits
from headwater.tabular.record_formats import Changes

CONNECTOR_KEY = CONNECTOR_TAG  # commit metadata: which connector made this commit
POSITION_KEY = "headwater.position"  # commit metadata: its source position after this commit


def connector_key(pipeline: Pipeline, table: str, connector: str) -> str:
    return f"{pipeline.id}/{table}/{connector}"


class PipelineCommits:
    def __init__(self, store: DatasetStore, tables: TableCommits, positions: Positions) -> None:
        self._store = store
        self._tables = tables
        self._positions = positions

    def commit(
        self,
        pipeline: Pipeline,
        table: TableDef,
        changes: Changes,
        connector: str | None = None,
        position: dict[str, Any] | None = None,
    ) -> CommitResult:
        dataset_id = pipeline.table_datasets[table.name]
        tags: dict[str, str] = {}
        saved = None
        if connector is not None:
            tags = {
                CONNECTOR_KEY: connector_key(pipeline, table.name, connector),
                POSITION_KEY: json.dumps(position or {}),
            }
            saved = (_key(pipeline, table.name, connector), position or {})
        return self._tables.apply_changes(
            dataset_id,
            table.columns,
            changes.inserts,
            changes.deletes,
            table.primary_key,
            tags=tags,
            position=saved,
        )

    def position(self, pipeline: Pipeline, table: str, connector: str) -> dict[str, Any] | None:
        """The position of the connector's newest commit, or None if it committed nothing."""
        position = self._positions.current(_key(pipeline, table, connector), POSITION_KEY)
        return position if isinstance(position, dict) else None

    def version(self, pipeline: Pipeline, table: str) -> int | None:
        return self._store.version(pipeline.table_datasets[table])

    def compact(self, pipeline: Pipeline, table: str, min_files: int, hours: float) -> int:
        return self._store.compact(pipeline.table_datasets[table], min_files, hours)


def _key(pipeline: Pipeline, table: str, connector: str) -> PositionKey:
    return PositionKey(
        pipeline.table_datasets[table], CONNECTOR_TAG, connector_key(pipeline, table, connector)
    )
