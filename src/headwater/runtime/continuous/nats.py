"""`nats_input`: a JetStream stream through a durable pull consumer (nats-py).

Config (Feldera's shape): `{"connection_config": {"server_url": "nats://127.0.0.1:4222"},
"stream_name": "orders", "consumer_config": {"durable_name": ..., "filter_subjects": [...],
"deliver_policy": "All" | "New" | "Last", "ack_wait_secs": 30}}`.

Delivery: the position is the stream sequence of the newest committed message. Opening
(re)creates the durable consumer to deliver from just after it, so messages read but not
committed before a crash are delivered again, and committed ones are not. The consumer acks
with `AckPolicy.ALL`: one acknowledgement after each commit covers every message before it.
Redeliveries whose sequence was already taken (committed or buffered) are dropped, so the
table holds each message once. Paused, the connector sends no pull requests at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from headwater.runtime.continuous.source import (
    FatalSourceError,
    Fetched,
    SourceContext,
    TransientSourceError,
)

MIN_PULL_SECONDS = 0.25
MAX_PULL = 10_000  # messages per pull request: each fetch stays well inside the commit interval
POLICIES = {"all": DeliverPolicy.ALL, "new": DeliverPolicy.NEW, "last": DeliverPolicy.LAST}


class NatsSource:
    def __init__(self, context: SourceContext) -> None:
        config = context.config
        connection = config.get("connection_config") or {}
        consumer = config.get("consumer_config") or {}
        self._url = str(connection.get("server_url") or config.get("server_url") or "")
        self._stream = str(config.get("stream_name") or "")
        if not self._url or not self._stream:
            raise FatalSourceError("nats_input needs connection_config.server_url and stream_name")
        self._durable = str(
            consumer.get("durable_name") or consumer.get("name") or context.stable_id
        )
        subjects = consumer.get("filter_subjects") or (
            [consumer["filter_subject"]] if consumer.get("filter_subject") else []
        )
        self._subjects = [str(s) for s in subjects]
        policy = str(consumer.get("deliver_policy", "All")).lower()
        if policy not in POLICIES:
            raise FatalSourceError(f"nats_input: unknown deliver_policy {policy!r}")
        self._policy = POLICIES[policy]
        self._ack_wait = float(consumer.get("ack_wait_secs", 30))
        self._max_ack_pending = int(context.max_queued_records)
        self._loop = asyncio.new_event_loop()
        self._nc: Client | None = None
        self._sub: JetStreamContext.PullSubscription | None = None
        self._seen = 0  # newest stream sequence taken (committed or buffered)
        self._last: Msg | None = None  # newest message received, acked (ALL) after a commit
        self._fresh_unacked = 0
        self._arrived: list[Msg] = []
        self._wanted = 0
        self._request_done = asyncio.Event()
        self._inbox = ""
        self._next_subject = ""

    def _run(self, coro: Any) -> Any:
        return self._loop.run_until_complete(coro)

    def open(self, position: dict[str, Any] | None) -> None:
        self._seen = int((position or {}).get("stream_sequence", 0))
        try:
            self._run(self._connect())
        except NotFoundError:
            raise TransientSourceError(f"no JetStream stream {self._stream!r} (yet)") from None

    async def _connect(self) -> None:
        self._nc = await nats.connect(
            self._url, connect_timeout=5, max_reconnect_attempts=-1, reconnect_time_wait=0.5
        )
        js = self._nc.jetstream()
        await js.stream_info(self._stream)
        # deliver from just after the committed position, whatever the consumer did before
        with contextlib.suppress(NotFoundError):
            await js.delete_consumer(self._stream, self._durable)
        config = ConsumerConfig(
            durable_name=self._durable,
            ack_policy=AckPolicy.ALL,
            ack_wait=self._ack_wait,
            max_ack_pending=self._max_ack_pending,
            max_waiting=16,
        )
        if self._seen:
            config.deliver_policy = DeliverPolicy.BY_START_SEQUENCE
            config.opt_start_seq = self._seen + 1
        else:
            config.deliver_policy = self._policy
        if len(self._subjects) == 1:
            config.filter_subject = self._subjects[0]
        elif self._subjects:
            config.filter_subjects = self._subjects
        await js.add_consumer(self._stream, config)
        # Pull requests by hand onto an inbox with a callback: nats-py's `fetch` waits for
        # each message with its own timeout, about 3x slower (see docs/pipelines.md).
        self._inbox = self._nc.new_inbox()
        self._next_subject = f"$JS.API.CONSUMER.MSG.NEXT.{self._stream}.{self._durable}"
        await self._nc.subscribe(
            self._inbox, cb=self._on_message, pending_msgs_limit=-1, pending_bytes_limit=-1
        )

    async def _on_message(self, message: Msg) -> None:
        status = JetStreamContext.is_status_msg(message)
        if status is None:
            self._arrived.append(message)
            if len(self._arrived) >= self._wanted:
                self._request_done.set()
        elif status != "100":  # 404 no messages, 408 request expired, 409 ...: request over
            self._request_done.set()

    async def _pull(self, batch: int, timeout: float) -> list[Msg]:
        """One pull request, answered in full: no request is left waiting afterwards."""
        assert self._nc is not None
        if len(self._arrived) < batch:
            # A pull request that expires at once returns a handful: ask for a while at least
            timeout = max(timeout, MIN_PULL_SECONDS)
            self._wanted = batch - len(self._arrived)
            self._request_done = asyncio.Event()
            request = {"batch": self._wanted, "expires": int(max(timeout, 0.01) * 1e9)}
            await self._nc.publish(
                self._next_subject, json.dumps(request).encode(), reply=self._inbox
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._request_done.wait(), timeout + 2.0)
        messages, self._arrived = self._arrived, []
        return messages

    def fetch(self, max_records: int, timeout: float) -> Fetched:
        messages: list[Msg] = self._run(self._pull(min(max_records, MAX_PULL), timeout))
        payloads = []
        nbytes = 0
        duplicates = 0
        for message in messages:
            sequence = stream_sequence(message.reply)
            self._last = message
            if sequence <= self._seen:
                duplicates += 1  # redelivered, but already taken
                continue
            self._seen = sequence
            payloads.append(message.data)
            nbytes += len(message.data)
        self._fresh_unacked += len(payloads)
        if duplicates and not self._fresh_unacked:
            self.ack(None)  # nothing uncommitted comes before them: safe to ack at once
        return Fetched(
            payloads=payloads,
            position={"stream_sequence": self._seen},
            nbytes=nbytes,
            duplicates=duplicates,
        )

    def ack(self, position: dict[str, Any] | None) -> None:
        if self._last is not None:
            self._run(self._last.ack())
            if self._nc is not None:
                self._run(self._nc.flush())
            self._last = None
        self._fresh_unacked = 0

    def pause(self) -> None:
        pass  # no fetch, no pull request: the consumer delivers nothing while paused

    def resume(self) -> None:
        pass

    def close(self) -> None:
        try:
            if self._nc is not None:
                self._run(self._nc.close())
        finally:
            self._loop.close()


def stream_sequence(reply: str) -> int:
    """The stream sequence in a JetStream ack subject, without nats-py's full metadata parse
    (a third of the consumer's time): `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>...`, or
    with `<domain>.<account hash>` after `ACK` in the newer 12-token form."""
    tokens = reply.split(".")
    return int(tokens[5] if len(tokens) == 9 else tokens[7])
