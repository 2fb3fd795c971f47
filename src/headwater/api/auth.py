"""Finding the caller's token and turning it into a principal.

Dependencies here are `async def` when they do no I/O: FastAPI runs a plain `def` dependency
in the thread pool, and each such hop costs more than the work it wraps. `Caller` needs the
database, so it is one hop; the hottest GET routes take `CallerToken` instead and
authenticate inside the one thread call that does their own database work."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from headwater.domain.users import Principal
from headwater.services.container import Services

# Declared for the OpenAPI document, so /docs offers an "Authorize" button.
_developer_token = APIKeyHeader(name="X-DOMO-Developer-Token", auto_error=False)


def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


async def _services_dependency(request: Request) -> Services:
    return services(request)


def token_from(request: Request) -> str | None:
    headers = request.headers  # case-insensitive
    for name in ("x-domo-developer-token", "x-domo-authentication"):
        if value := headers.get(name):
            return value.strip()
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


def current_principal(
    request: Request, _: Annotated[str | None, Depends(_developer_token)] = None
) -> Principal:
    return services(request).identity.auth.authenticate(token_from(request))


async def caller_token(
    request: Request, _: Annotated[str | None, Depends(_developer_token)] = None
) -> str | None:
    """The caller's token, not yet checked: the route must pass it to `auth.authenticate`
    before anything else, in the same thread call as its own work."""
    return token_from(request)


Caller = Annotated[Principal, Depends(current_principal)]
CallerToken = Annotated[str | None, Depends(caller_token)]
ServicesDep = Annotated[Services, Depends(_services_dependency)]
