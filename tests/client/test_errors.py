"""Errors from a real server, decoded into typed exceptions; retries honour Retry-After."""

from __future__ import annotations

import socket

import pytest

from headwater.client import (
    AsyncClient,
    BadRequest,
    Client,
    Conflict,
    Forbidden,
    InvalidQuery,
    NotFound,
    RateLimited,
    RequestError,
    RetryConfig,
    Unauthenticated,
)
from tests.client.conftest import QUICK_RETRY
from tests.conftest import ADMIN_TOKEN
from tests.support.faulty_proxy import faulty_proxy
from tests.support.live_server import LiveServer


def test_each_status_has_its_exception(hw: Client, server: LiveServer) -> None:
    with pytest.raises(NotFound) as missing:
        hw.datasets.get("no-such-dataset")
    assert (missing.value.status_code, missing.value.code) == (404, "NOT_FOUND")
    assert missing.value.toe
    assert "no-such-dataset" in missing.value.message

    with pytest.raises(BadRequest) as bad:
        hw.datasets.create("Broken", ["a:NOPE"])
    assert bad.value.field == "schema.columns[0].type"

    made = hw.datasets.create("Sales", ["a:LONG"])
    with pytest.raises(InvalidQuery):
        hw.datasets.query(made.id, "SELECT * FROM other_table")

    reader = hw.users.create("Reader", "reader@example.com", role_id=4)
    token = hw.tokens.create("t", owner_id=reader.id).token
    with Client(server.url, token=token, retry=QUICK_RETRY) as as_reader:
        with pytest.raises(Forbidden) as denied:
            as_reader.datasets.create("Mine", ["a:LONG"])
        assert denied.value.code == "FORBIDDEN"

    stream = hw.streams.create("S", ["a:LONG"])
    opened = hw.executions.create(stream.id)
    hw.executions.upload_part(stream.id, opened.id, 1, b"1\n", gzipped=False)
    hw.executions.commit(stream.id, opened.id)
    with pytest.raises(Conflict) as twice:
        hw.executions.commit(stream.id, opened.id)
    assert twice.value.code == "EXECUTION_FINISHED"

    with Client(server.url, token="wrong", retry=QUICK_RETRY) as stranger:
        with pytest.raises(Unauthenticated) as refused:
            stranger.users.me()
        assert refused.value.status_code == 401


def test_no_server_is_a_request_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # free, and nothing listens once closed
    with (
        Client(f"http://127.0.0.1:{port}", token="t", retry=QUICK_RETRY) as hw,
        pytest.raises(RequestError, match=f"cannot reach http://127.0.0.1:{port}"),
    ):
        hw.users.me()


def test_retry_after_is_honoured_for_gets_and_posts(server: LiveServer) -> None:
    with (
        faulty_proxy(server.url) as proxy,
        Client(proxy.url, token=ADMIN_TOKEN, retry=QUICK_RETRY) as hw,
    ):
        proxy.throttle(r"GET /api/content/v2/users/me", times=2, retry_after="0")
        assert hw.users.me().display_name == "admin"
        assert proxy.count("GET", "/users/me") == 3
        proxy.throttle(r"POST /api/data/v3/datasources", times=1, retry_after="0")
        hw.datasets.create("After a 429", ["a:LONG"])  # a 429 says it was not acted on
        assert proxy.count("POST", "/api/data/v3/datasources$") == 2
        assert [d.name for d in hw.datasets.list()] == ["After a 429"]


def test_retries_run_out_into_rate_limited(server: LiveServer) -> None:
    with (
        faulty_proxy(server.url) as proxy,
        Client(
            proxy.url, token=ADMIN_TOKEN, retry=RetryConfig(max_retries=2, initial_backoff=0.01)
        ) as hw,
    ):
        proxy.throttle(r"GET /api/content/v2/users/me", times=10, retry_after="0")
        with pytest.raises(RateLimited) as limited:
            hw.users.me()
        assert limited.value.retry_after == 0
        assert proxy.count("GET", "/users/me") == 3


@pytest.mark.anyio
async def test_the_async_client_decodes_the_same_errors(server: LiveServer) -> None:
    async with AsyncClient(server.url, token=ADMIN_TOKEN, retry=QUICK_RETRY) as hw:
        with pytest.raises(NotFound):
            await hw.datasets.get("missing")
        made = await hw.datasets.create("Sales", ["region:STRING"])
        with pytest.raises(InvalidQuery):
            await hw.datasets.query(made.id, "DROP TABLE table")
    with faulty_proxy(server.url) as proxy:
        async with AsyncClient(proxy.url, token=ADMIN_TOKEN, retry=QUICK_RETRY) as hw:
            proxy.throttle(r"GET /api/content/v2/users/me", times=1, retry_after="0")
            assert (await hw.users.me()).id == 1
            assert proxy.count("GET", "/users/me") == 2
