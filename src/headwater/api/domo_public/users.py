"""Users on `/v1/users` (pydomo's `domo.users`); creating, changing and deleting need Admin."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from headwater.api.auth import ServicesDep
from headwater.api.domo_public.auth import UserCaller
from headwater.api.domo_public.responses import PublicUser
from headwater.api.domo_public.wire import user_json
from headwater.api.openapi_responses import typed
from headwater.api.ranges import Id
from headwater.api.shared.paging import PageDep
from headwater.domain.errors import InvalidInput
from headwater.domain.users import Role

router = APIRouter(tags=["public API: users"])


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = Field(min_length=1)
    email: str
    role: str | int | None = None


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str | None = None
    email: str | None = None
    role: str | int | None = None


def role_in(raw: str | int | None) -> Role | None:
    if raw is None:
        return None
    role = Role.from_label(raw)
    if role is None:
        raise InvalidInput(
            f"unknown role {raw!r}; use Admin, Privileged, Editor or Participant", field="role"
        )
    return role


@router.post("/v1/users", status_code=status.HTTP_201_CREATED, responses=typed(PublicUser, 201))
@router.post("/v1/users/", status_code=status.HTTP_201_CREATED, include_in_schema=False)
def create_user(
    body: UserCreate, caller: UserCaller, services: ServicesDep, sendInvite: str | None = None
) -> dict[str, Any]:
    """`sendInvite` is accepted and ignored: Headwater sends no email."""
    role = role_in(body.role) or Role.PARTICIPANT
    return user_json(services.identity.users.create(caller, body.name, body.email, int(role)))


@router.get("/v1/users", responses=typed(list[PublicUser]))
@router.get("/v1/users/", include_in_schema=False)
def list_users(caller: UserCaller, services: ServicesDep, page: PageDep) -> list[dict[str, Any]]:
    return [user_json(u) for u in services.identity.users.page(caller, page.limit, page.offset)]


@router.get("/v1/users/{user_id}", responses=typed(PublicUser))
def get_user(user_id: Id, caller: UserCaller, services: ServicesDep) -> dict[str, Any]:
    return user_json(services.identity.users.get(caller, user_id))


@router.put("/v1/users/{user_id}", responses=typed(PublicUser))
def update_user(
    user_id: Id, body: UserUpdate, caller: UserCaller, services: ServicesDep
) -> dict[str, Any]:
    user = services.identity.users.update(
        caller, user_id, body.name, body.email, role_in(body.role)
    )
    return user_json(user)


@router.delete("/v1/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_user(user_id: Id, caller: UserCaller, services: ServicesDep) -> Response:
    services.identity.users.delete(caller, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
