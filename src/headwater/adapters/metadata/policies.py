"""PDP policies in SQL: one row per policy, filters and members as JSON."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from headwater.adapters.metadata.ids import inserted_id
from headwater.adapters.metadata.tables import pdp_policies
from headwater.domain.access import PrincipalType
from headwater.domain.policies import Operator, Policy, PolicyFilter, PolicyType


def _filters_json(filters: list[PolicyFilter]) -> list[dict[str, Any]]:
    return [
        {
            "column": f.column,
            "operator": f.operator.value,
            "values": list(f.values),
            "not": f.negate,
        }
        for f in filters
    ]


def _policy(row: Any) -> Policy:
    return Policy(
        id=row.id,
        dataset_id=row.dataset_id,
        name=row.name,
        type=PolicyType(row.type),
        filters=[
            PolicyFilter(
                f["column"], Operator(f["operator"]), tuple(f["values"]), bool(f.get("not"))
            )
            for f in row.filters
        ],
        user_ids=[int(u) for u in row.user_ids],
        group_ids=[int(g) for g in row.group_ids],
        virtual_user_ids=[str(v) for v in row.virtual_user_ids],
    )


def _values(policy: Policy) -> dict[str, Any]:
    return {
        "dataset_id": policy.dataset_id,
        "name": policy.name,
        "type": policy.type.value,
        "filters": _filters_json(policy.filters),
        "user_ids": list(policy.user_ids),
        "group_ids": list(policy.group_ids),
        "virtual_user_ids": list(policy.virtual_user_ids),
    }


class SqlPolicyRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, policy: Policy) -> Policy:
        result = self._c.execute(pdp_policies.insert().values(**_values(policy)))
        policy.id = inserted_id(result)
        return policy

    def find(self, policy_id: int) -> Policy | None:
        row = self._c.execute(pdp_policies.select().where(pdp_policies.c.id == policy_id)).first()
        return _policy(row) if row else None

    def for_dataset(self, dataset_id: str) -> list[Policy]:
        query = (
            pdp_policies.select()
            .where(pdp_policies.c.dataset_id == dataset_id)
            .order_by(pdp_policies.c.id)
        )
        return [_policy(row) for row in self._c.execute(query)]

    def update(self, policy: Policy) -> None:
        self._c.execute(
            pdp_policies.update().where(pdp_policies.c.id == policy.id).values(**_values(policy))
        )

    def delete(self, policy_id: int) -> None:
        self._c.execute(pdp_policies.delete().where(pdp_policies.c.id == policy_id))

    def forget(self, principal_type: PrincipalType, principal_id: int) -> None:
        # Members are JSON lists, which neither database indexes portably; policies are few
        # and users or groups are deleted rarely, so read them all and rewrite those named.
        for row in self._c.execute(pdp_policies.select()).all():
            policy = _policy(row)
            members = policy.user_ids if principal_type is PrincipalType.USER else policy.group_ids
            if principal_id in members:
                members[:] = [m for m in members if m != principal_id]
                self.update(policy)
