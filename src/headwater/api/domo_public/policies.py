"""PDP policies of a DataSet: `/v1/datasets/{id}/policies` (pydomo's `create_pdp` & co.)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from headwater.api.auth import ServicesDep
from headwater.api.domo_public.auth import DataCaller
from headwater.api.domo_public.responses import PublicPolicy
from headwater.api.domo_public.wire import policy_json
from headwater.api.openapi_responses import typed
from headwater.api.ranges import BodyId, Id
from headwater.domain.policies import Operator, PolicyFilter, PolicyType
from headwater.services.datasets.policies import PolicyChanges, PolicySpec

router = APIRouter(tags=["public API: PDP policies"])


class FilterIn(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    column: str
    values: list[str | int | float | bool]
    operator: str = "EQUALS"
    not_: bool = Field(default=False, alias="not")


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str | None = None
    type: str | None = None
    filters: list[FilterIn] | None = None
    users: list[BodyId] | None = None
    groups: list[BodyId] | None = None
    virtualUsers: list[str | int] | None = None


def _text(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def filters_in(raw: list[FilterIn] | None) -> list[PolicyFilter] | None:
    if raw is None:
        return None
    return [
        PolicyFilter(
            f.column,
            Operator.parse(f.operator, f"filters[{i}].operator"),
            tuple(_text(v) for v in f.values),
            f.not_,
        )
        for i, f in enumerate(raw)
    ]


@router.post(
    "/v1/datasets/{dataset_id}/policies",
    status_code=status.HTTP_201_CREATED,
    responses=typed(PublicPolicy, 201),
)
def create_policy(
    dataset_id: str, body: PolicyIn, caller: DataCaller, services: ServicesDep
) -> dict[str, Any]:
    spec = PolicySpec(
        name=body.name or "",
        type=PolicyType.parse(body.type) if body.type else PolicyType.USER,
        filters=filters_in(body.filters) or [],
        user_ids=body.users or [],
        group_ids=body.groups or [],
        virtual_user_ids=[str(v) for v in body.virtualUsers or []],
    )
    return policy_json(services.datasets.policies.create(caller, dataset_id, spec))


@router.get("/v1/datasets/{dataset_id}/policies", responses=typed(list[PublicPolicy]))
def list_policies(
    dataset_id: str, caller: DataCaller, services: ServicesDep
) -> list[dict[str, Any]]:
    return [policy_json(p) for p in services.datasets.policies.list(caller, dataset_id)]


@router.get("/v1/datasets/{dataset_id}/policies/{policy_id}", responses=typed(PublicPolicy))
def get_policy(
    dataset_id: str, policy_id: Id, caller: DataCaller, services: ServicesDep
) -> dict[str, Any]:
    return policy_json(services.datasets.policies.get(caller, dataset_id, policy_id))


@router.put("/v1/datasets/{dataset_id}/policies/{policy_id}", responses=typed(PublicPolicy))
def update_policy(
    dataset_id: str, policy_id: Id, body: PolicyIn, caller: DataCaller, services: ServicesDep
) -> dict[str, Any]:
    changes = PolicyChanges(
        name=body.name,
        type=PolicyType.parse(body.type) if body.type else None,
        filters=filters_in(body.filters),
        user_ids=body.users,
        group_ids=body.groups,
        virtual_user_ids=[str(v) for v in body.virtualUsers]
        if body.virtualUsers is not None
        else None,
    )
    return policy_json(services.datasets.policies.update(caller, dataset_id, policy_id, changes))


@router.delete(
    "/v1/datasets/{dataset_id}/policies/{policy_id}", status_code=status.HTTP_204_NO_CONTENT
)
def delete_policy(
    dataset_id: str, policy_id: Id, caller: DataCaller, services: ServicesDep
) -> Response:
    services.datasets.policies.delete(caller, dataset_id, policy_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
