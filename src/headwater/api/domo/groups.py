"""Groups: `/api/content/v2/groups` and membership through `PUT .../groups/access`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Response, status
from pydantic import BaseModel, ConfigDict, Field

from headwater.api.auth import Caller, ServicesDep
from headwater.api.domo.responses import DomoGroup
from headwater.api.domo.wire import epoch_ms
from headwater.api.openapi_responses import typed
from headwater.api.ranges import BodyId, Id
from headwater.api.shared.paging import PageDep
from headwater.domain.access import PrincipalType
from headwater.domain.errors import InvalidInput
from headwater.domain.users import Group
from headwater.services.identity.groups import MembershipChange

router = APIRouter(tags=["groups"])


class GroupCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = Field(min_length=1)
    description: str = ""


class Member(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str = "USER"
    id: BodyId


class AccessChange(BaseModel):
    model_config = ConfigDict(extra="ignore")
    groupId: BodyId
    addMembers: list[Member] = []
    removeMembers: list[Member] = []


def group_json(group: Group) -> dict[str, Any]:
    return {
        "id": group.id,
        "groupId": group.id,
        "name": group.name,
        "description": group.description,
        "groupType": "open",
        "userIds": list(group.member_ids),
        "memberCount": len(group.member_ids),
        "created": epoch_ms(group.created_at),
    }


def _user_ids(members: list[Member]) -> tuple[int, ...]:
    for member in members:
        if PrincipalType.parse(member.type) is not PrincipalType.USER:
            raise InvalidInput("groups contain users only", field="addMembers[].type")
    return tuple(m.id for m in members)


@router.post(
    "/api/content/v2/groups", status_code=status.HTTP_201_CREATED, responses=typed(DomoGroup, 201)
)
def create_group(body: GroupCreate, caller: Caller, services: ServicesDep) -> dict[str, Any]:
    return group_json(services.identity.groups.create(caller, body.name, body.description))


@router.get("/api/content/v2/groups", responses=typed(list[DomoGroup]))
def list_groups(caller: Caller, services: ServicesDep, page: PageDep) -> list[dict[str, Any]]:
    return [group_json(g) for g in services.identity.groups.page(caller, page.limit, page.offset)]


@router.put("/api/content/v2/groups/access", responses=typed(list[DomoGroup]))
def change_access(
    caller: Caller,
    services: ServicesDep,
    body: list[AccessChange] | AccessChange = Body(...),  # noqa: B008 - FastAPI's idiom
) -> list[dict[str, Any]]:
    changes = body if isinstance(body, list) else [body]
    groups = services.identity.groups.change_members(
        caller,
        [
            MembershipChange(c.groupId, _user_ids(c.addMembers), _user_ids(c.removeMembers))
            for c in changes
        ],
    )
    return [group_json(g) for g in groups]


@router.get("/api/content/v2/groups/{group_id}", responses=typed(DomoGroup))
def get_group(group_id: Id, caller: Caller, services: ServicesDep) -> dict[str, Any]:
    return group_json(services.identity.groups.get(caller, group_id))


@router.delete("/api/content/v2/groups/{group_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_group(group_id: Id, caller: Caller, services: ServicesDep) -> Response:
    services.identity.groups.delete(caller, group_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
