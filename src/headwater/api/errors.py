"""The one table from domain errors to HTTP, and the Domo error envelope.

Every error body on the Domo paths has the same keys, so clients can rely on them:
`{"status": 404, "statusReason": "Not Found", "code": "NOT_FOUND", "message": "...",
"toe": "<id to quote in a bug report>"}` plus, where known, `field`, `line`, `column`...
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from headwater.api.request_errors import message_of, validation_problems
from headwater.domain import errors

STATUS_BY_ERROR: dict[type[errors.HeadwaterError], int] = {
    errors.InvalidInput: 400,
    errors.Unauthenticated: 401,
    errors.PermissionDenied: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Gone: 410,
}

# A status the HTTP layer answers itself → the stable code of its body.
HTTP_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE"}


def status_of(error: errors.HeadwaterError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def domo_body(status: int, code: str, message: str, **details: Any) -> dict[str, Any]:
    return {
        "status": status,
        "statusReason": HTTPStatus(status).phrase,
        "code": code,
        "message": message,
        "toe": uuid.uuid4().hex.upper(),
        **details,
    }


def domo_response(status: int, code: str, message: str, **details: Any) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(domo_body(status, code, message, **details), status, headers=headers)


async def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.HeadwaterError)
    return domo_response(status_of(exc), exc.code, exc.message, **exc.details)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = validation_problems(exc)
    message = message_of(problems)
    return domo_response(
        400, "INVALID_INPUT", message, field=problems[0]["field"], problems=problems
    )


async def http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
    return domo_response(exc.status_code, code, str(exc.detail))


def internal_error(toe: str) -> JSONResponse:
    """The last resort's answer (`api.last_resort`), which logged the error under `toe`."""
    body = domo_body(500, "INTERNAL", "an unexpected error occurred; quote the toe to report it")
    return JSONResponse({**body, "toe": toe}, 500)


def install_error_handlers(
    app: FastAPI, mounted: Mapping[str, Callable[[Request, Exception], Awaitable[Response]]]
) -> None:
    """`mounted`: the path prefix of another dialect's sub-application → its handler of HTTP
    errors. A path there that the sub-application never saw (Starlette's mount pattern does
    not match a newline in a segment) is still that dialect's, and gets its envelope.

    Anything else is the last resort's (`api.last_resort`), a middleware: a handler of
    `Exception` here would run in Starlette's outermost middleware, which re-raises after
    answering, and the server then drops the keep-alive connection."""

    async def by_dialect(request: Request, exc: Exception) -> Response:
        for prefix, handler in mounted.items():
            if request.url.path == prefix or request.url.path.startswith(prefix + "/"):
                return await handler(request, exc)
        return await http_error(request, exc)

    app.add_exception_handler(errors.HeadwaterError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, by_dialect)
