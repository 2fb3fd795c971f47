"""Access tokens: `/api/data/v1/accesstokens`. The secret appears in the create answer only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from headwater.api.auth import Caller, ServicesDep
from headwater.api.domo.responses import DomoToken, DomoTokenCreated
from headwater.api.domo.wire import epoch_ms
from headwater.api.openapi_responses import typed
from headwater.api.ranges import BodyId, Id
from headwater.domain.errors import InvalidInput
from headwater.domain.tokens import AccessToken

router = APIRouter(tags=["access tokens"])


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = Field(min_length=1)
    ownerId: BodyId | None = None
    expires: int | None = Field(default=None, description="Expiry, epoch milliseconds.")


def token_json(token: AccessToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "ownerId": token.user_id,
        "expires": epoch_ms(token.expires_at),
        "created": epoch_ms(token.created_at),
    }


def _expiry(expires_ms: int | None) -> datetime | None:
    if not expires_ms:
        return None
    try:
        return datetime.fromtimestamp(expires_ms / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        raise InvalidInput("expires must be epoch milliseconds", field="expires") from None


@router.post(
    "/api/data/v1/accesstokens",
    status_code=status.HTTP_201_CREATED,
    responses=typed(DomoTokenCreated, 201),
)
def create_token(body: TokenCreate, caller: Caller, services: ServicesDep) -> dict[str, Any]:
    issued = services.identity.tokens.create(caller, body.name, body.ownerId, _expiry(body.expires))
    return {**token_json(issued.token), "token": issued.secret}


@router.get("/api/data/v1/accesstokens", responses=typed(list[DomoToken]))
def list_tokens(caller: Caller, services: ServicesDep) -> list[dict[str, Any]]:
    return [token_json(t) for t in services.identity.tokens.visible(caller)]


@router.delete("/api/data/v1/accesstokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(token_id: Id, caller: Caller, services: ServicesDep) -> Response:
    services.identity.tokens.revoke(caller, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
