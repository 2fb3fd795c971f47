"""NATS JetStream into a pipeline table on a real `headwater serve`: pause stops fetching at the
source, resume loses nothing, kill -9 neither loses nor doubles, redeliveries are dropped."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from feldera import FelderaClient, PipelineBuilder

from tests.e2e.nats_support import (
    NATS_URL,
    Publisher,
    consumer_info,
    own_stream,
    publish,
)
from tests.e2e.test_feldera_client import wait_for

pytestmark = pytest.mark.e2e

TOKEN = "hw_e2e-nats-token"


def program(stream: str, subject: str, durable: str, **consumer: Any) -> str:
    connectors = [
        {
            "name": "bus",
            "transport": {
                "name": "nats_input",
                "config": {
                    "connection_config": {"server_url": NATS_URL},
                    "stream_name": stream,
                    "consumer_config": {
                        "durable_name": durable,
                        "filter_subjects": [subject],
                        **consumer,
                    },
                },
            },
            "format": {"name": "json", "config": {"update_format": "raw"}},
        }
    ]
    return (
        "CREATE TABLE events (id BIGINT NOT NULL) "
        f"WITH ('connectors' = '{json.dumps(connectors)}');"
    )


def tally(pipeline: Any) -> dict[str, int]:
    rows = list(pipeline.query("SELECT count(*) AS n, count(DISTINCT id) AS d FROM events"))
    return {"n": int(rows[0]["n"]), "d": int(rows[0]["d"])}


@pytest.fixture
def stream() -> Iterator[tuple[str, str]]:
    with own_stream() as made:
        yield made


def test_pause_stops_fetching_and_resume_loses_nothing(
    server_factory: Any, stream: tuple[str, str]
) -> None:
    name, subject = stream
    durable = f"d_{name}"
    server = server_factory(admin_token=TOKEN)
    server.start()
    client = FelderaClient(server.url, api_key=TOKEN)
    pipeline = PipelineBuilder(client, "bus", program(name, subject, durable)).create_or_replace()
    pipeline.start()
    with Publisher(subject) as publisher:
        wait_for(lambda: tally(pipeline)["n"] > 100, what="messages in the table")
        pipeline.pause_input_connector("events", "bus")

        def settled() -> Any:
            info = consumer_info(name, durable)
            stats = client.input_connector_stats("bus", "events", "bus")
            idle = (
                info.num_waiting == 0
                and info.num_ack_pending == 0
                and stats["metrics"]["buffered_records"] == 0
            )
            return info if idle else None

        before = wait_for(settled, what="the consumer to stop pulling")
        held = tally(pipeline)["n"]
        published_at_pause = publisher.published
        time.sleep(2.0)  # the publisher keeps publishing
        published_now = publisher.published
        after = consumer_info(name, durable)
        assert published_now > published_at_pause + 100
        assert tally(pipeline)["n"] == held
        assert after.delivered.stream_seq == before.delivered.stream_seq  # nothing fetched
        assert after.num_waiting == 0
        assert after.num_pending >= published_now - held  # waiting at the source
        assert client.input_connector_stats("bus", "events", "bus")["paused"] is True
        total = publisher.stop()
    pipeline.start_input_connector("events", "bus")
    wait_for(lambda: tally(pipeline)["n"] >= total, what="every message after resume")
    time.sleep(1.0)
    assert tally(pipeline) == {"n": total, "d": total}
    assert int(next(iter(pipeline.query("SELECT max(id) AS m FROM events")))["m"]) == total - 1


def test_kill_9_during_ingest_then_restart_loses_and_doubles_nothing(
    server_factory: Any, stream: tuple[str, str]
) -> None:
    name, subject = stream
    env = {
        "HEADWATER_PIPELINES__LEASE_SECONDS": "2",
        "HEADWATER_PIPELINES__COMMIT_INTERVAL_SECONDS": "0.3",
    }
    server = server_factory(admin_token=TOKEN, **env)
    server.start()
    client = FelderaClient(server.url, api_key=TOKEN)
    pipeline = PipelineBuilder(
        client, "crash", program(name, subject, f"d_{name}")
    ).create_or_replace()
    pipeline.start()
    with Publisher(subject, per_second=500) as publisher:
        wait_for(lambda: tally(pipeline)["n"] > 300, what="ingest to be under way")
        server.kill()  # mid-ingest: buffered, delivered-but-unacked messages die with it
        killed_at = publisher.published
        time.sleep(1.0)
        server.start()
        time.sleep(1.0)
        total = publisher.stop()
    assert total > killed_at
    wait_for(lambda: tally(pipeline)["n"] >= total, timeout=90, what="every message")
    time.sleep(1.5)  # any straggling redelivery would show up now
    assert tally(pipeline) == {"n": total, "d": total}


def test_redeliveries_of_buffered_messages_are_dropped(
    server_factory: Any, stream: tuple[str, str]
) -> None:
    """The consumer redelivers what is not acked within ack_wait; commits here take longer
    than that, so every message arrives twice, and the table still holds each once."""
    name, subject = stream
    durable = f"d_{name}"
    server = server_factory(admin_token=TOKEN, HEADWATER_PIPELINES__COMMIT_INTERVAL_SECONDS="3")
    server.start()
    client = FelderaClient(server.url, api_key=TOKEN)
    pipeline = PipelineBuilder(
        client, "redo", program(name, subject, durable, ack_wait_secs=1)
    ).create_or_replace()
    pipeline.start()
    publish(subject, [json.dumps({"id": i}).encode() for i in range(200)])
    wait_for(lambda: tally(pipeline)["n"] >= 200, what="the messages")
    time.sleep(4)
    assert tally(pipeline) == {"n": 200, "d": 200}
    info = consumer_info(name, durable)
    assert info.num_ack_pending == 0
    assert info.delivered.stream_seq == 200
    metrics = client.input_connector_stats("redo", "events", "bus")["metrics"]
    assert metrics["num_duplicates_dropped"] > 0  # the redeliveries came, and were dropped
    assert metrics["total_records"] == 200
