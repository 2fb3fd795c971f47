"""Groups on `/v1/groups` with membership (pydomo's `domo.groups`); changes need Admin or
Privileged."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from headwater.api.auth import ServicesDep
from headwater.api.domo_public.auth import UserCaller
from headwater.api.domo_public.responses import PublicGroup
from headwater.api.domo_public.wire import group_json
from headwater.api.openapi_responses import typed
from headwater.api.ranges import Id
from headwater.api.shared.paging import PageDep
from headwater.services.identity.groups import MembershipChange

router = APIRouter(tags=["public API: groups"])


class GroupCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = Field(min_length=1)
    description: str = ""
    active: bool | str | None = None  # accepted; every group here is active


class GroupUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str | None = None
    description: str | None = None
    active: bool | str | None = None


@router.post("/v1/groups", status_code=status.HTTP_201_CREATED, responses=typed(PublicGroup, 201))
@router.post("/v1/groups/", status_code=status.HTTP_201_CREATED, include_in_schema=False)
def create_group(body: GroupCreate, caller: UserCaller, services: ServicesDep) -> dict[str, Any]:
    return group_json(services.identity.groups.create(caller, body.name, body.description))


@router.get("/v1/groups", responses=typed(list[PublicGroup]))
@router.get("/v1/groups/", include_in_schema=False)
def list_groups(caller: UserCaller, services: ServicesDep, page: PageDep) -> list[dict[str, Any]]:
    return [group_json(g) for g in services.identity.groups.page(caller, page.limit, page.offset)]


@router.get("/v1/groups/{group_id}", responses=typed(PublicGroup))
def get_group(group_id: Id, caller: UserCaller, services: ServicesDep) -> dict[str, Any]:
    return group_json(services.identity.groups.get(caller, group_id))


@router.put("/v1/groups/{group_id}", responses=typed(PublicGroup))
def update_group(
    group_id: Id, body: GroupUpdate, caller: UserCaller, services: ServicesDep
) -> dict[str, Any]:
    return group_json(
        services.identity.groups.update(caller, group_id, body.name, body.description)
    )


@router.delete("/v1/groups/{group_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_group(group_id: Id, caller: UserCaller, services: ServicesDep) -> Response:
    services.identity.groups.delete(caller, group_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/v1/groups/{group_id}/users")
def list_group_users(
    group_id: Id, caller: UserCaller, services: ServicesDep, page: PageDep
) -> list[int]:
    """The members' user ids, paged; `[]` past the end."""
    members = services.identity.groups.get(caller, group_id).member_ids
    return members[page.offset : page.offset + page.limit]


@router.put("/v1/groups/{group_id}/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def add_group_user(
    group_id: Id, user_id: Id, caller: UserCaller, services: ServicesDep
) -> Response:
    services.identity.groups.change_members(
        caller, [MembershipChange(group_id, add_user_ids=(user_id,))]
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/v1/groups/{group_id}/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_group_user(
    group_id: Id, user_id: Id, caller: UserCaller, services: ServicesDep
) -> Response:
    services.identity.groups.change_members(
        caller, [MembershipChange(group_id, remove_user_ids=(user_id,))]
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
