"""A pipeline connector's transport is checked when the pipeline is defined: an installed
streaming source, its `transport.config` satisfying the source's spec (400 naming
`transport.config.<field>`); and `/api/data/v1/providers` lists the streaming sources with
their specs beside the batch connectors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.conftest import Api
from tests.api.test_pipelines import Feldera, v0  # noqa: F401 (a fixture)

STREAMING = {"datagen", "file_input", "url_input", "mqtt_input", "nats_input"}


def program(transport: str, config: dict[str, Any]) -> str:
    connectors = [{"name": "in", "transport": {"name": transport, "config": config}}]
    return f"CREATE TABLE t (id BIGINT) WITH ('connectors' = '{json.dumps(connectors)}');"


NATS = {"connection_config": {"server_url": "nats://127.0.0.1:4222"}, "stream_name": "s"}


@pytest.mark.parametrize(
    ("transport", "config", "field"),
    [
        ("nats_input", {"connection_config": NATS["connection_config"]}, "stream_name"),
        ("nats_input", {**NATS, "stream_name": 7}, "stream_name"),
        (
            "nats_input",
            {**NATS, "connection_config": {"server_url": "nats://h", "tsl": {}}},
            "connection_config.tsl",
        ),
        (
            "nats_input",
            {**NATS, "connection_config": {"server_url": "nats://h", "tls": {"ca_fil": "x"}}},
            "connection_config.tls.ca_fil",
        ),
        (
            "nats_input",
            {**NATS, "consumer_config": {"deliver_policy": "Oldest"}},
            "consumer_config.deliver_policy",
        ),
        ("mqtt_input", {"host": "127.0.0.1"}, "topic"),
        ("mqtt_input", {"host": "127.0.0.1", "topic": "t", "port": "1883"}, "port"),
        ("mqtt_input", {"host": "127.0.0.1", "topic": "t", "passwd": "x"}, "passwd"),
        ("file_input", {"follow": True}, "path"),
        ("file_input", {"path": "/data/in.jsonl", "follow": "yes"}, "follow"),
        ("url_input", {"path": "ftp://example.com/x"}, "path"),
        ("datagen", {"plan": {"limit": 5}}, "plan"),
        ("datagen", {"plan": [{"limit": -1}]}, "plan.0.limit"),
    ],
)
def test_a_transport_config_its_spec_refuses_is_a_400_naming_the_field(
    v0: Feldera,  # noqa: F811
    transport: str,
    config: dict[str, Any],
    field: str,
) -> None:
    response = v0(
        "POST", "/pipelines", json={"name": "bad", "program_code": program(transport, config)}
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error_code"] == "ProgramParseError"
    assert body["details"]["field"] == f"transport.config.{field}"
    assert body["details"]["table"] == "t"
    assert body["details"]["connector"] == "in"
    assert "table 't', connector 'in'" in body["message"]
    assert v0("GET", "/pipelines/bad").status_code == 404  # nothing was made


def test_an_unknown_transport_is_a_400_naming_it(v0: Feldera) -> None:  # noqa: F811
    response = v0(
        "POST", "/pipelines", json={"name": "bad", "program_code": program("kafka_input", {})}
    )
    assert response.status_code == 400, response.text
    assert response.json()["details"]["field"] == "transport.name"
    assert "no transport 'kafka_input'" in response.json()["message"]


def test_a_program_change_is_checked_too(v0: Feldera) -> None:  # noqa: F811
    v0.create("kept", program("datagen", {"plan": [{"limit": 1}]}))
    bad = program("file_input", {})
    patched = v0("PATCH", "/pipelines/kept", json={"program_code": bad})
    assert patched.status_code == 400, patched.text
    assert patched.json()["details"]["field"] == "transport.config.path"
    put = v0("PUT", "/pipelines/kept", json={"name": "kept", "program_code": bad})
    assert put.status_code == 400, put.text
    assert "datagen" in v0("GET", "/pipelines/kept").json()["program_code"]


@pytest.mark.parametrize(
    ("transport", "config"),
    [
        # Feldera's own fields the sources do not use are accepted, as Feldera accepts them
        ("datagen", {"plan": [{"limit": 5, "rate": 10, "worker_chunk_size": 2}], "seed": 1}),
        ("file_input", {"path": "/anywhere/in.jsonl", "follow": True, "buffer_size_bytes": 8}),
        (
            "nats_input",
            {
                **NATS,
                "consumer_config": {"durable_name": "d", "deliver_policy": "new", "max_batch": 9},
                "inactivity_timeout_secs": 60,
            },
        ),
        # what only the running source can judge is left to it (its stats say what is wrong)
        ("mqtt_input", {"url": "mqtts://u:p@127.0.0.1", "topic": "t", "tls": {"key_pem": "k"}}),
        ("url_input", {"path": "https://example.com/data.jsonl"}),
    ],
)
def test_configs_the_sources_accept_are_accepted(
    v0: Feldera,  # noqa: F811
    transport: str,
    config: dict[str, Any],
) -> None:
    v0.create("fine", program(transport, config))


def test_providers_list_the_streaming_sources_with_their_specs(admin: Api) -> None:
    listed = {p["key"]: p for p in admin.get("/api/data/v1/providers").json()}
    assert set(listed) >= STREAMING | {"file", "http", "sql"}
    for key in STREAMING:
        assert listed[key]["kind"] == "streaming", listed[key]
        assert listed[key]["status"] == "AVAILABLE"
        assert listed[key]["spec"]["type"] == "object"
        assert listed[key]["description"]
    assert listed["file"]["kind"] == "batch"
    one = admin.get("/api/data/v1/providers/nats_input").json()
    assert one["kind"] == "streaming"
    assert "stream_name" in one["spec"]["required"]


def test_a_stream_cannot_use_a_streaming_source(admin: Api) -> None:
    response = admin.post(
        "/api/data/v1/streams",
        json={
            "transport": {"type": "CONNECTOR"},
            "dataProvider": {"key": "nats_input"},
            "dataSource": {"name": "x"},
        },
    )
    assert response.status_code == 400, response.text
    assert response.json()["field"] == "dataProvider.key"
    assert "streaming source" in response.json()["message"]
