"""The contract kit (`headwater.testing.check_source`) run against each built-in streaming
source, the way a plug-in author runs it against theirs: datagen and file_input alone,
url_input against a local HTTP server, nats_input and mqtt_input against the real servers
(127.0.0.1:4222, 127.0.0.1:1883), and the
registry finding every built-in through the `headwater.sources` entry-point group."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pyarrow as pa
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from headwater.connectors.registry import ConnectorRegistry
from headwater.connectors.sdk import Fetched, SourceContext, TerminalError
from headwater.connectors.streaming.datagen import DatagenSource
from headwater.connectors.streaming.file import FileSource
from headwater.connectors.streaming.mqtt import MqttSource
from headwater.connectors.streaming.nats import NatsSource
from headwater.connectors.streaming.url import UrlSource
from headwater.domain.datasets import Column, ColumnType
from headwater.testing import check_source
from tests.connectors.http_support import DataServer, text_reply
from tests.e2e.nats_support import NATS_URL, own_stream, publish

ID = (Column("id", ColumnType.LONG),)
BUILT_INS = {"datagen", "file_input", "url_input", "mqtt_input", "nats_input"}


def test_the_registry_finds_every_built_in_source_through_its_entry_points() -> None:
    registry = ConnectorRegistry.from_entry_points()
    assert set(registry.source_names()) >= BUILT_INS
    assert not registry.broken_sources
    for name in BUILT_INS:
        assert registry.source(name).spec()["type"] == "object"


def test_datagen_keeps_the_contract_and_resumes_after_its_last_row() -> None:
    columns = (Column("id", ColumnType.LONG), Column("name", ColumnType.STRING))
    plan = {"plan": [{"limit": 250, "fields": {"id": {"range": [10, 20]}}}]}
    result = check_source(DatagenSource, plan, columns)
    assert result.end_of_input
    assert result.rows is not None
    assert result.rows.num_rows == 250
    assert set(result.rows.column("id").to_pylist()) == set(range(10, 20))
    assert result.final_position == {"rows": 250}


def test_file_input_keeps_the_contract_and_resumes_after_its_last_line(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps({"id": i}) + "\n" for i in range(40)))
    result = check_source(FileSource, {"path": str(data)}, ID, allowed_dirs=(str(tmp_path),))
    assert [json.loads(p)["id"] for p in result.payloads] == list(range(40))
    assert result.end_of_input
    assert result.final_position is not None
    assert result.final_position["offset"] == data.stat().st_size


def test_url_input_keeps_the_contract_and_a_finished_url_is_not_read_again() -> None:
    with DataServer() as server:
        body = "".join(f"{i}\n" for i in range(1000))
        server.routes["/items.csv"] = lambda _: text_reply(body, "text/csv")
        result = check_source(UrlSource, {"path": server.url("/items.csv")}, ID)
        assert [int(p) for p in result.payloads] == list(range(1000))
        assert result.final_position == {"offset": len(body), "done": True}
        assert len(server.requests) == 1  # opened again at `done`, it asked for nothing


def test_nats_input_keeps_the_contract() -> None:
    with own_stream() as (stream, subject):
        publish(subject, [json.dumps({"id": i}).encode() for i in range(300)])
        config = {
            "connection_config": {"server_url": NATS_URL},
            "stream_name": stream,
            "consumer_config": {"deliver_policy": "All"},
        }
        # a stream never ends: read what is there, then check every step's shape
        result = check_source(NatsSource, config, ID, max_records=300, seconds=15)
        assert [json.loads(p)["id"] for p in result.payloads] == list(range(300))
        assert result.final_position == {"stream_sequence": 300}
        assert not result.end_of_input


@contextmanager
def _retained(topic: str, count: int) -> Iterator[None]:
    """`count` retained messages, one per subtopic, so a subscription made later gets them
    all (MQTT keeps one retained message per topic); cleared afterwards."""
    publisher = mqtt.Client(CallbackAPIVersion.VERSION2)
    publisher.connect("127.0.0.1", 1883)
    publisher.loop_start()
    try:
        for i in range(count):
            body = json.dumps({"id": i}).encode()
            publisher.publish(f"{topic}/{i}", body, qos=1, retain=True).wait_for_publish(10)
        yield
    finally:
        for i in range(count):
            publisher.publish(f"{topic}/{i}", b"", qos=1, retain=True).wait_for_publish(10)
        publisher.disconnect()
        publisher.loop_stop()


def test_mqtt_input_keeps_the_contract() -> None:
    topic = f"contract/{uuid.uuid4().hex}"
    with _retained(topic, 50):
        config = {"host": "127.0.0.1", "port": 1883, "topic": f"{topic}/#"}
        result = check_source(MqttSource, config, ID, max_records=50, seconds=15)
        assert sorted(json.loads(p)["id"] for p in result.payloads) == list(range(50))
        assert not result.end_of_input


# -- what the kit catches ------------------------------------------------------------------
class _PositionNotJson(DatagenSource):
    def fetch(self, max_records: int, timeout: float) -> Fetched:
        fetched = super().fetch(max_records, timeout)
        fetched.position = {"rows": object()}
        return fetched


class _ReadsAgain(DatagenSource):
    def open(self, position: dict[str, Any] | None) -> None:
        super().open(None)  # forgets where it was


class _WrongRows(DatagenSource):
    def fetch(self, max_records: int, timeout: float) -> Fetched:
        fetched = super().fetch(max_records, timeout)
        fetched.rows = pa.table({"other": [1]})
        return fetched


@pytest.mark.parametrize(
    ("source_class", "config", "complaint"),
    [
        (_PositionNotJson, {"plan": [{"limit": 3}]}, "a position must be JSON"),
        (_ReadsAgain, {"plan": [{"limit": 3}]}, "read 3 records again"),
        (_WrongRows, {"plan": [{"limit": 3}]}, "Fetched.rows has columns"),
        (DatagenSource, {"plan": [{"limit": "many"}]}, "does not satisfy spec()"),
    ],
)
def test_the_kit_fails_a_source_that_breaks_the_contract(
    source_class: Any, config: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(AssertionError, match=complaint):
        check_source(source_class, config, ID)


def test_a_source_refusing_its_config_raises_the_sdk_terminal_error(tmp_path: Path) -> None:
    context = SourceContext(
        "p", "t", "c", {"path": "/etc/passwd"}, ID, "id", allowed_dirs=(str(tmp_path),)
    )
    with pytest.raises(TerminalError, match="allowed directories") as raised:
        FileSource(context)
    assert raised.value.code == "CONNECTOR_ERROR"  # one tree: a HeadwaterError
