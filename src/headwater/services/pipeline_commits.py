"""The one way records enter a pipeline table: one Delta commit per micro-batch.

A connector's source position (a JetStream sequence, a file offset, rows generated...) rides
in the metadata of the very commit that holds the rows read up to it, as connector runs do
with their state. Rows and position land together or not at all, so a connector that
restarts from the newest position of its commits reads nothing twice and loses nothing.
"""

from __future__ import annotations

import json
from typing import Any

from headwater.domain.pipelines import Pipeline, TableDef
from headwater.domain.ports import CommitResult, DatasetStore
from headwater.services.datasets import Datasets
from headwater.services.record_formats import Changes

CONNECTOR_KEY = "headwater.connector"  # commit metadata: which connector made this commit
POSITION_KEY = "headwater.position"  # commit metadata: its source position after this commit


def connector_key(pipeline: Pipeline, table: str, connector: str) -> str:
    return f"{pipeline.id}/{table}/{connector}"


class PipelineCommits:
    def __init__(self, store: DatasetStore, datasets: Datasets) -> None:
        self._store = store
        self._datasets = datasets

    def commit(
        self,
        pipeline: Pipeline,
        table: TableDef,
        changes: Changes,
        connector: str | None = None,
        position: dict[str, Any] | None = None,
    ) -> CommitResult:
        dataset_id = pipeline.table_datasets[table.name]
        metadata = None
        if connector is not None:
            metadata = {
                CONNECTOR_KEY: connector_key(pipeline, table.name, connector),
                POSITION_KEY: json.dumps(position or {}),
            }
        result = self._store.apply_changes(
            dataset_id,
            table.columns,
            changes.inserts,
            changes.deletes,
            table.primary_key,
            metadata,
        )
        self._datasets.record_commit(dataset_id, result, list(table.columns))
        return result

    def position(self, pipeline: Pipeline, table: str, connector: str) -> dict[str, Any] | None:
        """The position of the connector's newest commit, or None if it committed nothing."""
        found = self._store.latest_metadata(
            pipeline.table_datasets[table], CONNECTOR_KEY, connector_key(pipeline, table, connector)
        )
        if not found or POSITION_KEY not in found:
            return None
        position = json.loads(found[POSITION_KEY])
        return position if isinstance(position, dict) else None

    def version(self, pipeline: Pipeline, table: str) -> int | None:
        return self._store.version(pipeline.table_datasets[table])

    def compact(self, pipeline: Pipeline, table: str, min_files: int, hours: float) -> int:
        return self._store.compact(pipeline.table_datasets[table], min_files, hours)
