"""How connections pass the egress policy, against real servers on 127.0.0.1: the guard's
resolve-check-connect, the audit hook under any Python client, the httpx transport with its
redirects, and the continuous inputs (url, NATS JetStream 4222, Mosquitto 1883), paho's
reconnects from its own thread included."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from headwater.connectors import egress, egress_http
from headwater.connectors.registry import ConnectorRegistry
from headwater.connectors.sdk import SourceContext, TerminalError
from headwater.connectors.streaming.mqtt.egress import EgressMqttClient
from headwater.domain.datasets import Column, ColumnType
from headwater.domain.egress import EgressPolicy
from headwater.runtime.guarded_source import guarded_factory
from tests.api.test_egress import loopback_name
from tests.connectors.http_support import DataServer, Reply, text_reply

DEFAULTS = EgressPolicy.build()


class Listener:
    """A TCP port that counts the connections it accepts."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])

    def accepted(self) -> int:
        self.sock.settimeout(0.2)
        count = 0
        while True:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                return count
            conn.close()
            count += 1


@pytest.fixture
def listener() -> Iterator[Listener]:
    made = Listener()
    yield made
    made.sock.close()


@pytest.fixture(autouse=True)
def hooked() -> None:
    egress.install_audit_hook()  # what build_runtime does


def test_a_refused_destination_is_never_connected_to(listener: Listener) -> None:
    guard = egress.EgressGuard(DEFAULTS)
    with pytest.raises(egress.EgressRefused) as refused:
        egress.create_connection("127.0.0.1", listener.port, 1, guard=guard)
    assert str(refused.value) == (
        f"127.0.0.1:{listener.port} is not allowed by the egress policy: loopback"
    )
    assert guard.refused is refused.value
    assert listener.accepted() == 0
    exempt = egress.EgressGuard(DEFAULTS, exempt=True)  # an admin's choice
    egress.create_connection("127.0.0.1", listener.port, 1, guard=exempt).close()
    assert listener.accepted() == 1


def test_a_name_is_checked_on_every_address_it_resolves_to(listener: Listener) -> None:
    guard = egress.EgressGuard(DEFAULTS)
    with pytest.raises(egress.EgressRefused, match=r"localhost:\d+ is not allowed .*loopback"):
        guard.resolve("localhost", listener.port)
    name = loopback_name()
    if name is not None:
        with pytest.raises(egress.EgressRefused) as refused:
            guard.resolve(name, listener.port)
        assert f"{name}:{listener.port} (127.0.0.1) is not allowed" in str(refused.value)
    opened = egress.EgressGuard(EgressPolicy.build(allow=[f"127.0.0.1:{listener.port}"]))
    assert opened.resolve("127.0.0.1", listener.port) == ["127.0.0.1"]
    assert ("127.0.0.1", listener.port) in opened.cleared


def test_the_audit_hook_refuses_any_python_socket_while_a_run_is_in_progress(
    listener: Listener, tmp_path: Path
) -> None:
    guard = egress.EgressGuard(DEFAULTS)
    with egress.active(guard), socket.socket() as sock, pytest.raises(egress.EgressRefused):
        sock.connect(("127.0.0.1", listener.port))  # a plug-in's own socket
    assert listener.accepted() == 0
    unix = socket.socket(socket.AF_UNIX)
    with egress.active(guard), unix, pytest.raises(egress.EgressRefused, match="local socket"):
        unix.connect(str(tmp_path / "s.sock"))
    with socket.socket() as sock:  # no run in progress: the hook lets it be
        sock.connect(("127.0.0.1", listener.port))
    assert listener.accepted() == 1


def test_httpx_through_the_guarded_transport_re_checks_each_redirect() -> None:
    with DataServer() as opened, DataServer() as closed:
        closed.routes["/data.csv"] = lambda request: text_reply("a\n1\n", "text/csv")
        opened.routes["/moved"] = lambda request: Reply(
            302, b"", {"Location": closed.url("/data.csv")}
        )
        opened.routes["/data.csv"] = lambda request: text_reply("a\n1\n", "text/csv")
        policy = EgressPolicy.build(allow=[f"127.0.0.1:{opened.port}"])

        def get(url: str, exempt: bool = False) -> httpx.Response:
            guard = egress.EgressGuard(policy, exempt)
            transport = egress_http.transport(guard, url)
            with httpx.Client(transport=transport, follow_redirects=True) as client:
                return client.get(url)

        assert get(opened.url("/data.csv")).status_code == 200
        with pytest.raises(egress.EgressRefused, match=f"127.0.0.1:{closed.port} is not"):
            get(opened.url("/moved"))
        # an admin's exemption covers the origin the admin named, not where it redirects
        with pytest.raises(egress.EgressRefused):
            get(opened.url("/moved"), exempt=True)
        assert get(closed.url("/data.csv"), exempt=True).status_code == 200
        assert [r.path for r in closed.requests] == ["/data.csv"]


def source_of(transport: str, config: dict[str, Any], guard: egress.EgressGuard) -> Any:
    context = SourceContext(
        "p", "t", "c", config, (Column("body", ColumnType.STRING),), table_id=str(uuid.uuid4())
    )
    return guarded_factory(ConnectorRegistry.from_entry_points().source(transport), guard)(context)


@pytest.mark.parametrize(
    ("transport", "config", "where"),
    [
        ("nats_input", {"connection_config": {"server_url": "nats://127.0.0.1:4222"},
                        "stream_name": "nope"}, "127.0.0.1:4222"),
        ("mqtt_input", {"host": "127.0.0.1", "port": 1883, "topic": "t/#"}, "127.0.0.1:1883"),
    ],
)  # fmt: skip
def test_a_continuous_input_to_a_refused_broker_stops_with_the_egress_error(
    transport: str, config: dict[str, Any], where: str
) -> None:
    source = source_of(transport, config, egress.EgressGuard(DEFAULTS))
    with pytest.raises(TerminalError) as stopped:
        source.open(None)
    assert str(stopped.value) == f"{where} is not allowed by the egress policy: loopback"
    source.close()


def test_url_input_is_refused_the_loopback_and_redirects_into_it() -> None:
    with DataServer() as opened, DataServer() as closed:
        closed.routes["/lines"] = lambda request: text_reply('{"body": "x"}\n', "text/plain")
        opened.routes["/moved"] = lambda request: Reply(
            302, b"", {"Location": closed.url("/lines")}
        )
        policy = EgressPolicy.build(allow=[f"127.0.0.1:{opened.port}"])
        for url in (closed.url("/lines"), opened.url("/moved")):
            source = source_of("url_input", {"path": url}, egress.EgressGuard(policy))
            with pytest.raises(TerminalError, match=f"127.0.0.1:{closed.port} is not allowed"):
                source.open(None)
            source.close()
        assert closed.requests == []
        admins = source_of(
            "url_input", {"path": closed.url("/lines")}, egress.EgressGuard(policy, exempt=True)
        )
        admins.open(None)
        assert admins.fetch(10, 1.0).payloads == [b'{"body": "x"}']
        admins.close()


def test_pahos_own_thread_connects_through_the_guard_it_was_made_under() -> None:
    with egress.active(egress.EgressGuard(DEFAULTS)):
        client = EgressMqttClient(CallbackAPIVersion.VERSION2, client_id="egress-test")
    failures: list[BaseException] = []

    def reconnect() -> None:  # as paho's network thread does, where no guard is active
        try:
            client.connect("127.0.0.1", 1883)
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=reconnect)
    thread.start()
    thread.join(10)
    assert [str(f) for f in failures] == [
        "127.0.0.1:1883 is not allowed by the egress policy: loopback"
    ]
    with egress.active(egress.EgressGuard(DEFAULTS, exempt=True)):
        allowed = EgressMqttClient(CallbackAPIVersion.VERSION2, client_id="egress-test-2")
    allowed.connect("127.0.0.1", 1883)  # Mosquitto answers
    allowed.disconnect()
