"""`nats_input` and `mqtt_input` against brokers with TLS listeners started here (a throwaway
CA, `tests/support/tls_brokers.py`): they read over verified TLS with credentials, and every
mistake (wrong CA, no client certificate, wrong password, plain to a TLS-only server, a server
that would let nats-py go plain) is a clear error that carries no secret."""

from __future__ import annotations

import json
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from headwater.connectors.sdk import Fetched, SourceContext, TransientError
from headwater.connectors.streaming.mqtt.source import MqttSource
from headwater.connectors.streaming.nats.source import NatsSource
from headwater.domain.datasets import Column, ColumnType
from tests.e2e.nats_support import own_stream, publish
from tests.support.tls_brokers import (
    PASSWORD,
    USER,
    Certificates,
    MqttTls,
    NatsTls,
    make_certificates,
    mosquitto_tls,
    nats_tls_server,
)
from tests.support.tls_proxy import tls_terminating_proxy


@pytest.fixture
def certs(tmp_path: Path) -> Certificates:
    return make_certificates(tmp_path / "tls")


@pytest.fixture
def nats_server(tmp_path: Path, certs: Certificates) -> Iterator[NatsTls]:
    with nats_tls_server(tmp_path, certs) as server:
        yield server


def context(config: dict[str, Any], certs: Certificates) -> SourceContext:
    return SourceContext(
        "p",
        "t",
        "c",
        config,
        (Column("id", ColumnType.LONG),),
        table_id=str(uuid.uuid4()),
        allowed_dirs=(str(certs.folder),),
    )


def nats_source(
    server: NatsTls, stream: str, connection: dict[str, Any], certs: Certificates
) -> NatsSource:
    config = {
        "connection_config": {"server_url": server.url, **connection},
        "stream_name": stream,
        "consumer_config": {"durable_name": "d"},
    }
    return NatsSource(context(config, certs))


LOGIN = {"auth": {"user_and_password": {"user": USER, "password": PASSWORD}}}


def ids(fetched: Fetched) -> list[int]:
    return [json.loads(p)["id"] for p in fetched.payloads]


def drain(source: NatsSource | MqttSource, expected: int) -> list[int]:
    got: list[int] = []
    for _ in range(50):
        if len(got) >= expected:
            break
        fetched = source.fetch(10_000, 0.5)
        got += ids(fetched)
        source.ack(fetched.position)
    return got


def open_error(source: NatsSource | MqttSource) -> str:
    try:
        with pytest.raises(TransientError) as caught:
            source.open(None)
    finally:
        source.close()
    message = str(caught.value)
    assert PASSWORD not in message
    return message


# -- NATS ----------------------------------------------------------------------------------
def test_nats_reads_over_verified_tls_with_a_password(
    nats_server: NatsTls, certs: Certificates
) -> None:
    stream, subject = nats_server.create_stream()
    nats_server.publish(subject, [{"id": i} for i in range(300)])
    source = nats_source(nats_server, stream, {**LOGIN, "tls": {"ca_file": str(certs.ca)}}, certs)
    source.open(None)
    try:
        assert drain(source, 300) == list(range(300))
    finally:
        source.close()


def test_nats_with_a_client_certificate_when_the_server_asks_for_one(
    tmp_path: Path, certs: Certificates
) -> None:
    with nats_tls_server(tmp_path, certs, verify_clients=True) as server:
        stream, subject = server.create_stream()
        server.publish(subject, [{"id": i} for i in range(10)])
        mutual = {
            "ca_pem": certs.ca.read_text(),
            "cert_file": str(certs.client_cert),
            "key_file": str(certs.client_key),
        }
        source = nats_source(server, stream, {**LOGIN, "tls": mutual}, certs)
        source.open(None)
        try:
            assert drain(source, 10) == list(range(10))
        finally:
            source.close()
        # the same without a client certificate: the server ends the handshake
        without = nats_source(server, stream, {**LOGIN, "tls": {"ca_file": str(certs.ca)}}, certs)
        assert "TLS with tls://127.0.0.1" in open_error(without)


def test_nats_refuses_a_server_certificate_from_another_ca(
    nats_server: NatsTls, certs: Certificates
) -> None:
    stream, _ = nats_server.create_stream()
    source = nats_source(
        nats_server, stream, {**LOGIN, "tls": {"ca_file": str(certs.other_ca)}}, certs
    )
    message = open_error(source)
    assert f"the certificate of tls://127.0.0.1:{nats_server.port} was not accepted" in message
    assert "unable to get local issuer certificate" in message


def test_nats_checks_the_name_on_the_certificate(nats_server: NatsTls, certs: Certificates) -> None:
    stream, _ = nats_server.create_stream()
    tls = {"ca_file": str(certs.ca), "server_name": "nats.example.com"}
    message = open_error(nats_source(nats_server, stream, {**LOGIN, "tls": tls}, certs))
    assert "Hostname mismatch" in message
    # and the name the certificate does carry passes
    tls["server_name"] = "localhost"
    source = nats_source(nats_server, stream, {**LOGIN, "tls": tls}, certs)
    source.open(None)
    source.close()


def test_nats_wrong_password_is_refused_without_showing_it(
    nats_server: NatsTls, certs: Certificates
) -> None:
    stream, _ = nats_server.create_stream()
    wrong = {"auth": {"user_and_password": {"user": USER, "password": "not-" + PASSWORD}}}
    message = open_error(
        nats_source(nats_server, stream, {**wrong, "tls": {"ca_file": str(certs.ca)}}, certs)
    )
    assert "Authorization Violation" in message
    assert "not-" + PASSWORD not in message


def test_plain_nats_url_to_a_tls_only_server_is_a_clear_error(
    nats_server: NatsTls, certs: Certificates
) -> None:
    """The server requires TLS: the connector upgrades, as NATS clients do, and verifies the
    certificate against the system's CAs, which do not know this test's CA."""
    stream, _ = nats_server.create_stream()
    message = open_error(nats_source(nats_server, stream, LOGIN, certs))
    assert f"nats://127.0.0.1:{nats_server.port} requires TLS" in message
    assert "tls.ca_file or tls.ca_pem" in message


def test_a_server_that_only_offers_tls_is_refused_rather_than_managed_in_the_clear(
    tmp_path: Path, certs: Certificates
) -> None:
    """`allow_non_tls`: nats-py 2.16 would create the consumer over plain TCP, password and
    all, although the connector asked for TLS."""
    with nats_tls_server(tmp_path, certs, allow_non_tls=True) as server:
        source = nats_source(server, "ANY", {**LOGIN, "tls": {"ca_file": str(certs.ca)}}, certs)
        assert "offers TLS without requiring it" in open_error(source)


def test_nats_handshake_first_through_a_tls_terminating_proxy(certs: Certificates) -> None:
    """TLS from the first byte, to a proxy that terminates it in front of the plain JetStream
    server on 4222; without `handshake_first` each side waits for the other to begin."""
    terminating = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    terminating.load_cert_chain(str(certs.server_cert), str(certs.server_key))
    with (
        own_stream() as (stream, subject),
        tls_terminating_proxy(("127.0.0.1", 4222), terminating) as port,
    ):
        publish(subject, [json.dumps({"id": i}).encode() for i in range(40)])
        url = f"tls://127.0.0.1:{port}"
        tls = {"ca_file": str(certs.ca), "handshake_first": True}
        config = {"connection_config": {"server_url": url, "tls": tls}, "stream_name": stream}
        source = NatsSource(context(config, certs))
        source.open(None)
        try:
            assert drain(source, 40) == list(range(40))
        finally:
            source.close()
        tls["handshake_first"] = False
        message = open_error(NatsSource(context(config, certs)))
        assert f"{url} sent no INFO (TLS first? set tls.handshake_first)" in message


# -- MQTT ----------------------------------------------------------------------------------
@pytest.fixture
def mqtt_server(tmp_path: Path, certs: Certificates) -> Iterator[MqttTls]:
    with mosquitto_tls(tmp_path, certs) as server:
        yield server


def mqtt_source(server: MqttTls, topic: str, extra: dict[str, Any], c: Certificates) -> MqttSource:
    config = {"host": "127.0.0.1", "port": server.port, "topic": topic, **extra}
    return MqttSource(context(config, c))


def test_mqtt_reads_over_verified_tls_with_a_password(
    mqtt_server: MqttTls, certs: Certificates
) -> None:
    topic = f"hw/tls/{uuid.uuid4().hex[:8]}"
    login = {"username": USER, "password": PASSWORD, "tls": {"ca_pem": certs.ca.read_text()}}
    source = mqtt_source(mqtt_server, topic, login, certs)
    source.open(None)
    try:
        mqtt_server.publish(topic, [{"id": i} for i in range(50)])
        assert sorted(drain(source, 50)) == list(range(50))
    finally:
        source.close()


def test_mqtt_mistakes_are_clear_errors(mqtt_server: MqttTls, certs: Certificates) -> None:
    ca = {"ca_file": str(certs.ca)}
    wrong_ca = mqtt_source(
        mqtt_server,
        "t",
        {"username": USER, "password": PASSWORD, "tls": {"ca_file": str(certs.other_ca)}},
        certs,
    )
    assert "was not accepted (unable to get local issuer certificate)" in open_error(wrong_ca)
    wrong_password = mqtt_source(
        mqtt_server, "t", {"username": USER, "password": "nope-nope", "tls": ca}, certs
    )
    message = open_error(wrong_password)
    assert f"mqtts://127.0.0.1:{mqtt_server.port} refused the connection" in message
    assert "Not authorized" in message or "Bad user name or password" in message
    assert "nope-nope" not in message


def test_mqtt_with_an_inline_client_certificate_when_the_broker_asks_for_one(
    tmp_path: Path, certs: Certificates
) -> None:
    with mosquitto_tls(tmp_path, certs, require_certificate=True) as broker:
        topic = f"hw/tls/{uuid.uuid4().hex[:8]}"
        ca = certs.ca.read_text()
        mutual = {
            "ca_pem": ca,
            "cert_pem": certs.client_cert.read_text(),
            "key_pem": certs.client_key.read_text(),
        }
        login = {"username": USER, "password": PASSWORD}
        source = mqtt_source(broker, topic, {**login, "tls": mutual}, certs)
        source.open(None)
        try:
            broker.publish(topic, [{"id": i} for i in range(20)])
            assert sorted(drain(source, 20)) == list(range(20))
        finally:
            source.close()
        without = mqtt_source(broker, topic, {**login, "tls": {"ca_pem": ca}}, certs)
        message = open_error(without)
        assert f"mqtts://127.0.0.1:{broker.port} closed the connection before accepting" in message
