"""`/oauth/token`: client credentials in, a signed access token out.

pydomo POSTs a form body with HTTP Basic auth; Domo's docs show GET with the parameters in
the query string. Both work, and so do `client_id`/`client_secret` parameters (RFC 6749
§2.3.1) for clients that cannot send Basic auth.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import parse_qsl

import anyio.to_thread
from fastapi import APIRouter, Request

from headwater.api.auth import ServicesDep
from headwater.api.domo_public.responses import PublicAccessToken
from headwater.api.openapi_bodies import TOKEN_FORM
from headwater.api.openapi_responses import typed
from headwater.api.text_checks import check_fields, limits_of
from headwater.domain.errors import InvalidInput

router = APIRouter(tags=["public API: oauth"])

MAX_FORM_BYTES = 64 * 1024


def basic_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidInput("the Basic credentials are not base64", field="Authorization") from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise InvalidInput(
            "Basic credentials must be client_id:client_secret", field="Authorization"
        )
    return client_id, secret


async def token_parameters(request: Request) -> dict[str, str]:
    params = dict(request.query_params)
    content_type = request.headers.get("content-type", "").lower()
    if request.method == "POST" and "application/x-www-form-urlencoded" in content_type:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                raise InvalidInput("the token request body is too large")
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    check_fields(params.items(), limits_of(request))
    return params


# Token errors carry RFC 6749's `error` beside the envelope's fields.
TOKEN_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A missing or unsupported grant_type or scope."},
    401: {"description": "An unknown client, or a wrong secret."},
}


@router.get(
    "/oauth/token",
    operation_id="oauth_token_get",
    responses={**typed(PublicAccessToken), **TOKEN_ERRORS},
)
@router.post(
    "/oauth/token",
    operation_id="oauth_token_post",
    responses={**typed(PublicAccessToken), **TOKEN_ERRORS},
    openapi_extra=TOKEN_FORM,
)
async def token(request: Request, services: ServicesDep) -> dict[str, Any]:
    params = await token_parameters(request)
    client_id, secret = basic_credentials(request) or (
        params.get("client_id"),
        params.get("client_secret"),
    )
    issued = await anyio.to_thread.run_sync(
        lambda: services.identity.oauth.issue_token(
            client_id, secret, params.get("grant_type"), params.get("scope")
        )
    )
    return {
        "access_token": issued.access_token,
        "token_type": "bearer",
        "expires_in": issued.expires_in,
        "scope": " ".join(issued.scopes),
        "customer": "headwater",
        "userId": issued.user.id,
        "role": issued.user.role.label,
        "jti": issued.token_id,
        "domain": request.url.netloc,
    }
