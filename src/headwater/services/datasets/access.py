"""Dataset permissions: the one place that decides who may see or change a dataset."""

from __future__ import annotations

from dataclasses import dataclass

from headwater.domain import access
from headwater.domain.access import (
    AccessLevel,
    Grant,
    PrincipalType,
    check_grant_change,
    effective_level,
    grant_of,
)
from headwater.domain.datasets import Dataset
from headwater.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from headwater.domain.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from headwater.domain.users import Principal

MAX_PRINCIPAL_ID = 2**31 - 1


def authorize(
    uow: UnitOfWork, actor: Principal, dataset_id: str, needed: AccessLevel
) -> tuple[Dataset, AccessLevel]:
    """The dataset and the actor's level on it; NotFound if they cannot see it at all."""
    dataset = uow.datasets.find(dataset_id)
    level = None
    if dataset is not None:
        level = effective_level(actor, dataset.owner_id, uow.datasets.grants(dataset_id))
    if dataset is None or level is None:
        raise NotFound(f"no dataset {dataset_id}")
    if not level.allows(needed):
        raise PermissionDenied(
            f"{needed.name} is needed on dataset {dataset_id}; you have {level.name}"
        )
    return dataset, level


@dataclass(frozen=True)
class AccessEntry:
    principal_type: PrincipalType
    principal_id: int
    level: AccessLevel
    name: str


class DatasetAccess:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def entries(self, actor: Principal, dataset_id: str) -> list[AccessEntry]:
        with self._uow() as uow:
            dataset, _ = authorize(uow, actor, dataset_id, access.VIEW)
            owner = uow.users.find(dataset.owner_id)
            entries = [
                AccessEntry(
                    PrincipalType.USER,
                    dataset.owner_id,
                    AccessLevel.OWNER,
                    owner.display_name if owner else "",
                )
            ]
            for grant in uow.datasets.grants(dataset_id):
                if grant.principal_type is PrincipalType.USER:
                    user = uow.users.find(grant.principal_id)
                    name = user.display_name if user else ""
                else:
                    group = uow.groups.find(grant.principal_id)
                    name = group.name if group else ""
                entries.append(
                    AccessEntry(grant.principal_type, grant.principal_id, grant.level, name)
                )
            return entries

    def share(self, actor: Principal, dataset_id: str, grants: list[Grant]) -> None:
        """Grant levels in one transaction, all or none, under `access.check_grant_change`."""
        with self._uow() as uow:
            dataset, level = authorize(uow, actor, dataset_id, access.SHARE)
            existing = uow.datasets.grants(dataset_id)
            for grant in grants:
                current = grant_of(existing, grant.principal_type, grant.principal_id)
                check_grant_change(level, current.level if current else None, grant.level)
                require_principal(uow, grant.principal_type, grant.principal_id)
                if (
                    grant.principal_type is PrincipalType.USER
                    and grant.principal_id == dataset.owner_id
                ):
                    continue  # the owner keeps OWNER; a lower grant would mean nothing
                uow.datasets.set_grant(dataset_id, grant)
            uow.commit()

    def revoke(
        self, actor: Principal, dataset_id: str, principal_type: PrincipalType, principal_id: int
    ) -> None:
        with self._uow() as uow:
            dataset, level = authorize(uow, actor, dataset_id, access.SHARE)
            if principal_type is PrincipalType.USER and principal_id == dataset.owner_id:
                raise Conflict("the owner's access cannot be revoked", code="OWNER_ACCESS")
            current = grant_of(uow.datasets.grants(dataset_id), principal_type, principal_id)
            if current is None:
                raise NotFound(
                    f"{principal_type.value} {principal_id} has no grant on dataset {dataset_id}"
                )
            check_grant_change(level, current.level, None)
            uow.datasets.remove_grant(dataset_id, principal_type, principal_id)
            uow.commit()


def require_principal(uow: UnitOfWork, principal_type: PrincipalType, principal_id: int) -> None:
    """A grant must name a user or group that exists (account grants have no foreign key)."""
    # Ids are 32-bit in the metadata database (PostgreSQL `integer`): a larger number names
    # nobody, and would overflow the driver rather than find nothing.
    if not 0 < principal_id <= MAX_PRINCIPAL_ID:
        exists = False
    elif principal_type is PrincipalType.USER:
        exists = uow.users.find(principal_id) is not None
    else:
        exists = uow.groups.find(principal_id) is not None
    if not exists:
        raise InvalidInput(
            f"no {principal_type.value.lower()} {principal_id}", field="permissions[].id"
        )
