"""Decoding error bodies into typed exceptions: both envelopes, and bodies that are neither."""

from __future__ import annotations

import httpx
import pytest

from headwater.client import (
    APIError,
    BadData,
    Conflict,
    InvalidQuery,
    NotFound,
    RateLimited,
    ServerError,
)
from headwater.client._core import error_from


def response(status: int, **kwargs: object) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request("GET", "http://h/x"), **kwargs)  # type: ignore[arg-type]


def test_the_domo_envelope_with_its_details() -> None:
    body = {
        "status": 400,
        "statusReason": "Bad Request",
        "code": "BAD_DATA",
        "message": "line 3, column \"n\": 'x' is not a LONG",
        "toe": "ABC",
        "line": 3,
        "column": "n",
    }
    error = error_from(response(400, json=body))
    assert isinstance(error, BadData)
    assert (error.status_code, error.code, error.toe, error.line, error.column) == (
        400,
        "BAD_DATA",
        "ABC",
        3,
        "n",
    )
    assert error.details == {"line": 3, "column": "n"}
    assert str(error) == "line 3, column \"n\": 'x' is not a LONG (400 BAD_DATA)"
    assert isinstance(
        error_from(response(400, json={**body, "code": "INVALID_QUERY"})), InvalidQuery
    )


def test_the_feldera_envelope() -> None:
    body = {
        "message": "no pipeline p",
        "error_code": "UnknownPipelineName",
        "details": {"name": "p"},
    }
    error = error_from(response(404, json=body))
    assert isinstance(error, NotFound)
    assert (error.code, error.message, error.details) == (
        "UnknownPipelineName",
        "no pipeline p",
        {"name": "p"},
    )


def test_feldera_codes_that_pick_their_class() -> None:
    stopped = error_from(
        response(503, json={"message": "start it", "error_code": "PipelineInteractionNotDeployed"})
    )
    assert isinstance(stopped, Conflict)  # a state to change, not a failing server
    assert stopped.status_code == 503
    query = error_from(response(400, json={"message": "no", "error_code": "AdHocQueryError"}))
    assert isinstance(query, InvalidQuery)


def test_bodies_that_are_not_json_keep_their_status() -> None:
    gateway = error_from(response(502, text="<html>Bad Gateway</html>"))
    assert isinstance(gateway, ServerError)
    assert (gateway.code, gateway.message) == ("INTERNAL", "<html>Bad Gateway</html>")
    empty = error_from(response(409))
    assert isinstance(empty, Conflict)
    assert empty.message == "Conflict"
    teapot = error_from(response(418, json=["odd"]))
    assert type(teapot) is APIError
    assert teapot.code == "HTTP_ERROR"


@pytest.mark.parametrize(("header", "seconds"), [("12", 12.0), (None, None)])
def test_rate_limited_carries_retry_after(header: str | None, seconds: float | None) -> None:
    headers = {"Retry-After": header} if header else {}
    error = error_from(response(429, json={"message": "slow down"}, headers=headers))
    assert isinstance(error, RateLimited)
    assert error.retry_after == seconds
