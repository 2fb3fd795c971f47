"""Dataset permissions: the one place that decides who may see or change a dataset."""

from __future__ import annotations

from dataclasses import dataclass

from headwater.domain import access
from headwater.domain.access import AccessLevel, Grant, PrincipalType, effective_level
from headwater.domain.datasets import Dataset
from headwater.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from headwater.domain.ports import UnitOfWork, UnitOfWorkFactory
from headwater.domain.users import Principal


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
        """Grant levels in one transaction. Nobody grants more than they hold, nor OWNER."""
        with self._uow() as uow:
            dataset, level = authorize(uow, actor, dataset_id, access.SHARE)
            for grant in grants:
                if grant.level is AccessLevel.OWNER:
                    raise InvalidInput(
                        "a dataset has one OWNER; grant CO_OWNER instead",
                        field="permissions[].accessLevel",
                    )
                if not level.allows(grant.level):
                    raise PermissionDenied(
                        f"you hold {level.name} and cannot grant {grant.level.name}"
                    )
                _require_principal(uow, grant.principal_type, grant.principal_id)
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
            current = next(
                (
                    g
                    for g in uow.datasets.grants(dataset_id)
                    if g.principal_type is principal_type and g.principal_id == principal_id
                ),
                None,
            )
            if current is None:
                raise NotFound(
                    f"{principal_type.value} {principal_id} has no grant on dataset {dataset_id}"
                )
            if not level.allows(current.level):
                raise PermissionDenied(
                    f"you hold {level.name} and cannot revoke {current.level.name}"
                )
            uow.datasets.remove_grant(dataset_id, principal_type, principal_id)
            uow.commit()


def _require_principal(uow: UnitOfWork, principal_type: PrincipalType, principal_id: int) -> None:
    if principal_type is PrincipalType.USER:
        exists = uow.users.find(principal_id) is not None
    else:
        exists = uow.groups.find(principal_id) is not None
    if not exists:
        raise InvalidInput(
            f"no {principal_type.value.lower()} {principal_id}", field="permissions[].id"
        )
