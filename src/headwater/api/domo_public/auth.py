"""Who calls the public API: `Authorization: Bearer <access token from /oauth/token>`.

A developer token (any header `api.auth` accepts) works here too, with every scope, so the
same tools and scripts reach both APIs. An access token is checked for its scope: `data` for
datasets, streams and policies, `user` for users and groups.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from headwater.api.auth import services, token_from
from headwater.domain.errors import PermissionDenied
from headwater.domain.oauth import SCOPES
from headwater.domain.users import Principal
from headwater.services.identity.oauth import BearerCaller

# Declared for the OpenAPI document, so /docs offers a bearer "Authorize" button.
_bearer = HTTPBearer(auto_error=False, description="An access token from /oauth/token")


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2


def bearer_caller(request: Request, _: Annotated[object, Depends(_bearer)] = None) -> BearerCaller:
    token = token_from(request)
    found = services(request)
    if token and looks_like_jwt(token):
        return found.identity.oauth.authenticate(token)
    return BearerCaller(found.identity.auth.authenticate(token), SCOPES)


def scoped(scope: str) -> Callable[[BearerCaller], Principal]:
    def dependency(caller: Annotated[BearerCaller, Depends(bearer_caller)]) -> Principal:
        if scope not in caller.scopes:
            raise PermissionDenied(
                f"this access token lacks the {scope} scope; create the client with it",
                code="INSUFFICIENT_SCOPE",
            )
        return caller.principal

    return dependency


DataCaller = Annotated[Principal, Depends(scoped("data"))]
UserCaller = Annotated[Principal, Depends(scoped("user"))]
