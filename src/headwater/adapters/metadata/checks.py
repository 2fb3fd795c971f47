"""Quality checks in SQL: one row per dataset, its checks as JSON, read and written whole."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from headwater.adapters.metadata.tables import dataset_checks
from headwater.domain.checks import CheckSet, OnFailure, check_from_dict


def _check_set(row: Any) -> CheckSet:
    return CheckSet(
        dataset_id=row.dataset_id,
        on_failure=OnFailure(row.on_failure),
        checks=[check_from_dict(c) for c in row.checks],
        quarantine_dataset_id=row.quarantine_dataset_id,
        modified_at=row.modified_at,
        modified_by=row.modified_by,
    )


class SqlCheckRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def find(self, dataset_id: str) -> CheckSet | None:
        row = self._c.execute(
            dataset_checks.select().where(dataset_checks.c.dataset_id == dataset_id)
        ).first()
        return _check_set(row) if row else None

    def put(self, check_set: CheckSet) -> None:
        values = {
            "on_failure": check_set.on_failure.value,
            "checks": [c.as_dict() for c in check_set.checks],
            "quarantine_dataset_id": check_set.quarantine_dataset_id,
            "modified_at": check_set.modified_at,
            "modified_by": check_set.modified_by,
        }
        updated = self._c.execute(
            dataset_checks.update()
            .where(dataset_checks.c.dataset_id == check_set.dataset_id)
            .values(**values)
        )
        if updated.rowcount:
            return
        try:
            with self._c.begin_nested():
                self._c.execute(
                    dataset_checks.insert().values(dataset_id=check_set.dataset_id, **values)
                )
        except sa.exc.IntegrityError:  # another request inserted it meanwhile: ours wins
            self._c.execute(
                dataset_checks.update()
                .where(dataset_checks.c.dataset_id == check_set.dataset_id)
                .values(**values)
            )

    def set_quarantine(self, dataset_id: str, quarantine_dataset_id: str) -> None:
        self._c.execute(
            dataset_checks.update()
            .where(dataset_checks.c.dataset_id == dataset_id)
            .values(quarantine_dataset_id=quarantine_dataset_id)
        )
