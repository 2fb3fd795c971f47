"""A load's batches aligned to the columns its schema policy chose (`domain.schema_policy`).

The first batch decides the plan: the dataset's columns after the load and what changed. A
staged file has one schema, so a later batch may not change the dataset's columns again: a
batch that brings yet another new column (or a wider type) fails the load naming it under
every policy but IGNORE_NEW, which drops it and says so. What later batches drop or lack is
added to the report.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import pyarrow as pa

from headwater.domain.columns import Column
from headwater.domain.errors import BadData
from headwater.domain.schema_policy import SchemaChanges, SchemaPlan, SchemaPolicy, plan
from headwater.tabular.conform import conform, incoming_columns


class AlignedBatches:
    """Conform batches to the plan the first of them decides; `plan` and `changes` are
    known once the batches have been read."""

    def __init__(
        self,
        current: Sequence[Column] | None,
        policy: SchemaPolicy,
        key_columns: Sequence[str] = (),
    ) -> None:
        self._current = list(current) if current is not None else None
        self._policy = policy
        self._keys = list(key_columns)
        self.plan: SchemaPlan | None = None
        self.changes = SchemaChanges()

    def __call__(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            yield conform(batch, self._columns_for(batch.schema), fill_missing=True)

    def _columns_for(self, schema: pa.Schema) -> tuple[Column, ...]:
        incoming = incoming_columns(schema)
        if self.plan is None:
            self.plan = plan(self._current, incoming, self._policy, self._keys)
            self.changes = self.plan.changes
            return self.plan.columns
        later = plan(list(self.plan.columns), incoming, self._policy, self._keys)
        if later.changes.alters_dataset:
            what = [*later.changes.added, *(w.column for w in later.changes.widened)]
            raise BadData(
                f"a later batch of the load changes column {', '.join(map(repr, what))} again "
                "after its first batch set the columns: the batches of one load must agree on "
                "them; nothing was committed",
                column=what[0],
            )
        self.changes = self.changes.merged(later.changes)
        return self.plan.columns
