"""`nats_input`: a JetStream stream through a durable pull consumer.

Config (Feldera's shape): `{"connection_config": {"server_url": "nats://127.0.0.1:4222"},
"stream_name": "orders", "consumer_config": {"durable_name": ..., "filter_subjects": [...],
"deliver_policy": "All" | "New" | "Last", "ack_wait_secs": 30}}`.

Delivery: the position is the stream sequence of the newest committed message. Opening
(re)creates the durable consumer to deliver from just after it, so messages read but not
committed before a crash are delivered again, and committed ones are not. The consumer acks
with `AckPolicy.ALL`: one acknowledgement after each commit covers every message before it.
Redeliveries whose sequence was already taken (committed or buffered) are dropped, so the
table holds each message once. While messages are waiting, the next pull request goes out
before `fetch` returns, so they flow in while the worker commits; `pause` collects what it
brought, so paused, the connector has no pull request out and nothing unacknowledged.

nats-py creates the consumer; the messages come over a lean connection of our own
(`pull.JetStreamPull`), since nats-py's per-message objects are too slow for 100k/s.
Both use the same server, credentials and TLS (`endpoint.NatsEndpoint`); the reader
connects first, so what the server offers is known before nats-py sends any credentials.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import nats
from nats.aio.client import Client as NatsClient
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from headwater.connectors import egress
from headwater.connectors.sdk import (
    Fetched,
    SourceContext,
    TerminalError,
    TransientError,
)
from headwater.connectors.streaming.nats.endpoint import NatsEndpoint
from headwater.connectors.streaming.nats.pull import (
    CONNECT_SECONDS,
    JetStreamPull,
    Pulled,
    PullError,
)
from headwater.connectors.streaming.nats.spec import SPEC

# How long a pull request may stay out. Not the worker's (often tiny) fetch timeout: a fetch
# comes back by then anyway, leaving the request out, and nats-server 2.9 ends a request that
# expires mid-delivery without a word, which costs a wait for nothing and a half-empty batch.
REQUEST_SECONDS = 1.0
# messages per pull request: at ~150k/s one takes ~0.15 s, so a fetch returns well inside the
# commit interval and the commit is not held up waiting for it
MAX_PULL = 20_000
POLICIES = {"all": DeliverPolicy.ALL, "new": DeliverPolicy.NEW, "last": DeliverPolicy.LAST}


class NatsSource:
    @staticmethod
    def spec() -> dict[str, Any]:
        """The JSON Schema of `transport.config` (checked when a pipeline is defined)."""
        return SPEC

    def __init__(self, context: SourceContext) -> None:
        config = context.config
        consumer = config.get("consumer_config") or {}
        self._endpoint = NatsEndpoint.from_config(config, context.allowed_dirs)
        self._stream = str(config.get("stream_name") or "")
        if not self._stream:
            raise TerminalError("nats_input needs stream_name")
        self._durable = str(
            consumer.get("durable_name") or consumer.get("name") or context.stable_id
        )
        subjects = consumer.get("filter_subjects") or (
            [consumer["filter_subject"]] if consumer.get("filter_subject") else []
        )
        self._subjects = [str(s) for s in subjects]
        policy = str(consumer.get("deliver_policy", "All")).lower()
        if policy not in POLICIES:
            raise TerminalError(f"nats_input: unknown deliver_policy {policy!r}")
        self._policy = POLICIES[policy]
        self._ack_wait = float(consumer.get("ack_wait_secs", 30))
        self._max_ack_pending = int(context.max_queued_records)
        self._pull: JetStreamPull | None = None
        self._seen = 0  # newest stream sequence taken (committed or buffered)
        self._ack_reply: bytes | None = None  # newest message taken, acked (ALL) after a commit
        self._fresh_unacked = 0
        self._backlog = False  # the last pull request filled its batch: more was waiting
        self._broken: str | None = None  # the connection failed while pausing

    def open(self, position: dict[str, Any] | None) -> None:
        self._seen = int((position or {}).get("stream_sequence", 0))
        pull = JetStreamPull(self._endpoint, self._stream, self._durable)
        try:
            pull.connect()  # through the egress policy (see JetStreamPull._open_connection)
            self._refuse_plain_consumer_connection(pull.server_info)
            # nats-py resolves and connects by itself: its destination checked first too.
            egress.resolve(self._endpoint.host, self._endpoint.port)
            asyncio.run(self._create_consumer())
        except NotFoundError:
            pull.close()
            raise TransientError(f"no JetStream stream {self._stream!r} (yet)") from None
        except PullError as exc:
            pull.close()
            raise TransientError(str(exc)) from None
        except TransientError:
            pull.close()
            raise
        except Exception as exc:  # from nats-py: described, secrets masked
            pull.close()
            raise TransientError(self._endpoint.describe(exc)) from None
        self._pull = pull

    def _refuse_plain_consumer_connection(self, info: dict[str, object]) -> None:
        """nats-py (2.16) upgrades to TLS only when the server *requires* it: against one that
        merely offers it (`allow_non_tls`) it would manage the consumer in the clear,
        credentials included, although the connector asked for TLS. Refused instead."""
        tls = self._endpoint.tls
        if tls is not None and not tls.handshake_first and not info.get("tls_required"):
            raise TransientError(
                f"{self._endpoint.address} offers TLS without requiring it; nats-py, which "
                "manages the consumer, would then connect without TLS, so nats_input does not "
                "connect: make the server require TLS (or use tls.handshake_first)"
            )

    async def _connect(self) -> NatsClient:
        """nats-py's connection, for managing the consumer: same server, credentials, TLS."""

        async def quiet(_: Exception) -> None:
            pass  # what fails is raised and reported by the caller, not logged by nats-py

        return await asyncio.wait_for(
            nats.connect(
                **self._endpoint.nats_py_options(),
                connect_timeout=int(CONNECT_SECONDS),
                allow_reconnect=False,
                max_reconnect_attempts=0,
                error_cb=quiet,
            ),
            2 * CONNECT_SECONDS,
        )

    async def _create_consumer(self) -> None:
        nc = await self._connect()
        try:
            js = nc.jetstream()
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
        finally:
            await nc.close()

    async def _check_consumer(self) -> None:
        nc = await self._connect()
        try:
            await nc.jetstream().consumer_info(self._stream, self._durable)
        except NotFoundError:
            raise TransientError(
                f"the consumer {self._durable!r} of {self._stream!r} is gone"
            ) from None
        finally:
            await nc.close()

    def fetch(self, max_records: int, timeout: float) -> Fetched:
        if self._broken is not None:
            raise TransientError(self._broken)
        assert self._pull is not None
        batch = min(max_records, MAX_PULL)
        expires = max(timeout, REQUEST_SECONDS)
        try:
            if not self._pull.requesting:
                self._pull.request(batch, expires)
            # back by the worker's deadline, so a commit is never late for a pull
            pulled = self._pull.collect(time.monotonic() + timeout)
            more = min(MAX_PULL, max_records - len(pulled.replies))
            if not self._pull.requesting and not pulled.exhausted and more > 0:
                # more is waiting: ask for it now, so it flows in while the worker decodes and
                # commits this (pause() collects it if the worker stops here)
                self._pull.request(more, expires)
        except PullError as exc:  # the worker reopens, recreating the consumer
            raise TransientError(str(exc)) from exc
        if pulled.silent and not pulled.replies:
            try:
                asyncio.run(self._check_consumer())
            except TransientError:
                raise
            except Exception as exc:  # from nats-py: described, secrets masked
                raise TransientError(self._endpoint.describe(exc)) from None
        return self._taken(pulled)

    def _taken(self, pulled: Pulled) -> Fetched:
        """The pulled messages but those already taken (redeliveries), which it counts."""
        payloads = []
        duplicates = 0
        seen = self._seen
        newest = self._ack_reply
        for reply, payload in zip(pulled.replies, pulled.payloads, strict=True):
            sequence = stream_sequence(reply)
            if sequence <= seen:
                duplicates += 1  # redelivered, but already taken
                if newest is None:
                    newest = reply
                continue
            seen = sequence
            newest = reply
            payloads.append(payload)
        self._seen = seen
        self._ack_reply = newest
        self._fresh_unacked += len(payloads)
        if duplicates and not self._fresh_unacked:
            self.ack(None)  # nothing uncommitted comes before them: safe to ack at once
        # a backlog just ran out: commit now rather than at the end of the interval; a trickle
        # (each pull running out) still commits once per interval
        drained = pulled.exhausted and self._backlog and bool(payloads)
        self._backlog = not pulled.exhausted and bool(pulled.replies)
        return Fetched(
            payloads=payloads,
            position={"stream_sequence": self._seen},
            nbytes=sum(map(len, payloads)),
            duplicates=duplicates,
            idle=drained,
        )

    def ack(self, position: dict[str, Any] | None) -> None:
        """Everything taken is committed: one ack of the newest (`AckPolicy.ALL`)."""
        if self._ack_reply is not None and self._pull is not None:
            try:
                self._pull.ack(self._ack_reply)
            except PullError as exc:
                raise TransientError(str(exc)) from exc
            self._ack_reply = None
        self._fresh_unacked = 0

    def pause(self) -> Fetched | None:
        """Let the pull request still out finish, and hand over what it brought: after this
        nothing waits at the server and nothing is delivered but unacknowledged."""
        if self._pull is None or not self._pull.requesting:
            return None
        try:
            return self._taken(self._pull.collect())
        except (PullError, TransientError) as exc:
            # what was on its way stays unacknowledged: reopening (at the next fetch)
            # recreates the consumer at the committed position, so it comes again
            self._broken = str(exc)
            self._pull.close()
            return None

    def resume(self) -> None:
        pass

    def close(self) -> None:
        if self._pull is not None:
            self._pull.close()


def stream_sequence(reply: bytes) -> int:
    """The stream sequence in a JetStream ack subject: `$JS.ACK.<stream>.<consumer>.
    <delivered>.<sseq>...`, or with `<domain>.<account hash>` after `ACK` in the newer
    12-token form."""
    tokens = reply.split(b".")
    return int(tokens[5] if len(tokens) == 9 else tokens[7])
