"""PDP policies of a dataset, and the row filter every read path applies.

Read paths call `row_filter_in` (inside their own unit of work) or `Policies.row_filter`, and
hand the result to the query engine, which filters the dataset before any SQL sees it.
Managing policies needs CO_OWNER on the dataset: anyone below it is subject to them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from headwater.domain import access
from headwater.domain.access import AccessLevel
from headwater.domain.datasets import Dataset
from headwater.domain.errors import Conflict, InvalidInput, NotFound
from headwater.domain.policies import (
    ALL_ROWS_NAME,
    Policy,
    PolicyFilter,
    PolicyType,
    RowFilter,
    check_filters,
    pdp_enabled,
    row_filter_for,
)
from headwater.domain.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from headwater.domain.users import Principal
from headwater.services.datasets.access import authorize

MANAGE = AccessLevel.CO_OWNER


@dataclass(frozen=True)
class PolicySpec:
    name: str
    type: PolicyType = PolicyType.USER
    filters: list[PolicyFilter] = field(default_factory=list)
    user_ids: list[int] = field(default_factory=list)
    group_ids: list[int] = field(default_factory=list)
    virtual_user_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PolicyChanges:
    name: str | None = None
    type: PolicyType | None = None
    filters: list[PolicyFilter] | None = None
    user_ids: list[int] | None = None
    group_ids: list[int] | None = None
    virtual_user_ids: list[str] | None = None


def row_filter_in(
    uow: UnitOfWork, actor: Principal, dataset: Dataset, level: AccessLevel
) -> RowFilter:
    """The rows of `dataset` the actor may read, given their level on it (from `authorize`)."""
    return row_filter_for(actor, dataset.owner_id, level, uow.policies.for_dataset(dataset.id))


class Policies:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def row_filter(self, actor: Principal, dataset_id: str) -> RowFilter:
        """The one call for any read path: which rows of the dataset the actor may read.
        NotFound if they cannot see the dataset at all."""
        with self._uow() as uow:
            dataset, level = authorize(uow, actor, dataset_id, access.VIEW)
            return row_filter_in(uow, actor, dataset, level)

    def enabled(self, dataset_ids: Iterable[str]) -> set[str]:
        """Which of these datasets have PDP on (a policy besides All Rows)."""
        with self._uow() as uow:
            return {d for d in dataset_ids if pdp_enabled(uow.policies.for_dataset(d))}

    def list(self, actor: Principal, dataset_id: str) -> list[Policy]:
        with self._uow() as uow:
            dataset, _ = authorize(uow, actor, dataset_id, MANAGE)
            policies = _with_open_policy(uow, dataset)
            uow.commit()
            return policies

    def get(self, actor: Principal, dataset_id: str, policy_id: int) -> Policy:
        with self._uow() as uow:
            dataset, _ = authorize(uow, actor, dataset_id, MANAGE)
            _with_open_policy(uow, dataset)
            policy = _policy_of(uow, dataset_id, policy_id)
            uow.commit()
            return policy

    def create(self, actor: Principal, dataset_id: str, spec: PolicySpec) -> Policy:
        if spec.type is PolicyType.OPEN:
            raise InvalidInput(
                'a dataset has one "All Rows" policy already; update it to change who it names',
                field="type",
            )
        with self._uow() as uow:
            dataset, _ = authorize(uow, actor, dataset_id, MANAGE)
            _with_open_policy(uow, dataset)
            policy = Policy(
                id=0,
                dataset_id=dataset_id,
                name=_name(spec.name),
                type=spec.type,
                filters=check_filters(spec.filters, dataset.columns or []),
                user_ids=_users(uow, spec.user_ids),
                group_ids=_groups(uow, spec.group_ids),
                virtual_user_ids=list(spec.virtual_user_ids),
            )
            uow.policies.add(policy)
            uow.commit()
            return policy

    def update(
        self, actor: Principal, dataset_id: str, policy_id: int, changes: PolicyChanges
    ) -> Policy:
        with self._uow() as uow:
            dataset, _ = authorize(uow, actor, dataset_id, MANAGE)
            _with_open_policy(uow, dataset)
            policy = _policy_of(uow, dataset_id, policy_id)
            is_open = policy.type is PolicyType.OPEN
            if changes.type is not None and (changes.type is PolicyType.OPEN) != is_open:
                raise InvalidInput(
                    'the "All Rows" policy stays "open", and no other policy can become it',
                    field="type",
                )
            if changes.name is not None and not is_open:
                policy.name = _name(changes.name)
            if changes.type is not None:
                policy.type = changes.type
            if changes.filters is not None:
                if is_open and changes.filters:
                    raise InvalidInput(
                        'the "All Rows" policy has no filters: it shows every row',
                        field="filters",
                    )
                policy.filters = check_filters(changes.filters, dataset.columns or [])
            if changes.user_ids is not None:
                policy.user_ids = _users(uow, changes.user_ids)
            if changes.group_ids is not None:
                policy.group_ids = _groups(uow, changes.group_ids)
            if changes.virtual_user_ids is not None:
                policy.virtual_user_ids = list(changes.virtual_user_ids)
            uow.policies.update(policy)
            uow.commit()
            return policy

    def delete(self, actor: Principal, dataset_id: str, policy_id: int) -> None:
        with self._uow() as uow:
            authorize(uow, actor, dataset_id, MANAGE)
            policy = _policy_of(uow, dataset_id, policy_id)
            if policy.type is PolicyType.OPEN:
                raise Conflict(
                    'the "All Rows" policy cannot be deleted; remove its users instead',
                    code="POLICY_OPEN",
                )
            uow.policies.delete(policy_id)
            uow.commit()


def _with_open_policy(uow: UnitOfWork, dataset: Dataset) -> list[Policy]:
    """Every dataset has an "All Rows" policy naming its owner, made on first use."""
    policies = uow.policies.for_dataset(dataset.id)
    if not any(p.type is PolicyType.OPEN for p in policies):
        open_policy = Policy(
            id=0,
            dataset_id=dataset.id,
            name=ALL_ROWS_NAME,
            type=PolicyType.OPEN,
            user_ids=[dataset.owner_id],
        )
        policies.insert(0, uow.policies.add(open_policy))
    return policies


def _policy_of(uow: UnitOfWork, dataset_id: str, policy_id: int) -> Policy:
    policy = uow.policies.find(policy_id)
    if policy is None or policy.dataset_id != dataset_id:
        raise NotFound(f"no policy {policy_id} on dataset {dataset_id}")
    return policy


def _name(raw: str) -> str:
    if not raw.strip():
        raise InvalidInput("name must not be empty", field="name")
    return raw.strip()


def _users(uow: UnitOfWork, user_ids: list[int]) -> list[int]:
    for index, user_id in enumerate(user_ids):
        if uow.users.find(user_id) is None:
            raise InvalidInput(f"no user {user_id}", field=f"users[{index}]")
    return list(dict.fromkeys(user_ids))


def _groups(uow: UnitOfWork, group_ids: list[int]) -> list[int]:
    for index, group_id in enumerate(group_ids):
        if uow.groups.find(group_id) is None:
            raise InvalidInput(f"no group {group_id}", field=f"groups[{index}]")
    return list(dict.fromkeys(group_ids))
