"""Datasets and their access grants in SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from headwater.adapters.metadata.columns_json import column_from_json, column_to_json
from headwater.adapters.metadata.tables import dataset_grants, datasets
from headwater.domain.access import AccessLevel, Grant, PrincipalType
from headwater.domain.datasets import Column, Dataset


def _columns_to_json(columns: list[Column] | None) -> list[dict[str, Any]] | None:
    if columns is None:
        return None
    return [column_to_json(c) for c in columns]


def _dataset(row: Any) -> Dataset:
    columns = None
    if row.columns is not None:
        columns = [column_from_json(c) for c in row.columns]
    return Dataset(
        id=row.id,
        name=row.name,
        description=row.description,
        owner_id=row.owner_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        columns=columns,
        tags=list(row.tags or []),
        stream_id=row.stream_id,
        data_version=row.data_version,
        row_count=row.row_count,
        deleted_at=row.deleted_at,
    )


def _values(dataset: Dataset) -> dict[str, Any]:
    return {
        "name": dataset.name,
        "description": dataset.description,
        "owner_id": dataset.owner_id,
        "columns": _columns_to_json(dataset.columns),
        "tags": list(dataset.tags),
        "stream_id": dataset.stream_id,
        "data_version": dataset.data_version,
        "row_count": dataset.row_count,
        "created_at": dataset.created_at,
        "updated_at": dataset.updated_at,
        "deleted_at": dataset.deleted_at,
    }


SORTS = {
    "name": (sa.func.lower(datasets.c.name), datasets.c.id),
    "lastUpdated": (datasets.c.updated_at.desc(), datasets.c.id),
}


class SqlDatasetRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, dataset: Dataset) -> None:
        self._c.execute(datasets.insert().values(id=dataset.id, **_values(dataset)))

    def find(self, dataset_id: str) -> Dataset | None:
        row = self._c.execute(
            datasets.select().where(datasets.c.id == dataset_id, datasets.c.deleted_at.is_(None))
        ).first()
        return _dataset(row) if row else None

    def list_visible(
        self,
        user_id: int | None,
        group_ids: frozenset[int],
        limit: int,
        offset: int,
        name_like: str | None = None,
        sort: str | None = None,
    ) -> list[Dataset]:
        """Datasets the user owns or was granted; every dataset when `user_id` is None (admin).
        `sort`: "name" (A to Z), "lastUpdated" (newest first); otherwise creation order."""
        query = datasets.select().where(datasets.c.deleted_at.is_(None))
        if user_id is not None:
            granted = sa.select(dataset_grants.c.dataset_id).where(
                sa.or_(
                    sa.and_(
                        dataset_grants.c.principal_type == PrincipalType.USER.value,
                        dataset_grants.c.principal_id == user_id,
                    ),
                    sa.and_(
                        dataset_grants.c.principal_type == PrincipalType.GROUP.value,
                        dataset_grants.c.principal_id.in_(sorted(group_ids)),
                    ),
                )
            )
            query = query.where(sa.or_(datasets.c.owner_id == user_id, datasets.c.id.in_(granted)))
        if name_like:
            pattern = (
                name_like.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            )
            query = query.where(sa.func.lower(datasets.c.name).like(f"%{pattern}%", escape="\\"))
        order = SORTS.get(sort or "", (datasets.c.created_at, datasets.c.id))
        query = query.order_by(*order).limit(limit).offset(offset)
        return [_dataset(row) for row in self._c.execute(query)]

    def update(self, dataset: Dataset) -> None:
        values = _values(dataset)
        for owned_by_record_version in ("data_version", "row_count"):
            del values[owned_by_record_version]
        self._c.execute(datasets.update().where(datasets.c.id == dataset.id).values(**values))

    def record_version(
        self,
        dataset_id: str,
        version: int,
        row_count: int,
        at: datetime,
        columns: list[Column] | None = None,
    ) -> bool:
        # One conditional statement rather than read-then-write: two commits finishing together
        # (a row append racing an upload) must not let the older write its row count last.
        values: dict[str, Any] = {"data_version": version, "row_count": row_count, "updated_at": at}
        if columns is not None:
            values["columns"] = _columns_to_json(columns)
        result = self._c.execute(
            datasets.update()
            .where(
                datasets.c.id == dataset_id,
                datasets.c.deleted_at.is_(None),
                sa.or_(datasets.c.data_version.is_(None), datasets.c.data_version < version),
            )
            .values(**values)
        )
        return bool(result.rowcount)

    def delete(self, dataset_id: str) -> None:
        self._c.execute(datasets.delete().where(datasets.c.id == dataset_id))

    def grants(self, dataset_id: str) -> list[Grant]:
        rows = self._c.execute(
            dataset_grants.select()
            .where(dataset_grants.c.dataset_id == dataset_id)
            .order_by(dataset_grants.c.principal_type.desc(), dataset_grants.c.principal_id)
        )
        return [
            Grant(PrincipalType(row.principal_type), row.principal_id, AccessLevel[row.level])
            for row in rows
        ]

    def grants_to(
        self, principal_type: PrincipalType, principal_id: int
    ) -> list[tuple[str, int, Grant]]:
        query = (
            sa.select(dataset_grants, datasets.c.owner_id)
            .join_from(dataset_grants, datasets, datasets.c.id == dataset_grants.c.dataset_id)
            .where(
                dataset_grants.c.principal_type == principal_type.value,
                dataset_grants.c.principal_id == principal_id,
            )
            .order_by(dataset_grants.c.dataset_id)
        )
        return [
            (
                row.dataset_id,
                row.owner_id,
                Grant(principal_type, principal_id, AccessLevel[row.level]),
            )
            for row in self._c.execute(query)
        ]

    def remove_grants_of(self, principal_type: PrincipalType, principal_id: int) -> None:
        self._c.execute(
            dataset_grants.delete().where(
                dataset_grants.c.principal_type == principal_type.value,
                dataset_grants.c.principal_id == principal_id,
            )
        )

    def set_grant(self, dataset_id: str, grant: Grant) -> None:
        self.remove_grant(dataset_id, grant.principal_type, grant.principal_id)
        self._c.execute(
            dataset_grants.insert().values(
                dataset_id=dataset_id,
                principal_type=grant.principal_type.value,
                principal_id=grant.principal_id,
                level=grant.level.name,
            )
        )

    def remove_grant(
        self, dataset_id: str, principal_type: PrincipalType, principal_id: int
    ) -> bool:
        result = self._c.execute(
            dataset_grants.delete().where(
                dataset_grants.c.dataset_id == dataset_id,
                dataset_grants.c.principal_type == principal_type.value,
                dataset_grants.c.principal_id == principal_id,
            )
        )
        return bool(result.rowcount)
