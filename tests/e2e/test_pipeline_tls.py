"""`nats_input` and `mqtt_input` over TLS, through `headwater serve` and the feldera client,
against brokers with TLS listeners started here (a throwaway CA, `tests/support/tls_brokers`):
messages land in the table; a wrong CA, a wrong password or a plain URL to a TLS-only server
is a clear error in the connector's stats, with no data and no secret shown."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from feldera import FelderaClient, PipelineBuilder

from tests.e2e.test_feldera_client import count, wait_for
from tests.support.tls_brokers import (
    PASSWORD,
    USER,
    Certificates,
    make_certificates,
    mosquitto_tls,
    nats_tls_server,
)

pytestmark = pytest.mark.e2e

TOKEN = "hw_e2e-tls-token"
WRONG_PASSWORD = "not-the-" + PASSWORD


@pytest.fixture
def certs(tmp_path: Path) -> Certificates:
    return make_certificates(tmp_path / "tls")


@pytest.fixture
def client(server_factory: Any, certs: Certificates) -> FelderaClient:
    server = server_factory(
        admin_token=TOKEN,
        # the CA and client certificate files: readable by connectors only from here
        HEADWATER_FILE_ROOTS=json.dumps([str(certs.folder)]),
        HEADWATER_PIPELINES__COMMIT_INTERVAL_SECONDS="0.2",
    )
    server.start()
    return FelderaClient(server.url, api_key=TOKEN)


def table(name: str, transport: str, config: dict[str, Any]) -> str:
    connectors = [
        {
            "name": "in",
            "transport": {"name": transport, "config": config},
            "format": {"name": "json"},
        }
    ]
    return f"CREATE TABLE {name} (id BIGINT) WITH ('connectors' = '{json.dumps(connectors)}');"


def problem(client: FelderaClient, pipeline: str, name: str) -> str:
    """The connector's health description once it has one; its stats carry no password."""
    stats = wait_for(
        lambda: (
            (s := client.input_connector_stats(pipeline, name, "in"))["health"]["description"] and s
        ),
        what=f"an error on {name}",
    )
    shown = json.dumps(stats)
    assert PASSWORD not in shown
    assert stats["health"]["status"] == "Unhealthy"
    assert stats["metrics"]["total_records"] == 0
    return str(stats["health"]["description"])


# -- NATS ----------------------------------------------------------------------------------
def test_nats_over_tls_with_a_client_certificate_and_a_password(
    client: FelderaClient, tmp_path: Path, certs: Certificates
) -> None:
    with nats_tls_server(tmp_path, certs, verify_clients=True) as server:
        stream, subject = server.create_stream()
        server.publish(subject, [{"id": i} for i in range(1000)])
        config = {
            "connection_config": {
                "server_url": f"tls://127.0.0.1:{server.port}",
                "auth": {"user_and_password": {"user": USER, "password": PASSWORD}},
                "tls": {
                    "ca_file": str(certs.ca),
                    "cert_file": str(certs.client_cert),
                    "key_file": str(certs.client_key),
                },
            },
            "stream_name": stream,
        }
        pipeline = PipelineBuilder(client, "secure", table("orders", "nats_input", config))
        pipeline = pipeline.create_or_replace()
        pipeline.start()
        wait_for(lambda: count(pipeline, "orders") == 1000, what="the first 1000 messages")
        server.publish(subject, [{"id": i} for i in range(1000, 1500)])
        wait_for(lambda: count(pipeline, "orders") == 1500, what="the next 500")
        assert list(pipeline.query("SELECT count(DISTINCT id) AS d FROM orders")) == [{"d": 1500}]
        # the counters are saved by the connector's holder every half second: they catch up
        stats = wait_for(
            lambda: (
                s
                if (s := client.input_connector_stats("secure", "orders", "in"))["metrics"][
                    "total_records"
                ]
                == 1500
                else None
            ),
            timeout=10,
            what="the counters to catch up",
        )
        assert stats["health"] == {"status": "Healthy", "description": None}
        pipeline.stop(force=True)


def test_nats_tls_mistakes_are_clear_connector_errors_with_no_data(
    client: FelderaClient, tmp_path: Path, certs: Certificates
) -> None:
    with nats_tls_server(tmp_path, certs) as server:
        stream, subject = server.create_stream()
        server.publish(subject, [{"id": i} for i in range(100)])
        good_login = {"user_and_password": {"user": USER, "password": PASSWORD}}
        tls_url = f"tls://127.0.0.1:{server.port}"

        def nats(url: str, auth: dict[str, Any], tls: dict[str, Any] | None) -> dict[str, Any]:
            connection = {"server_url": url, "auth": auth, **({"tls": tls} if tls else {})}
            return {"connection_config": connection, "stream_name": stream}

        program = "\n".join(
            [
                table(
                    "wrong_ca",
                    "nats_input",
                    nats(tls_url, good_login, {"ca_file": str(certs.other_ca)}),
                ),
                table(
                    "wrong_password",
                    "nats_input",
                    nats(
                        tls_url,
                        {"user_and_password": {"user": USER, "password": WRONG_PASSWORD}},
                        {"ca_file": str(certs.ca)},
                    ),
                ),
                # plain URL, no CA: the server requires TLS, the system's CAs don't know ours
                table("plain", "nats_input", nats(server.url, good_login, None)),
            ]
        )
        pipeline = PipelineBuilder(client, "mistakes", program).create_or_replace()
        # a connector that cannot connect keeps retrying, and the pipeline Initializing
        pipeline.start(wait=False)
        wrong_ca = problem(client, "mistakes", "wrong_ca")
        assert f"the certificate of {tls_url} was not accepted" in wrong_ca
        assert "tls.ca_file or tls.ca_pem" in wrong_ca
        wrong_password = problem(client, "mistakes", "wrong_password")
        assert "Authorization Violation" in wrong_password
        assert WRONG_PASSWORD not in json.dumps(
            client.input_connector_stats("mistakes", "wrong_password", "in")
        )
        plain = problem(client, "mistakes", "plain")
        assert f"{server.url} requires TLS" in plain
        for name in ("wrong_ca", "wrong_password", "plain"):
            assert count(pipeline, name) == 0
        pipeline.stop(force=True)


# -- MQTT ----------------------------------------------------------------------------------
def test_mqtt_over_tls_with_a_password(
    client: FelderaClient, tmp_path: Path, certs: Certificates
) -> None:
    with mosquitto_tls(tmp_path, certs) as broker:
        topic = f"hw/tls/{uuid.uuid4().hex[:10]}"
        config = {
            "url": f"mqtts://127.0.0.1:{broker.port}",
            "topic": topic,
            "username": USER,
            "password": PASSWORD,
            "tls": {"ca_pem": certs.ca.read_text()},  # inline: no file on the server needed
        }
        pipeline = PipelineBuilder(client, "sensors", table("readings", "mqtt_input", config))
        pipeline = pipeline.create_or_replace()
        pipeline.start()

        # the broker drops what is published before the subscription: probe until one lands
        def probe_landed() -> bool:
            broker.publish(topic, [{"id": -1}])
            return count(pipeline, "readings") > 0

        wait_for(probe_landed, what="the subscription")
        broker.publish(topic, [{"id": i} for i in range(200)])
        wait_for(
            lambda: (
                list(pipeline.query("SELECT count(DISTINCT id) AS d FROM readings WHERE id >= 0"))
                == [{"d": 200}]
            ),
            what="the 200 readings",
        )
        stats = client.input_connector_stats("sensors", "readings", "in")
        assert stats["health"]["status"] == "Healthy"
        pipeline.stop(force=True)


def test_mqtt_tls_mistakes_are_clear_connector_errors_with_no_data(
    client: FelderaClient, tmp_path: Path, certs: Certificates
) -> None:
    with mosquitto_tls(tmp_path, certs) as broker:
        url = f"mqtts://127.0.0.1:{broker.port}"
        login = {"username": USER, "password": PASSWORD}
        program = "\n".join(
            [
                table(
                    "wrong_ca",
                    "mqtt_input",
                    {
                        "url": url,
                        "topic": "t",
                        **login,
                        "tls": {"ca_pem": certs.other_ca.read_text()},
                    },
                ),
                table(
                    "wrong_password",
                    "mqtt_input",
                    {
                        "url": url,
                        "topic": "t",
                        "username": USER,
                        "password": WRONG_PASSWORD,
                        "tls": {"ca_file": str(certs.ca)},
                    },
                ),
            ]
        )
        pipeline = PipelineBuilder(client, "mqtt-mistakes", program).create_or_replace()
        # a connector that cannot connect keeps retrying, and the pipeline Initializing
        pipeline.start(wait=False)
        wrong_ca = problem(client, "mqtt-mistakes", "wrong_ca")
        assert f"the certificate of {url} was not accepted" in wrong_ca
        wrong_password = problem(client, "mqtt-mistakes", "wrong_password")
        assert f"{url} refused the connection" in wrong_password
        assert WRONG_PASSWORD not in json.dumps(
            client.input_connector_stats("mqtt-mistakes", "wrong_password", "in")
        )
        for name in ("wrong_ca", "wrong_password"):
            assert count(pipeline, name) == 0
        pipeline.stop(force=True)
