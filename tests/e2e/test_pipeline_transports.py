"""file_input (follow), url_input, mqtt_input and parse errors, against real sources."""

from __future__ import annotations

import functools
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from feldera import FelderaClient, PipelineBuilder
from paho.mqtt.enums import CallbackAPIVersion

from tests.e2e.test_feldera_client import wait_for

pytestmark = pytest.mark.e2e

TOKEN = "hw_e2e-transports-token"


def table(name: str, columns: str, connectors: list[dict[str, Any]]) -> str:
    return f"CREATE TABLE {name} ({columns}) WITH ('connectors' = '{json.dumps(connectors)}');"


def rows(pipeline: Any, sql: str) -> list[dict[str, Any]]:
    return list(pipeline.query(sql))


def count(pipeline: Any, name: str) -> int:
    return int(rows(pipeline, f"SELECT count(*) AS n FROM {name}")[0]["n"])


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


@pytest.fixture
def client(server_factory: Any, files: Path) -> FelderaClient:
    server = server_factory(
        admin_token=TOKEN,
        HEADWATER_FILE_ROOTS=json.dumps([str(files)]),
        HEADWATER_PIPELINES__COMMIT_INTERVAL_SECONDS="0.2",
    )
    server.start()
    return FelderaClient(server.url, api_key=TOKEN)


def test_file_follow_with_parse_errors_keeps_running(client: FelderaClient, files: Path) -> None:
    source = files / "events.jsonl"
    source.write_text('{"id": 1, "note": "a"}\nnot json at all\n{"id": "two"}\n{"id": 3}\n')
    program = table(
        "events",
        "id BIGINT, note VARCHAR",
        [
            {
                "name": "tail",
                "transport": {
                    "name": "file_input",
                    "config": {"path": str(source), "follow": True},
                },
                "format": {"name": "json"},
            }
        ],
    )
    pipeline = PipelineBuilder(client, "tail", program).create_or_replace()
    pipeline.start()
    wait_for(lambda: count(pipeline, "events") == 2, what="the two good lines")
    stats = wait_for(
        lambda: (
            (s := client.input_connector_stats("tail", "events", "tail"))["metrics"][
                "num_parse_errors"
            ]
            == 2
            and s
        ),
        what="parse errors in stats",
    )
    messages = [e["message"] for e in stats["parse_errors"]]
    assert any("not json at all" in m for m in messages)
    assert any('{"id": "two"}' in m for m in messages)
    assert stats["fatal_error"] is None
    assert pipeline.stats().inputs[0].metrics.num_parse_errors == 2

    # follow: appended lines arrive; a half-written line waits for its newline
    with source.open("a") as out:
        out.write('{"id": 4}\n{"id": 5, "no')
        out.flush()
        wait_for(lambda: count(pipeline, "events") == 3, what="the appended line")
        time.sleep(0.6)
        assert count(pipeline, "events") == 3
        out.write('te": "e"}\n')
    wait_for(lambda: count(pipeline, "events") == 4, what="the completed line")
    assert rows(pipeline, "SELECT note FROM events WHERE id = 5") == [{"note": "e"}]


def warned(client: FelderaClient, word: str) -> bool:
    stats = client.input_connector_stats("rotating", "log", "tail")
    return any(word in warning["message"] for warning in stats["warnings"])


def test_file_truncated_or_rotated_is_read_again_from_its_start(
    client: FelderaClient, files: Path
) -> None:
    source = files / "log.jsonl"
    source.write_text("".join(f'{{"id": {i}}}\n' for i in range(1, 6)))
    program = table(
        "log",
        "id BIGINT",
        [
            {
                "name": "tail",
                "transport": {
                    "name": "file_input",
                    "config": {"path": str(source), "follow": True},
                },
                "format": {"name": "json"},
            }
        ],
    )
    pipeline = PipelineBuilder(client, "rotating", program).create_or_replace()
    pipeline.start()
    wait_for(lambda: count(pipeline, "log") == 5, what="the first five lines")

    with source.open("r+") as out:  # truncated in place (copytruncate), then written anew
        out.truncate(0)
        out.write('{"id": 100}\n')
    wait_for(lambda: count(pipeline, "log") == 6, what="the truncated file's line")
    # The statistics are published on their own beat, after the rows: wait for the warning.
    wait_for(lambda: warned(client, "truncated"), what="the truncation warning")

    rotated = files / "log.next"  # rotated: another file under the same name
    rotated.write_text("".join(f'{{"id": {i}}}\n' for i in range(200, 203)))
    rotated.replace(source)
    wait_for(lambda: count(pipeline, "log") == 9, what="the rotated file's lines")
    wait_for(lambda: warned(client, "replaced"), what="the replacement warning")

    assert rows(pipeline, "SELECT count(DISTINCT id) AS n FROM log") == [{"n": 9}]


def test_file_outside_the_allowed_directories_is_refused(
    client: FelderaClient, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("1\n")
    program = table(
        "t",
        "id BIGINT",
        [
            {
                "name": "f",
                "transport": {"name": "file_input", "config": {"path": str(secret)}},
                "format": {"name": "csv"},
            }
        ],
    )
    pipeline = PipelineBuilder(client, "sneaky", program).create_or_replace()
    pipeline.start()
    stats = wait_for(
        lambda: (s := client.input_connector_stats("sneaky", "t", "f"))["fatal_error"] and s,
        what="the connector to refuse",
    )
    assert "allowed directories" in stats["fatal_error"]
    assert stats["health"]["status"] == "Unhealthy"
    assert count(pipeline, "t") == 0


@pytest.fixture
def http_files(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    folder = tmp_path / "web"
    folder.mkdir()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()
    server.server_close()


def test_url_input_reads_to_the_end_of_input(
    client: FelderaClient, http_files: tuple[str, Path]
) -> None:
    base, folder = http_files
    lines = "".join(f"{i},item-{i},{i * 1.5}\n" for i in range(2500))
    (folder / "items.csv").write_text(lines)
    program = table(
        "items",
        "id BIGINT, name VARCHAR, price DOUBLE",
        [
            {
                "name": "web",
                "transport": {"name": "url_input", "config": {"path": f"{base}/items.csv"}},
                "format": {"name": "csv"},
            }
        ],
    )
    pipeline = PipelineBuilder(client, "web", program).create_or_replace()
    pipeline.start()
    wait_for(
        lambda: client.input_connector_stats("web", "items", "web")["metrics"]["end_of_input"],
        what="end of input",
    )
    assert rows(pipeline, "SELECT count(*) AS n, sum(id) AS s FROM items") == [
        {"n": 2500, "s": sum(range(2500))}
    ]
    # a finished URL is not read again after a restart of the pipeline
    pipeline.stop(force=True)
    pipeline.start()
    time.sleep(1.5)
    assert count(pipeline, "items") == 2500


def _mqtt_publish(topic: str, payloads: list[bytes]) -> None:
    publisher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:8]}")
    publisher.connect("127.0.0.1", 1883)
    publisher.loop_start()
    infos = [publisher.publish(topic, p, qos=1) for p in payloads]
    for info in infos:
        info.wait_for_publish(10)
    publisher.disconnect()
    publisher.loop_stop()


def test_mqtt_pause_and_resume_lose_nothing(client: FelderaClient) -> None:
    topic = f"hw/test/{uuid.uuid4().hex[:10]}"
    program = table(
        "readings",
        "id BIGINT, value DOUBLE",
        [
            {
                "name": "sensors",
                "transport": {
                    "name": "mqtt_input",
                    "config": {"host": "127.0.0.1", "port": 1883, "topic": topic},
                },
                "format": {"name": "json"},
            }
        ],
    )
    pipeline = PipelineBuilder(client, "sensors", program).create_or_replace()
    pipeline.start()
    wait_for(lambda: pipeline.status().name == "RUNNING")

    # The connector subscribes a moment after RUNNING, and the broker drops what was published
    # before: probe readings (negative ids) until one lands, then the subscription is in place.
    def probe_landed() -> bool:
        _mqtt_publish(topic, [json.dumps({"id": -1, "value": 0}).encode()])
        return bool(rows(pipeline, "SELECT count(*) AS n FROM readings")[0]["n"])

    wait_for(probe_landed, what="the subscription")
    _mqtt_publish(topic, [json.dumps({"id": i, "value": i / 2}).encode() for i in range(300)])
    wait_for(lambda: count_from_zero(pipeline) == 300, what="the first 300 readings")

    pipeline.pause_input_connector("readings", "sensors")
    time.sleep(1.0)
    _mqtt_publish(topic, [json.dumps({"id": i, "value": 0}).encode() for i in range(300, 450)])
    time.sleep(1.5)
    assert count_from_zero(pipeline) == 300  # held by the broker, not read
    pipeline.start_input_connector("readings", "sensors")
    wait_for(lambda: count_from_zero(pipeline) >= 450, what="the held readings")
    time.sleep(0.5)
    assert rows(
        pipeline, "SELECT count(*) AS n, count(DISTINCT id) AS d FROM readings WHERE id >= 0"
    ) == [{"n": 450, "d": 450}]


def count_from_zero(pipeline: Any) -> int:
    """Readings the test sent, not its probes."""
    return int(rows(pipeline, "SELECT count(*) AS n FROM readings WHERE id >= 0")[0]["n"])
