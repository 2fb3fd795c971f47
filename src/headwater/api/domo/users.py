"""Users: `/api/content/v3/users` to create, `/api/content/v2/users` to read."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from headwater.api.auth import Caller, ServicesDep
from headwater.api.domo.responses import DomoUser
from headwater.api.domo.wire import epoch_ms
from headwater.api.openapi_responses import typed
from headwater.api.ranges import Id
from headwater.api.shared.paging import PageDep
from headwater.domain.users import User

router = APIRouter(tags=["users"])


class UserDetail(BaseModel):
    model_config = ConfigDict(extra="ignore")
    email: str


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    displayName: str = Field(min_length=1)
    detail: UserDetail
    roleId: int | None = None


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "displayName": user.display_name,
        "userName": user.email,
        "emailAddress": user.email,
        "roleId": int(user.role),
        "role": user.role.label,
        "detail": {"email": user.email},
        "created": epoch_ms(user.created_at),
    }


@router.post(
    "/api/content/v3/users", status_code=status.HTTP_201_CREATED, responses=typed(DomoUser, 201)
)
def create_user(body: UserCreate, caller: Caller, services: ServicesDep) -> dict[str, Any]:
    user = services.identity.users.create(caller, body.displayName, body.detail.email, body.roleId)
    return user_json(user)


@router.get("/api/content/v2/users/me", responses=typed(DomoUser))
def me(caller: Caller) -> dict[str, Any]:
    return user_json(caller.user)


@router.get("/api/content/v2/users", responses=typed(list[DomoUser]))
@router.get("/api/content/v3/users", include_in_schema=False)
def list_users(caller: Caller, services: ServicesDep, page: PageDep) -> list[dict[str, Any]]:
    return [user_json(u) for u in services.identity.users.page(caller, page.limit, page.offset)]


@router.get("/api/content/v2/users/{user_id}", responses=typed(DomoUser))
@router.get("/api/content/v3/users/{user_id}", include_in_schema=False)
def get_user(user_id: Id, caller: Caller, services: ServicesDep) -> dict[str, Any]:
    return user_json(services.identity.users.get(caller, user_id))
