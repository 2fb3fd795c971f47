"""The TLS and credential fields of `nats_input` and `mqtt_input`: every mistake stops the
connector with a message naming the field, and what is accepted reaches the connection as
given (no I/O here: the sources are only built)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import trustme

from headwater.connectors.sdk import SourceContext, TerminalError
from headwater.connectors.streaming.mqtt.source import MqttSource
from headwater.connectors.streaming.nats.endpoint import NatsEndpoint
from headwater.connectors.streaming.nats.source import NatsSource
from headwater.domain.datasets import Column, ColumnType


def context(config: dict[str, Any], allowed: tuple[str, ...] = ()) -> SourceContext:
    return SourceContext(
        "p", "t", "c", config, (Column("id", ColumnType.LONG),), "tid", allowed_dirs=allowed
    )


def nats(connection: dict[str, Any], allowed: tuple[str, ...] = ()) -> NatsSource:
    config = {"connection_config": connection, "stream_name": "s"}
    return NatsSource(context(config, allowed))


def endpoint(connection: dict[str, Any], allowed: tuple[str, ...] = ()) -> NatsEndpoint:
    config = {"connection_config": connection, "stream_name": "s"}
    return NatsEndpoint.from_config(config, allowed)


@pytest.fixture
def ca_pem() -> str:
    return trustme.CA().cert_pem.bytes().decode()


@pytest.mark.parametrize(
    ("connection", "named"),
    [
        ({"server_url": "ws://h:4222"}, "server_url must start with nats:// or tls://"),
        ({"server_url": "nats://h:99999"}, "server_url has an invalid port"),
        ({"server_url": "nats://h", "tsl": {}}, "unknown field connection_config.tsl"),
        ({"server_url": "nats://h", "tls": "yes"}, "'tls' must be an object"),
        ({"server_url": "nats://h", "tls": {"ca": "x"}}, "unknown field tls.ca "),
        ({"server_url": "nats://h", "tls": {"insecure": True}}, "unknown field tls.insecure"),
        ({"server_url": "nats://h", "tls": {"cert_file": "/c"}}, "tls.key_file is needed"),
        ({"server_url": "nats://h", "tls": {"key_pem": "k"}}, "tls.cert_pem is needed"),
        ({"server_url": "nats://h", "tls": {"ca_pem": "x", "ca_file": "y"}}, "not both"),
        ({"server_url": "nats://h", "tls": {"ca_pem": ""}}, "tls.ca_pem must be a non-empty"),
        ({"server_url": "nats://h", "tls": {"ca_pem": "junk"}}, "tls.ca_pem: no usable CA"),
        ({"server_url": "nats://h", "tls": {"handshake_first": 1}}, "tls.handshake_first must"),
        ({"server_url": "nats://h", "auth": {"nkey": "SU..."}}, "auth.nkey is not supported"),
        ({"server_url": "nats://h", "auth": {"credentials": {}}}, "auth.credentials is not"),
        ({"server_url": "nats://h", "auth": {"pasword": "x"}}, "unknown field connection_conf"),
        (
            {"server_url": "nats://u:p@h", "auth": {"token": "t"}},
            "in connection_config.server_url or in connection_config.auth, not both",
        ),
        (
            {"server_url": "nats://h", "auth": {"token": "t", "user_and_password": {}}},
            "auth.user_and_password or auth.token, not both",
        ),
        (
            {"server_url": "nats://h", "auth": {"user_and_password": {"password": "p"}}},
            "user_and_password.user must be a non-empty string",
        ),
    ],
)
def test_nats_config_mistakes_name_the_field(connection: dict[str, Any], named: str) -> None:
    with pytest.raises(TerminalError, match="nats_input") as caught:
        nats(connection)
    assert named in str(caught.value)


def test_a_ca_file_outside_the_allowed_directories_is_refused_unread(
    tmp_path: Path, ca_pem: str
) -> None:
    allowed, elsewhere = tmp_path / "allowed", tmp_path / "elsewhere"
    allowed.mkdir()
    elsewhere.mkdir()
    (elsewhere / "ca.pem").write_text(ca_pem)
    (allowed / "ca.pem").write_text(ca_pem)
    outside = {"server_url": "nats://h", "tls": {"ca_file": str(elsewhere / "ca.pem")}}
    with pytest.raises(TerminalError, match=r"\(tls.ca_file\) may read only inside"):
        nats(outside, (str(allowed),))
    # through a link out of the allowed folder: still outside
    (allowed / "link.pem").symlink_to(elsewhere / "ca.pem")
    linked = {"server_url": "nats://h", "tls": {"ca_file": str(allowed / "link.pem")}}
    with pytest.raises(TerminalError, match="may read only inside"):
        nats(linked, (str(allowed),))
    inside = {"server_url": "nats://h", "tls": {"ca_file": str(allowed / "ca.pem")}}
    assert endpoint(inside, (str(allowed),)).wants_tls


def test_credentials_come_from_the_url_or_auth_and_reach_connect(ca_pem: str) -> None:
    assert endpoint({"server_url": "nats://tok%40en@h"}).connect_fields() == {
        "auth_token": "tok@en"
    }
    assert endpoint({"server_url": "nats://u:p%3Aw@h"}).connect_fields() == {
        "user": "u",
        "pass": "p:w",
    }
    by_auth = endpoint(
        {
            "server_url": "tls://h:4333",
            "auth": {"user_and_password": {"user": "u", "password": "pw"}},
        }
    )
    assert by_auth.connect_fields() == {"user": "u", "pass": "pw"}
    assert by_auth.wants_tls  # tls:// asks for TLS without a tls block
    options = by_auth.nats_py_options()
    assert options["servers"] == ["tls://h:4333"]
    assert (options["user"], options["password"]) == ("u", "pw")
    assert options["tls_hostname"] == "h"
    named = endpoint(
        {"server_url": "nats://10.0.0.5", "tls": {"ca_pem": ca_pem, "server_name": "nats.lan"}}
    )
    assert named.server_hostname == "nats.lan"
    assert named.address == "tls://10.0.0.5:4222"
    assert not endpoint({"server_url": "nats://h"}).wants_tls


def test_secrets_stay_out_of_addresses_and_described_errors() -> None:
    shown = endpoint({"server_url": "nats://ingest:hunter2-secret@h:4999"})
    assert shown.address == "nats://h:4999"
    message = shown.describe(RuntimeError("login as ingest:hunter2-secret failed"))
    assert "hunter2-secret" not in message
    assert "***" in message
    token = endpoint({"server_url": "nats://h", "auth": {"token": "t0ken-value"}})
    assert "t0ken-value" not in token.describe(RuntimeError("bad t0ken-value"))


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ({"url": "http://h", "topic": "t"}, "must start with mqtt:// or mqtts://"),
        ({"host": "h", "topic": "t", "tls": {"ca_pem": "junk"}}, "tls.ca_pem: no usable CA"),
        ({"host": "h", "topic": "t", "tls": {"server_name": "x"}}, "unknown field tls.server_n"),
        ({"host": "h", "topic": "t", "passwd": "x"}, "unknown field 'passwd'"),
        ({"host": "h", "topic": "t", "password": "x"}, "'password' needs a 'username'"),
        ({"host": "h", "topic": "t", "port": "8883"}, "'port' must be a number"),
        (
            {"url": "mqtts://u:p@h", "topic": "t", "username": "v"},
            "in 'url' or in username/password, not both",
        ),
    ],
)
def test_mqtt_config_mistakes_name_the_field(config: dict[str, Any], named: str) -> None:
    with pytest.raises(TerminalError, match="mqtt_input") as caught:
        MqttSource(context(config))
    assert named in str(caught.value)


def test_mqtts_means_tls_on_8883_and_credentials_may_come_from_the_url() -> None:
    source = MqttSource(context({"url": "mqtts://u:p%40ss@broker.lan", "topic": "t"}))
    assert source.address == "mqtts://broker.lan:8883"
    assert (source._username, source._password) == ("u", "p@ss")
    plain = MqttSource(context({"host": "broker.lan", "topic": "t"}))
    assert plain.address == "mqtt://broker.lan:1883"
    by_block = MqttSource(context({"host": "broker.lan", "topic": "t", "tls": True}))
    assert by_block.address == "mqtts://broker.lan:8883"
