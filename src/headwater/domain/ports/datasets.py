"""Ports of datasets' metadata: the datasets, their row policies, quality checks and durable
positions."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from headwater.domain.access import Grant, PrincipalType
from headwater.domain.checks import CheckSet
from headwater.domain.datasets import Column, Dataset
from headwater.domain.policies import Policy
from headwater.domain.positions import PositionKey, SavedPosition


class DatasetRepository(Protocol):
    def add(self, dataset: Dataset) -> None: ...
    def find(self, dataset_id: str) -> Dataset | None: ...
    def list_visible(
        self,
        user_id: int | None,
        group_ids: frozenset[int],
        limit: int,
        offset: int,
        name_like: str | None = None,
        sort: str | None = None,
    ) -> list[Dataset]: ...
    def update(self, dataset: Dataset) -> None:
        """Write the dataset's definition; its data version and row count are written only by
        `record_version`, so an edit racing a commit never rewinds them."""
        ...

    def record_version(
        self,
        dataset_id: str,
        version: int,
        row_count: int,
        at: datetime,
        columns: list[Column] | None = None,
    ) -> bool:
        """Record a committed data version (and the first schema, if given) unless a newer
        version is recorded already; False when it is, or the dataset is gone."""
        ...

    def delete(self, dataset_id: str) -> None: ...
    def grants(self, dataset_id: str) -> list[Grant]: ...
    def grants_to(
        self, principal_type: PrincipalType, principal_id: int
    ) -> list[tuple[str, int, Grant]]:
        """Every grant this user or group holds directly: (dataset id, owner id, grant)."""
        ...

    def remove_grants_of(self, principal_type: PrincipalType, principal_id: int) -> None:
        """Drop every grant of a user or group that is being deleted: ids may be reused
        (SQLite), and a newcomer must not inherit them."""
        ...

    def set_grant(self, dataset_id: str, grant: Grant) -> None: ...
    def remove_grant(
        self, dataset_id: str, principal_type: PrincipalType, principal_id: int
    ) -> bool: ...


class PolicyRepository(Protocol):
    def add(self, policy: Policy) -> Policy: ...
    def find(self, policy_id: int) -> Policy | None: ...
    def for_dataset(self, dataset_id: str) -> list[Policy]: ...
    def update(self, policy: Policy) -> None: ...
    def delete(self, policy_id: int) -> None: ...
    def forget(self, principal_type: PrincipalType, principal_id: int) -> None:
        """Take a user or group that is being deleted off every policy (ids may be reused)."""
        ...


class CheckRepository(Protocol):
    def find(self, dataset_id: str) -> CheckSet | None: ...
    def put(self, check_set: CheckSet) -> None:
        """Store the dataset's checks and on-failure policy, replacing what was there."""
        ...

    def set_quarantine(self, dataset_id: str, quarantine_dataset_id: str) -> None: ...


class PositionRepository(Protocol):
    def find(self, key: PositionKey) -> SavedPosition | None: ...
    def save(self, saved: SavedPosition) -> None:
        """Keep `saved` unless the row holds a newer version already (positions only move
        forward in versions; a restore is a newer version too)."""
        ...

    def delete(self, key: PositionKey) -> None: ...
