"""SQL over one dataset, in the sandbox the query engine provides."""

from __future__ import annotations

from headwater.domain import access
from headwater.domain.ports import DatasetStore, QueryEngine, QueryResult, UnitOfWorkFactory
from headwater.domain.users import Principal
from headwater.services.dataset_access import authorize

# What `FROM ...` may call the dataset, besides its id and name: the seeds write `FROM table`.
TABLE_ALIASES = frozenset({"table", "dataset"})


class Query:
    def __init__(self, uow: UnitOfWorkFactory, store: DatasetStore, engine: QueryEngine) -> None:
        self._uow = uow
        self._store = store
        self._engine = engine

    def execute(self, actor: Principal, dataset_id: str, sql: str) -> QueryResult:
        with self._uow() as uow:
            dataset, _ = authorize(uow, actor, dataset_id, access.VIEW)
        files = self._store.data_files(dataset_id)
        names = {*TABLE_ALIASES, dataset.id.lower(), dataset.name.lower()}
        return self._engine.query(sql, files, dataset.columns or [], names)
