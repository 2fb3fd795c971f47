"""The two thin transports: send a `Call` over httpx, retry as `RetryConfig` says, decode.

They differ only in how they wait and send (blocking or awaited); every decision is the
core's (`_core.py`) or the retry policy's (`_retry.py`).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

import anyio
import httpx

from headwater.client._core import Call, Pager, decode, error_from, request_error
from headwater.client._retry import RetryConfig

T = TypeVar("T")


class SyncTransport:
    def __init__(
        self, http: httpx.Client, retry: RetryConfig, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.http = http
        self.retry = retry
        self._sleep = sleep

    def send(self, call: Call[T], retry: RetryConfig | None = None) -> T:
        return decode(call, self._exchange(call, retry or self.retry, stream=False))

    def collect(
        self, fetch: Callable[[int, int], Call[list[T]]], page_size: int, limit: int | None
    ) -> list[T]:
        pager = Pager(fetch, page_size, limit)
        while (call := pager.next_call()) is not None:
            pager.add(self.send(call))
        return pager.items

    @contextmanager
    def stream(self, call: Call[Any], retry: RetryConfig | None = None) -> Iterator[httpx.Response]:
        """A successful response whose body is read as it arrives; errors raise before."""
        response = self._exchange(call, retry or self.retry, stream=True)
        try:
            if not response.is_success:
                response.read()
                raise error_from(response)
            yield response
        finally:
            response.close()

    def _exchange(self, call: Call[Any], retry: RetryConfig, *, stream: bool) -> httpx.Response:
        attempt = 0
        while True:
            request = self.http.build_request(call.method, call.path, **call.request_kwargs())
            try:
                response = self.http.send(request, stream=stream)
            except httpx.TransportError as exc:
                delay = retry.after_error(attempt, call.method, exc)
                if delay is None:
                    raise request_error(exc, request) from exc
            else:
                delay = (
                    None
                    if response.is_success
                    else retry.after_response(attempt, call.method, response)
                )
                if delay is None:
                    return response
                response.close()
            attempt += 1
            self._sleep(delay)


class AsyncTransport:
    def __init__(self, http: httpx.AsyncClient, retry: RetryConfig) -> None:
        self.http = http
        self.retry = retry

    async def send(self, call: Call[T], retry: RetryConfig | None = None) -> T:
        return decode(call, await self._exchange(call, retry or self.retry, stream=False))

    async def collect(
        self, fetch: Callable[[int, int], Call[list[T]]], page_size: int, limit: int | None
    ) -> list[T]:
        pager = Pager(fetch, page_size, limit)
        while (call := pager.next_call()) is not None:
            pager.add(await self.send(call))
        return pager.items

    @asynccontextmanager
    async def stream(
        self, call: Call[Any], retry: RetryConfig | None = None
    ) -> AsyncIterator[httpx.Response]:
        response = await self._exchange(call, retry or self.retry, stream=True)
        try:
            if not response.is_success:
                await response.aread()
                raise error_from(response)
            yield response
        finally:
            await response.aclose()

    async def _exchange(
        self, call: Call[Any], retry: RetryConfig, *, stream: bool
    ) -> httpx.Response:
        attempt = 0
        while True:
            request = self.http.build_request(call.method, call.path, **call.request_kwargs())
            try:
                response = await self.http.send(request, stream=stream)
            except httpx.TransportError as exc:
                delay = retry.after_error(attempt, call.method, exc)
                if delay is None:
                    raise request_error(exc, request) from exc
            else:
                delay = (
                    None
                    if response.is_success
                    else retry.after_response(attempt, call.method, response)
                )
                if delay is None:
                    return response
                await response.aclose()
            attempt += 1
            await anyio.sleep(delay)
