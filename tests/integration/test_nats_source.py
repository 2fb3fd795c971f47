"""`nats_input`'s source and its lean pull connection against the real JetStream server
(127.0.0.1:4222): once paused nothing waits at the server (so nothing is fetched),
messages published while paused come after resume exactly once, a restart resumes after the
committed sequence, redeliveries are dropped, a deleted consumer is a transient error."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from headwater.connectors.sdk import Fetched, SourceContext, TransientError
from headwater.connectors.streaming.nats import source as nats_source
from headwater.connectors.streaming.nats.endpoint import NatsEndpoint
from headwater.connectors.streaming.nats.pull import JetStreamPull
from headwater.connectors.streaming.nats.source import NatsSource
from headwater.domain.datasets import Column, ColumnType
from tests.e2e.nats_support import (
    NATS_URL,
    consumer_info,
    own_stream,
    publish,
    run,
)


@pytest.fixture
def stream() -> Iterator[tuple[str, str]]:
    with own_stream() as made:
        yield made


def source(stream: str, durable: str, **consumer: Any) -> NatsSource:
    config = {
        "connection_config": {"server_url": NATS_URL},
        "stream_name": stream,
        "consumer_config": {"durable_name": durable, **consumer},
    }
    context = SourceContext(
        "p", "t", "bus", config, (Column("id", ColumnType.LONG),), table_id=str(uuid.uuid4())
    )
    return NatsSource(context)


def ids(fetched: Fetched) -> list[int]:
    return [json.loads(p)["id"] for p in fetched.payloads]


def messages(first: int, count: int) -> list[bytes]:
    return [json.dumps({"id": i}).encode() for i in range(first, first + count)]


def drain(src: NatsSource, expected: int) -> list[int]:
    """Fetch until `expected` records came (or a fetch brings nothing), acking each batch."""
    got: list[int] = []
    while len(got) < expected:
        fetched = src.fetch(100_000, 1.0)
        if not fetched.payloads:
            break
        got += ids(fetched)
        src.ack(fetched.position)
    return got


def test_fetch_takes_every_message_in_order_and_pause_leaves_no_request_waiting(
    stream: tuple[str, str],
) -> None:
    name, subject = stream
    publish(subject, messages(0, 500))
    src = source(name, "d")
    src.open(None)
    try:
        assert drain(src, 500) == list(range(500))
        empty = src.fetch(100, 0.2)  # nothing more: back by its timeout, the request still out
        assert empty.payloads == []
        assert empty.position == {"stream_sequence": 500}
        held = src.pause()  # the request ends (408) and brings nothing
        assert held is None or held.payloads == []
        info = consumer_info(name, "d")
        assert info.num_waiting == 0  # no pull request left behind
        assert info.num_ack_pending == 0  # the ack of the last covered them all (AckPolicy.ALL)
        assert info.delivered.stream_seq == 500
    finally:
        src.close()


def test_published_while_paused_arrive_after_resume_exactly_once(
    stream: tuple[str, str],
) -> None:
    name, subject = stream
    publish(subject, messages(0, 100))
    src = source(name, "d")
    src.open(None)
    try:
        assert drain(src, 100) == list(range(100))
        src.pause()
        before = consumer_info(name, "d")
        publish(subject, messages(100, 300))
        time.sleep(0.5)  # would a request still be waiting, the server would deliver now
        during = consumer_info(name, "d")
        assert during.delivered.stream_seq == before.delivered.stream_seq == 100
        assert during.num_waiting == 0
        assert during.num_pending == 300
        src.resume()
        assert drain(src, 300) == list(range(100, 400))
        assert src.fetch(100, 0.2).payloads == []  # and nothing twice
    finally:
        src.close()


def test_a_restart_resumes_after_the_committed_sequence(stream: tuple[str, str]) -> None:
    name, subject = stream
    publish(subject, messages(0, 50))
    first = source(name, "d")
    first.open(None)
    fetched = first.fetch(30, 1.0)  # taken but never acked: the process "dies" here
    assert ids(fetched) == list(range(30))
    first.close()
    second = source(name, "d")
    second.open({"stream_sequence": 20})  # the newest commit held 1..20
    try:
        assert drain(second, 30) == list(range(20, 50))
    finally:
        second.close()


def test_redelivered_messages_are_dropped(stream: tuple[str, str]) -> None:
    """Not acked within ack_wait (a commit taking long), the server delivers them again; the
    source drops them, counts them, and acks them once nothing uncommitted precedes them."""
    name, subject = stream
    publish(subject, messages(0, 20))
    src = source(name, "d", ack_wait_secs=1)
    src.open(None)
    try:
        assert ids(src.fetch(100, 1.0)) == list(range(20))
        src.ack({"stream_sequence": 20})  # committed
        publish(subject, messages(20, 10))
        taken = src.fetch(100, 1.0)  # 20..29 taken, not acked: redelivered after 1 s
        assert ids(taken) == list(range(20, 30))
        time.sleep(1.5)
        again = src.fetch(100, 2.0)
        assert again.payloads == []
        assert again.duplicates >= 10
        src.ack(again.position)
        time.sleep(1.5)
        assert src.fetch(100, 0.5).payloads == []  # acked: no third delivery
        assert consumer_info(name, "d").num_ack_pending == 0
    finally:
        src.close()


def test_a_deleted_consumer_is_a_transient_error(stream: tuple[str, str]) -> None:
    name, _subject = stream
    src = source(name, "d")
    src.open(None)
    try:

        async def delete() -> None:
            import nats

            nc = await nats.connect(NATS_URL)
            await nc.jetstream().delete_consumer(name, "d")
            await nc.close()

        run(delete())
        # a fetch may come back before its request expired at the server: the worker fetches
        # again, and the one that sees the silent expiry finds the consumer gone
        errors = []
        for _ in range(5):
            try:
                src.fetch(10, 0.5)
            except TransientError as exc:
                errors.append(str(exc))
                break
        assert errors == [f"the consumer 'd' of {name!r} is gone"]
    finally:
        src.close()


def test_pull_ends_a_request_the_server_answers_with_nothing(stream: tuple[str, str]) -> None:
    """An empty stream: the request waits for its expiry and ends (408); nothing left waiting."""
    name, _ = stream
    src = source(name, "d")
    src.open(None)  # creates the consumer
    src.close()
    pull = JetStreamPull(NatsEndpoint("127.0.0.1", 4222), name, "d")
    pull.connect()
    try:
        pulled = pull.pull(10, 0.3)
        assert pulled.replies == []
        assert pulled.exhausted
        assert consumer_info(name, "d").num_waiting == 0
    finally:
        pull.close()


def test_pause_collects_the_request_sent_ahead(
    stream: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fetch that filled its batch sends the next pull request before returning; pausing
    then hands over what that request brings, and leaves nothing out or unacknowledged."""
    name, subject = stream
    monkeypatch.setattr(nats_source, "MAX_PULL", 100)  # batches of 100 rather than 20,000
    publish(subject, messages(0, 300))
    src = source(name, "d")
    src.open(None)
    try:
        first = src.fetch(1000, 1.0)
        assert ids(first) == list(range(100))
        on_its_way = src.pause()
        assert on_its_way is not None
        assert ids(on_its_way) == list(range(100, 200))
        src.ack(on_its_way.position)  # the worker commits it, then acks
        info = consumer_info(name, "d")
        assert info.num_waiting == 0
        assert info.num_ack_pending == 0
        assert info.delivered.stream_seq == 200
        assert src.pause() is None  # nothing further out
        src.resume()
        assert drain(src, 100) == list(range(200, 300))
    finally:
        src.close()
