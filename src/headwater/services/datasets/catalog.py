"""Datasets: create, read, update, delete, and the one-row append."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from headwater import tabular
from headwater.domain import access
from headwater.domain.access import AccessLevel
from headwater.domain.datasets import Column, Dataset, UpdateMethod, validate_columns
from headwater.domain.errors import Conflict, InvalidInput, PermissionDenied
from headwater.domain.ports.storage import CommitResult, DatasetStore
from headwater.domain.ports.unit_of_work import Clock, UnitOfWorkFactory
from headwater.domain.streams import Stream
from headwater.domain.users import Principal
from headwater.domain.versions import USER_TAG
from headwater.services.datasets.access import authorize
from headwater.services.datasets.table_commits import TableCommits

MAX_PAGE = 1000


@dataclass(frozen=True)
class DatasetView:
    """A dataset as one caller sees it, with their level on it."""

    dataset: Dataset
    level: AccessLevel
    owner_name: str
    stream: Stream | None = None  # what feeds it (provider, transport); None: nothing yet


@dataclass(frozen=True)
class DatasetChanges:
    name: str | None = None
    description: str | None = None
    tags: list[str] | None = None
    columns: list[Column] | None = None
    owner_id: int | None = None  # hand the dataset over: its OWNER (or an admin) only


class Datasets:
    def __init__(
        self, uow: UnitOfWorkFactory, store: DatasetStore, clock: Clock, tables: TableCommits
    ) -> None:
        self._uow = uow
        self._store = store
        self._clock = clock
        self._tables = tables

    def create(
        self,
        actor: Principal,
        name: str,
        description: str = "",
        columns: list[Column] | None = None,
        tags: list[str] | None = None,
    ) -> DatasetView:
        if not actor.user.role.can_create_datasets:
            raise PermissionDenied("Participants cannot create datasets")
        if not name.strip():
            raise InvalidInput("name must not be empty", field="name")
        now = self._clock.now()
        dataset = Dataset(
            id=str(uuid.uuid4()),
            name=name.strip(),
            description=description or "",
            owner_id=actor.id,
            created_at=now,
            updated_at=now,
            columns=validate_columns(columns) if columns is not None else None,
            tags=list(tags or []),
        )
        with self._uow() as uow:
            uow.datasets.add(dataset)
            uow.commit()
        return DatasetView(dataset, AccessLevel.OWNER, actor.user.display_name)

    def get(self, actor: Principal, dataset_id: str) -> DatasetView:
        with self._uow() as uow:
            dataset, level = authorize(uow, actor, dataset_id, access.VIEW)
            owner = uow.users.find(dataset.owner_id)
            stream = uow.streams.find(dataset.stream_id) if dataset.stream_id else None
        return DatasetView(dataset, level, owner.display_name if owner else "", stream)

    def page(
        self,
        actor: Principal,
        limit: int,
        offset: int,
        name_like: str | None = None,
        sort: str | None = None,
    ) -> list[DatasetView]:
        limit = max(0, min(limit, MAX_PAGE))
        with self._uow() as uow:
            datasets = uow.datasets.list_visible(
                None if actor.is_admin else actor.id,
                actor.group_ids,
                limit,
                offset,
                name_like,
                sort=sort,
            )
            views = []
            owners: dict[int, str] = {}
            fed = [d.id for d in datasets if d.stream_id is not None]
            streams = {s.dataset_id: s for s in uow.streams.page(fed, len(fed), 0)} if fed else {}
            for dataset in datasets:
                level = access.effective_level(
                    actor, dataset.owner_id, uow.datasets.grants(dataset.id)
                )
                if dataset.owner_id not in owners:
                    owner = uow.users.find(dataset.owner_id)
                    owners[dataset.owner_id] = owner.display_name if owner else ""
                views.append(
                    DatasetView(
                        dataset,
                        level or AccessLevel.CAN_VIEW,
                        owners[dataset.owner_id],
                        streams.get(dataset.id),
                    )
                )
            return views

    def update(self, actor: Principal, dataset_id: str, changes: DatasetChanges) -> DatasetView:
        with self._uow() as uow:
            dataset, level = authorize(uow, actor, dataset_id, access.EDIT)
            if changes.name is not None:
                if not changes.name.strip():
                    raise InvalidInput("name must not be empty", field="name")
                dataset.name = changes.name.strip()
            if changes.description is not None:
                dataset.description = changes.description
            if changes.tags is not None:
                dataset.tags = list(changes.tags)
            if changes.columns is not None and changes.columns != dataset.columns:
                if dataset.data_version is not None:
                    raise Conflict(
                        "the dataset has data, so its schema cannot change in place",
                        code="SCHEMA_LOCKED",
                    )
                dataset.columns = validate_columns(changes.columns)
            if changes.owner_id is not None and changes.owner_id != dataset.owner_id:
                if not level.allows(AccessLevel.OWNER):
                    raise PermissionDenied("only the owner or an admin hands a dataset over")
                if uow.users.find(changes.owner_id) is None:
                    raise InvalidInput(f"no user {changes.owner_id}", field="owner.id")
                dataset.owner_id = changes.owner_id
            dataset.updated_at = self._clock.now()
            uow.datasets.update(dataset)
            owner = uow.users.find(dataset.owner_id)
            stream = uow.streams.find(dataset.stream_id) if dataset.stream_id else None
            uow.commit()
        return DatasetView(dataset, level, owner.display_name if owner else "", stream)

    def delete(self, actor: Principal, dataset_id: str, hard: bool = False) -> None:
        """Soft delete hides the dataset and keeps its files; hard delete removes both."""
        with self._uow() as uow:
            dataset, _ = authorize(uow, actor, dataset_id, access.DELETE)
            if hard:
                uow.datasets.delete(dataset_id)
            else:
                dataset.deleted_at = self._clock.now()
                uow.datasets.update(dataset)
            uow.commit()
        if hard:
            self._store.drop(dataset_id)

    def append_row(
        self, actor: Principal, dataset_id: str, values: str, delimiter: str = ","
    ) -> CommitResult:
        if len(delimiter) != 1:
            raise InvalidInput("delimiter must be one character", field="delimiter")
        with self._uow() as uow:
            dataset, _ = authorize(uow, actor, dataset_id, access.EDIT)
            check_set = uow.checks.find(dataset_id)
        if check_set is not None and check_set.checks:
            # This write is no execution, so no gate runs on it: refuse rather than let a row
            # past the dataset's checks unseen.
            raise Conflict(
                "the dataset has quality checks, which run on uploads and connector runs; "
                "load the row as an upload",
                code="DATASET_HAS_CHECKS",
            )
        table = tabular.decode_row(values, dataset.columns, delimiter)
        columns = dataset.columns or tabular.columns_from_arrow(table.schema)
        return self._tables.commit_batches(
            dataset_id, columns, table, UpdateMethod.APPEND, tags={USER_TAG: str(actor.id)}
        )
