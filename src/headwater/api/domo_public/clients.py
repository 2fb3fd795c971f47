"""OAuth clients, made by a user with their developer token: `/api/data/v1/clients`.

The secret appears in the create answer only; it is stored as a hash, like access tokens.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from headwater.api.auth import Caller, ServicesDep
from headwater.api.domo_public.responses import PublicClient, PublicClientCreated
from headwater.api.domo_public.wire import client_json
from headwater.api.openapi_responses import typed

router = APIRouter(tags=["public API: oauth clients"])


class ClientCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = Field(min_length=1)
    scope: list[str] | str | None = Field(
        default=None, description='["data", "user"] (the default) or OAuth\'s "data user"'
    )


@router.post(
    "/api/data/v1/clients",
    status_code=status.HTTP_201_CREATED,
    responses=typed(PublicClientCreated, 201),
)
def create_client(body: ClientCreate, caller: Caller, services: ServicesDep) -> dict[str, Any]:
    issued = services.identity.oauth.create_client(caller, body.name, body.scope)
    return {**client_json(issued.client), "clientSecret": issued.secret}


@router.get("/api/data/v1/clients", responses=typed(list[PublicClient]))
def list_clients(caller: Caller, services: ServicesDep) -> list[dict[str, Any]]:
    return [client_json(c) for c in services.identity.oauth.clients(caller)]


@router.delete("/api/data/v1/clients/{client_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_client(client_id: str, caller: Caller, services: ServicesDep) -> Response:
    services.identity.oauth.revoke_client(caller, client_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
