"""Ad-hoc SQL over a pipeline's tables and views, in the same sandbox as dataset queries.

Every table is a dataset, so the caller needs CAN_VIEW on each table the pipeline has; views
are the pipeline's `CREATE VIEW` statements, evaluated at query time over those tables.
`relations()` is the one place that decides what a query may read, including each table's
row filter (PDP, `services.datasets.policies`): the engine filters every table before the
query, or a view, reads a row of it.
"""

from __future__ import annotations

from headwater.domain import access
from headwater.domain.access import effective_level
from headwater.domain.errors import PermissionDenied
from headwater.domain.policies import RowFilter
from headwater.domain.ports.engines import QueryEngine, QueryResult, QueryTable, QueryView
from headwater.domain.ports.storage import DatasetStore
from headwater.domain.ports.unit_of_work import UnitOfWorkFactory
from headwater.domain.users import Principal
from headwater.services.datasets.policies import row_filter_in
from headwater.services.pipelines.access import authorize_pipeline


class PipelineQuery:
    def __init__(self, uow: UnitOfWorkFactory, store: DatasetStore, engine: QueryEngine) -> None:
        self._uow = uow
        self._store = store
        self._engine = engine

    def execute(self, actor: Principal, name: str, sql: str) -> QueryResult:
        tables, views = self.relations(actor, name)
        return self._engine.query_relations(sql, tables, views)

    def relations(self, actor: Principal, name: str) -> tuple[list[QueryTable], list[QueryView]]:
        filters: dict[str, RowFilter] = {}
        with self._uow() as uow:
            pipeline, _ = authorize_pipeline(uow, actor, name, access.VIEW)
            for table, dataset_id in pipeline.table_datasets.items():
                dataset = uow.datasets.find(dataset_id)
                level = (
                    effective_level(actor, dataset.owner_id, uow.datasets.grants(dataset_id))
                    if dataset
                    else None
                )
                if level is None or not level.allows(access.VIEW):
                    raise PermissionDenied(
                        f"querying pipeline {name!r} needs CAN_VIEW on its table {table!r}"
                    )
                assert dataset is not None
                filters[table] = row_filter_in(uow, actor, dataset, level)
        tables = [
            QueryTable(
                t.name,
                self._store.data_files(pipeline.table_datasets[t.name]),
                t.columns,
                filters.get(t.name),
            )
            for t in pipeline.program.tables
        ]
        views = [QueryView(v.name, v.sql) for v in pipeline.program.views]
        return tables, views
