"""Helpers for tests against the local NATS server with JetStream (127.0.0.1:4222)."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import nats
from nats.js.api import StreamConfig

NATS_URL = "nats://127.0.0.1:4222"


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def unique_stream() -> tuple[str, str]:
    """A stream name and its subject, unique per test (tests run in parallel sessions)."""
    tag = uuid.uuid4().hex[:10]
    return f"HW_{tag}", f"hw.{tag}"


def create_stream(stream: str, subject: str) -> None:
    async def go() -> None:
        nc = await nats.connect(NATS_URL)
        await nc.jetstream().add_stream(StreamConfig(name=stream, subjects=[subject]))
        await nc.close()

    run(go())


def delete_stream(stream: str) -> None:
    async def go() -> None:
        nc = await nats.connect(NATS_URL)
        try:
            await nc.jetstream().delete_stream(stream)
        finally:
            await nc.close()

    run(go())


def consumer_info(stream: str, durable: str) -> Any:
    async def go() -> Any:
        nc = await nats.connect(NATS_URL)
        try:
            return await nc.jetstream().consumer_info(stream, durable)
        finally:
            await nc.close()

    return run(go())


def publish(subject: str, payloads: list[bytes]) -> None:
    async def go() -> None:
        nc = await nats.connect(NATS_URL)
        js = nc.jetstream()
        for payload in payloads:
            await js.publish(subject, payload)
        await nc.close()

    run(go())


class Publisher:
    """Publishes `{"id": n}` for n = 0, 1, 2... on a thread until stopped (each publish
    acknowledged by JetStream, so `published` is exactly what the stream holds)."""

    def __init__(self, subject: str, per_second: float = 300.0) -> None:
        self.subject = subject
        self.per_second = per_second
        self.published = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: run(self._go()), daemon=True)

    def __enter__(self) -> Publisher:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> int:
        self._stop.set()
        self._thread.join(30)
        return self.published

    async def _go(self) -> None:
        nc = await nats.connect(NATS_URL)
        js = nc.jetstream()
        pause = 1.0 / self.per_second
        while not self._stop.is_set():
            await js.publish(self.subject, json.dumps({"id": self.published}).encode())
            self.published += 1
            await asyncio.sleep(pause)
        await nc.close()


@contextmanager
def own_stream() -> Iterator[tuple[str, str]]:
    """A JetStream stream of the test's own: (name, subject); deleted afterwards."""
    name, subject = unique_stream()
    create_stream(name, subject)
    try:
        yield name, subject
    finally:
        delete_stream(name)
