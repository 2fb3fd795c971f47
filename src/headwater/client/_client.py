"""`Client` and `AsyncClient`: one httpx connection pool, one resource object per resource."""

from __future__ import annotations

import ssl
from types import TracebackType
from typing import Self

import httpx

from headwater import __version__
from headwater.client._accounts import Accounts, AsyncAccounts
from headwater.client._connectors import AsyncConnectors, Connectors
from headwater.client._datasets import AsyncDatasets, Datasets
from headwater.client._executions import AsyncExecutions, Executions
from headwater.client._groups import AsyncGroups, Groups
from headwater.client._oauth_clients import AsyncOAuthClients, OAuthClients
from headwater.client._pipelines import AsyncPipelines, Pipelines
from headwater.client._retry import RetryConfig
from headwater.client._streams import AsyncStreams, Streams
from headwater.client._tokens import AsyncTokens, Tokens
from headwater.client._transport import AsyncTransport, SyncTransport
from headwater.client._uploads import AsyncUploads, Uploads
from headwater.client._users import AsyncUsers, Users

DEFAULT_URL = "http://127.0.0.1:8080"
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)


def _headers(token: str | None) -> dict[str, str]:
    headers = {"User-Agent": f"headwater-client/{__version__}", "Accept": "application/json"}
    if token:
        headers["X-DOMO-Developer-Token"] = token
    return headers


class Client:
    """A Headwater server, over HTTP.

    >>> with Client("http://127.0.0.1:8080", token="...") as hw:
    ...     sales = hw.datasets.create("Sales", ["region:STRING", "amount:LONG"])
    ...     hw.uploads.upload(sales.id, "sales.csv")
    ...     hw.datasets.query(sales.id, "SELECT region, SUM(amount) FROM table GROUP BY 1")
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        token: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryConfig | None = None,
        transport: httpx.BaseTransport | None = None,
        verify: bool | ssl.SSLContext = True,
    ) -> None:
        self.url = url
        self._http = httpx.Client(
            base_url=url,
            headers=_headers(token),
            timeout=timeout,
            transport=transport,
            verify=verify,
        )
        send = SyncTransport(self._http, retry or RetryConfig())
        self.datasets = Datasets(send)
        self.streams = Streams(send)
        self.executions = Executions(send)
        self.uploads = Uploads(send, self.executions)
        self.accounts = Accounts(send)
        self.users = Users(send)
        self.groups = Groups(send)
        self.tokens = Tokens(send)
        self.pipelines = Pipelines(send)
        self.connectors = Connectors(send)
        self.oauth_clients = OAuthClients(send)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


class AsyncClient:
    """The same resources, awaited: `async with AsyncClient(url, token=...) as hw: ...`."""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        token: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryConfig | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        verify: bool | ssl.SSLContext = True,
    ) -> None:
        self.url = url
        self._http = httpx.AsyncClient(
            base_url=url,
            headers=_headers(token),
            timeout=timeout,
            transport=transport,
            verify=verify,
        )
        send = AsyncTransport(self._http, retry or RetryConfig())
        self.datasets = AsyncDatasets(send)
        self.streams = AsyncStreams(send)
        self.executions = AsyncExecutions(send)
        self.uploads = AsyncUploads(send, self.executions)
        self.accounts = AsyncAccounts(send)
        self.users = AsyncUsers(send)
        self.groups = AsyncGroups(send)
        self.tokens = AsyncTokens(send)
        self.pipelines = AsyncPipelines(send)
        self.connectors = AsyncConnectors(send)
        self.oauth_clients = AsyncOAuthClients(send)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.aclose()
