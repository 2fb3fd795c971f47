"""The client's retry policy: which failures are retried, and how long it waits first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from headwater.client import RetryConfig
from headwater.client._retry import retry_after

NO_JITTER = RetryConfig(max_retries=3, initial_backoff=1, multiplier=2, max_backoff=5, jitter=0)


def answer(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers)


def test_retry_after_in_seconds_or_as_an_http_date() -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert retry_after("7") == 7
    assert retry_after(" 1.5 ") == 1.5
    assert retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30
    assert retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0
    assert retry_after("soon") is None
    assert retry_after("") is None
    assert retry_after(None) is None


def test_the_servers_retry_after_wins_but_is_capped() -> None:
    assert NO_JITTER.after_response(0, "GET", answer(503, **{"Retry-After": "3"})) == 3
    assert NO_JITTER.after_response(0, "GET", answer(429, **{"Retry-After": "3600"})) == 5
    assert NO_JITTER.after_response(0, "GET", answer(503)) == 1  # computed backoff
    assert NO_JITTER.after_response(2, "GET", answer(503)) == 4
    assert NO_JITTER.after_response(3, "GET", answer(503)) is None  # retries used up


def test_only_transient_statuses_are_retried() -> None:
    for status in (400, 401, 403, 404, 409, 500):
        assert NO_JITTER.after_response(0, "GET", answer(status)) is None
    for status in (408, 429, 502, 503, 504):
        assert NO_JITTER.after_response(0, "GET", answer(status)) is not None


def test_a_stopped_pipeline_is_not_waited_for() -> None:
    """Feldera's client retries this 503; here it means the pipeline is stopped, which no
    wait changes."""
    stopped = {"message": "start it first", "error_code": "PipelineInteractionNotDeployed"}
    assert NO_JITTER.after_response(0, "GET", httpx.Response(503, json=stopped)) is None
    assert NO_JITTER.after_response(0, "POST", httpx.Response(503, json=stopped)) is None
    busy = {"message": "busy", "error_code": "Overloaded"}
    assert NO_JITTER.after_response(0, "GET", httpx.Response(503, json=busy)) == 1
    assert NO_JITTER.after_response(0, "GET", httpx.Response(503, text="not json")) == 1


def test_a_post_is_sent_again_only_when_the_server_cannot_have_acted() -> None:
    assert NO_JITTER.after_response(0, "POST", answer(429)) == 1
    assert NO_JITTER.after_response(0, "POST", answer(503)) == 1
    assert NO_JITTER.after_response(0, "POST", answer(502)) is None  # it may have run
    request = httpx.Request("POST", "http://x")
    never_sent = httpx.ConnectError("refused", request=request)
    dropped = httpx.RemoteProtocolError("closed", request=request)
    assert NO_JITTER.after_error(0, "POST", never_sent) == 1
    assert NO_JITTER.after_error(0, "POST", dropped) is None
    assert NO_JITTER.after_error(0, "PUT", dropped) == 1  # a part: sending again replaces it


def test_config_is_frozen_and_checked() -> None:
    with pytest.raises(ValueError, match="max_retries"):
        RetryConfig(max_retries=-1)
    with pytest.raises(ValueError, match="multiplier"):
        RetryConfig(multiplier=0)
    config = RetryConfig(retryable_status_codes={503})  # type: ignore[arg-type]
    assert config.retryable_status_codes == frozenset({503})
    with pytest.raises(AttributeError):
        config.max_retries = 9  # type: ignore[misc]
