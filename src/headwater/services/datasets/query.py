"""SQL over one dataset (its current data, or an older version), in the sandbox the query
engine provides, and CSV export.

Both read paths apply the caller's PDP row filter (`services.datasets.policies`): the engine filters
the dataset before the SQL, or the export, reads a row of it.
"""

from __future__ import annotations

from collections.abc import Iterator

from headwater.domain import access
from headwater.domain.errors import DatasetChanged
from headwater.domain.ports.engines import QueryEngine, QueryResult
from headwater.domain.ports.storage import DatasetStore
from headwater.domain.ports.unit_of_work import UnitOfWorkFactory
from headwater.domain.users import Principal
from headwater.services.datasets.access import authorize
from headwater.services.datasets.policies import row_filter_in

# What `FROM ...` may call the dataset, besides its id and name: the seeds write `FROM table`.
TABLE_ALIASES = frozenset({"table", "dataset"})


class Query:
    def __init__(self, uow: UnitOfWorkFactory, store: DatasetStore, engine: QueryEngine) -> None:
        self._uow = uow
        self._store = store
        self._engine = engine

    def execute(
        self, actor: Principal, dataset_id: str, sql: str, version: int | None = None
    ) -> QueryResult:
        """`version`: read that version of the data (time travel) instead of the current one,
        with its own schema, under the caller's row policies as they are now."""
        with self._uow() as uow:
            dataset, level = authorize(uow, actor, dataset_id, access.VIEW)
            row_filter = row_filter_in(uow, actor, dataset, level)
        names = {*TABLE_ALIASES, dataset.id.lower(), dataset.name.lower()}
        if version is not None:
            # A version is just another file set: the engine's sandbox, its database per file
            # set and the policy slices apply to it as to the current one.
            snapshot = self._store.version_snapshot(dataset_id, version)
            try:
                return self._engine.query(
                    sql, snapshot.files, snapshot.columns, names, row_filter=row_filter
                )
            except DatasetChanged:  # a file went as the query started: vacuumed, so a 410
                self._store.version_snapshot(dataset_id, version)
                raise
        files = self._store.data_files(dataset_id)
        return self._engine.query(sql, files, dataset.columns or [], names, row_filter=row_filter)

    def export_csv(
        self, actor: Principal, dataset_id: str, include_header: bool
    ) -> Iterator[bytes]:
        """Checks access now; the returned iterator then reads the data as it is consumed."""
        with self._uow() as uow:
            dataset, level = authorize(uow, actor, dataset_id, access.VIEW)
            row_filter = row_filter_in(uow, actor, dataset, level)
        files = self._store.data_files(dataset_id)
        return self._engine.export_csv(files, dataset.columns or [], include_header, row_filter)
