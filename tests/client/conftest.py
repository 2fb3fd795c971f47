"""A real server over HTTP, and clients (sync and async) holding the admin's token."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from headwater.bootstrap import Runtime
from headwater.client import AsyncClient, Client, RetryConfig
from tests.conftest import ADMIN_TOKEN
from tests.support.live_server import LiveServer, live_server

# Fast retries: the tests exercise them, they need not wait like production does.
QUICK_RETRY = RetryConfig(max_retries=3, initial_backoff=0.01, max_backoff=0.5, jitter=0)


@pytest.fixture
def server(runtime: Runtime) -> Iterator[LiveServer]:
    with live_server(runtime) as running:
        yield running


@pytest.fixture
def running(server: LiveServer) -> LiveServer:
    """The server with its background services started (`Runtime.start()`): the scheduler
    fires schedules and the supervisor runs pipelines' connectors. The runtime fixture stops
    them."""
    server.runtime.start()
    return server


@pytest.fixture
def hw(server: LiveServer) -> Iterator[Client]:
    with Client(server.url, token=ADMIN_TOKEN, retry=QUICK_RETRY) as client:
        yield client


@pytest.fixture
async def ahw(server: LiveServer) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(server.url, token=ADMIN_TOKEN, retry=QUICK_RETRY) as client:
        yield client


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
