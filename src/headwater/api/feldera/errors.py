"""The one table from domain errors to Feldera's statuses, codes and envelope.

Every error body under `/v0` is `{"message", "error_code", "details"}`, as Feldera's server
sends and its client reads (`FelderaAPIError`); authentication failures are 401
`AuthenticationFailed` without `details`. The Domo paths keep their own envelope
(`headwater.api.errors`).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from headwater.api.request_errors import message_of, validation_problems
from headwater.domain import errors

# A domain error's code → (HTTP status, Feldera error_code). Codes not listed fall back to
# the class table below.
BY_CODE: dict[str, tuple[int, str]] = {
    "UNKNOWN_PIPELINE": (404, "UnknownPipelineName"),
    "UNKNOWN_CONNECTOR": (404, "UnknownInputEndpoint"),
    "UNKNOWN_INPUT_STREAM": (404, "UnknownInputStream"),
    "UNKNOWN_TABLE": (404, "UnknownInputStream"),
    "DUPLICATE_NAME": (409, "DuplicateName"),
    "NAME_DOES_NOT_MATCH_PATTERN": (400, "NameDoesNotMatchPattern"),
    "INVALID_PROGRAM": (400, "ProgramParseError"),
    "INVALID_CONNECTOR_ACTION": (400, "InvalidConnectorAction"),
    "INVALID_INITIAL": (400, "InvalidParam"),
    "PAUSE_WHILE_NOT_PROVISIONED": (400, "PauseWhileNotProvisioned"),
    "RESUME_WHILE_NOT_PROVISIONED": (400, "ResumeWhileNotProvisioned"),
    "UPDATE_RESTRICTED_TO_STOPPED": (400, "UpdateRestrictedToStopped"),
    "DELETE_RESTRICTED_TO_FULLY_STOPPED": (400, "DeleteRestrictedToFullyStopped"),
    "STORAGE_STATUS_IMMUTABLE_UNLESS_STOPPED": (400, "StorageStatusImmutableUnlessStopped"),
    "ILLEGAL_PIPELINE_ACTION": (400, "IllegalPipelineAction"),
    "CANNOT_START_WITH_UNDISMISSED_ERROR": (400, "CannotStartWithUndismissedError"),
    # 503, as Feldera: its client retries these (4 attempts, 2/4/8 s apart)
    "PIPELINE_NOT_DEPLOYED": (503, "PipelineInteractionNotDeployed"),
    "RECORD_ERRORS": (400, "ParseErrors"),
    "INVALID_QUERY": (400, "AdHocQueryError"),
    "PIPELINE_RESTARTED": (410, "PipelineRestarted"),
    "UNKNOWN_ENDPOINT_IN_TOKEN": (410, "UnknownEndpointInCompletionToken"),
    "UNAUTHENTICATED": (401, "AuthenticationFailed"),
    "FORBIDDEN": (403, "InsufficientPermissions"),
}
BY_CLASS: dict[type[errors.HeadwaterError], tuple[int, str]] = {
    errors.InvalidInput: (400, "InvalidParam"),
    errors.Unauthenticated: (401, "AuthenticationFailed"),
    errors.PermissionDenied: (403, "InsufficientPermissions"),
    errors.NotFound: (404, "NotFound"),
    errors.Conflict: (409, "Conflict"),
    errors.Gone: (410, "Gone"),
}


def feldera_status(error: errors.HeadwaterError) -> tuple[int, str]:
    if error.code in BY_CODE:
        return BY_CODE[error.code]
    for cls in type(error).__mro__:
        if cls in BY_CLASS:
            return BY_CLASS[cls]
    return 500, "UnknownError"


def feldera_response(status: int, code: str, message: str, details: object) -> JSONResponse:
    if status == 401:
        return JSONResponse(
            {"message": message, "error_code": code}, 401, headers={"WWW-Authenticate": "Bearer"}
        )
    return JSONResponse({"message": message, "error_code": code, "details": details}, status)


async def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.HeadwaterError)
    status, code = feldera_status(exc)
    return feldera_response(status, code, exc.message, exc.details or None)


# A status the HTTP layer answers itself → Feldera's error code for it.
HTTP_CODES = {404: "NotFound", 405: "MethodNotAllowed", 413: "PayloadTooLarge"}


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = validation_problems(exc)
    details = {"field": problems[0]["field"], "problems": problems}
    return feldera_response(400, "InvalidParam", message_of(problems), details)


async def http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTP_CODES.get(exc.status_code, "HttpError")
    return feldera_response(exc.status_code, code, str(exc.detail), None)


def internal_error(toe: str) -> JSONResponse:
    """The last resort's answer (`api.last_resort`), which logged the error under `toe`."""
    return feldera_response(500, "UnknownError", f"an unexpected error occurred (toe {toe})", None)


def install_feldera_errors(app: FastAPI) -> None:
    """Anything else is the last resort's (`api.last_resort`): see `api.errors`."""
    app.add_exception_handler(errors.HeadwaterError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
