"""`mqtt_input`: an MQTT topic (paho-mqtt 2, MQTT v5), QoS 1, persistent session.

Config: `{"host": "127.0.0.1", "port": 1883, "topic": "sensors/#", "client_id": ...,
"username": ..., "password": ..., "tls": {...}}`, or `url: "mqtt://host:port"` /
`"mqtts://user:password@host:8883"` instead of host, port and the credentials.

TLS: an `mqtts://` URL or a `tls` block (see `streaming/tls.py`: `ca_file`/`ca_pem`, `cert_file` +
`key_file` or `cert_pem` + `key_pem`) connects over TLS, port 8883 unless given; the broker's
certificate is always verified, against the given CA or the system's, and must name `host`.
The password never appears in what the connector reports.

The session outlives the connection (`clean_start=False`, a long session expiry), so the
broker keeps QoS 1 messages for us while we are away. Acknowledgements are manual
(`manual_ack=True`): a PUBACK goes out only after the commit holding the message, so a crash
before it gets the message redelivered (at least once; MQTT has no sequence to drop
duplicates by). The receive maximum bounds what the broker sends unacknowledged; pausing
disconnects, so the broker holds new messages.
"""

from __future__ import annotations

import queue
import socket
import ssl
import time
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from headwater.connectors.sdk import (
    Fetched,
    SourceContext,
    TerminalError,
    TransientError,
)
from headwater.connectors.streaming.mqtt.egress import EgressMqttClient
from headwater.connectors.streaming.mqtt.spec import SPEC
from headwater.connectors.streaming.tls import Tls, describe_tls_error, tls_from_config

SESSION_EXPIRY_SECONDS = 7 * 24 * 3600
MAX_RECEIVE = 65_535  # MQTT's ceiling for the receive maximum
CONNACK_SECONDS = 10
SCHEMES = {"mqtt": False, "mqtts": True}  # scheme -> TLS
FIELDS = frozenset({"host", "port", "url", "topic", "client_id", "username", "password", "tls"})


class MqttSource:
    @staticmethod
    def spec() -> dict[str, Any]:
        """The JSON Schema of `transport.config` (checked when a pipeline is defined)."""
        return SPEC

    def __init__(self, context: SourceContext) -> None:
        config = context.config
        unknown = sorted(set(config) - FIELDS)
        if unknown:
            raise TerminalError(
                f"mqtt_input: unknown field {unknown[0]!r} (known: {', '.join(sorted(FIELDS))})"
            )
        url = _url(config.get("url"))
        self._tls = tls_from_config(config.get("tls"), "mqtt_input", context.allowed_dirs)
        if self._tls is None and SCHEMES[url.scheme or "mqtt"]:
            self._tls = tls_from_config(True, "mqtt_input", context.allowed_dirs)
        self._host = _text(config, "host") or url.hostname or ""
        self._port = _port(config.get("port"), url, self._tls)
        self._topic = _text(config, "topic")
        if not self._host or not self._topic:
            raise TerminalError("mqtt_input needs 'host' (or 'url') and 'topic'")
        self._username, self._password = _credentials(config, url)
        self._client_id = _text(config, "client_id") or context.stable_id
        self._receive_maximum = max(1, min(MAX_RECEIVE, context.max_queued_records))
        self._messages: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self._unacked: list[mqtt.MQTTMessage] = []
        self._client: mqtt.Client | None = None
        self._connected = False
        self._refused: str | None = None  # the broker's reason, when it refused us
        self._lost: str | None = None  # why the connection ended before the broker answered
        self._last_error = ""  # paho's last error (its own log), the detail of `_lost`

    @property
    def address(self) -> str:
        """The broker as a URL without credentials: safe to show."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"{'mqtts' if self._tls else 'mqtt'}://{host}:{self._port}"

    def open(self, position: dict[str, Any] | None) -> None:
        self._connect()

    def _connect(self) -> None:
        client = EgressMqttClient(
            CallbackAPIVersion.VERSION2,
            client_id=self._client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
            manual_ack=True,
        )
        if self._username is not None:
            client.username_pw_set(self._username, self._password)
        if self._tls is not None:
            client.tls_set_context(self._tls.context)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_log = self._on_log
        client.on_message = lambda _c, _u, message: self._messages.put(message)
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = SESSION_EXPIRY_SECONDS
        properties.ReceiveMaximum = self._receive_maximum
        self._refused = self._lost = None
        self._last_error = ""
        self._open_connection(client, properties)
        client.loop_start()
        self._client = client
        deadline = time.monotonic() + CONNACK_SECONDS
        while (
            not self._connected
            and self._refused is None
            and self._lost is None
            and time.monotonic() < deadline
        ):
            time.sleep(0.02)
        client.on_log = None  # paho formats a line per packet while a logger is set
        if self._connected:
            return
        self.close()
        if self._refused is not None:
            raise TransientError(
                f"mqtt_input: {self.address} refused the connection: {self._refused}"
            )
        hint = "" if self._tls else " (a TLS listener? use mqtts:// or a tls block)"
        if self._lost is not None:
            # e.g. a broker that requires a client certificate ends TLS 1.3 here
            raise TransientError(
                f"mqtt_input: {self.address} closed the connection before accepting it "
                f"({self._redact(self._lost)}){hint}"
            )
        raise TransientError(
            f"mqtt_input: no answer (CONNACK) from {self.address} in {CONNACK_SECONDS} s{hint}"
        )

    def _open_connection(self, client: mqtt.Client, properties: Properties) -> None:
        """The connection to the broker (TCP, then TLS if asked): the one place it opens."""
        try:
            client.connect(
                self._host, self._port, keepalive=30, clean_start=False, properties=properties
            )
        except (ssl.SSLError, ssl.CertificateError) as exc:
            _close_abandoned_sockets(exc)
            raise TransientError(f"mqtt_input: {describe_tls_error(exc, self.address)}") from None
        except OSError as exc:
            _close_abandoned_sockets(exc)
            raise TransientError(
                f"mqtt_input: cannot connect to {self.address}: {exc.strerror or exc}"
            ) from None

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            self._refused = str(reason)  # e.g. "Bad user name or password", "Not authorized"
            return
        client.subscribe(self._topic, qos=1)
        self._connected = True

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if not self._connected:
            self._lost = self._last_error or str(reason)

    def _on_log(self, _c: mqtt.Client, _u: Any, level: int, text: str) -> None:
        if level == mqtt.MQTT_LOG_ERR:
            self._last_error = text  # "failed to receive on socket: [SSL: ...] ..."

    def _redact(self, text: str) -> str:
        return text.replace(self._password, "***") if self._password else text

    def fetch(self, max_records: int, timeout: float) -> Fetched:
        payloads: list[bytes] = []
        try:
            first = self._messages.get(timeout=timeout)
        except queue.Empty:
            return Fetched(position={}, idle=True)
        batch = [first]
        while len(batch) < max_records:
            try:
                batch.append(self._messages.get_nowait())
            except queue.Empty:
                break
        payloads = [bytes(m.payload) for m in batch]
        self._unacked.extend(batch)
        # an empty queue: the broker may be holding back for our acks (receive maximum)
        return Fetched(
            payloads=payloads,
            position={},
            nbytes=sum(len(p) for p in payloads),
            idle=self._messages.empty(),
        )

    def ack(self, position: dict[str, Any] | None) -> None:
        if self._client is not None:
            for message in self._unacked:
                self._client.ack(message.mid, message.qos)
        self._unacked = []

    def pause(self) -> None:
        # everything taken was committed and acked before this; what is still queued here
        # was never acked, so the broker sends it again after we reconnect
        self.close()
        self._messages = queue.Queue()

    def resume(self) -> None:
        self._connect()

    def close(self) -> None:
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
            self._client = None
        self._connected = False


def _close_abandoned_sockets(exc: BaseException) -> None:
    """paho (2.2) leaves the socket of a failed TLS handshake open for the garbage collector
    (a ResourceWarning, a file descriptor held meanwhile): close what its frames still hold."""
    trace = exc.__traceback__
    while trace is not None:
        for value in list(trace.tb_frame.f_locals.values()):
            if isinstance(value, socket.socket):
                value.close()
        trace = trace.tb_next


def _url(raw: Any) -> SplitResult:
    if raw is None or raw == "":
        return urlsplit("")
    if not isinstance(raw, str):
        raise TerminalError("mqtt_input: 'url' must be a string")
    parts = urlsplit(raw if "://" in raw else f"mqtt://{raw}")
    if parts.scheme.lower() not in SCHEMES:
        raise TerminalError("mqtt_input: 'url' must start with mqtt:// or mqtts://")
    return parts


def _text(config: dict[str, Any], name: str) -> str:
    value = config.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TerminalError(f"mqtt_input: {name!r} must be a string")
    return value


def _port(raw: Any, url: SplitResult, tls: Tls | None) -> int:
    try:
        port = raw if raw is not None else url.port
    except ValueError:
        raise TerminalError("mqtt_input: 'url' has an invalid port") from None
    if port is None:
        return 8883 if tls else 1883
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise TerminalError("mqtt_input: 'port' must be a number from 1 to 65535")
    return port


def _credentials(config: dict[str, Any], url: SplitResult) -> tuple[str | None, str | None]:
    """(username, password) from the config or the URL, not both."""
    username, password = _text(config, "username"), config.get("password")
    if password is not None and not isinstance(password, str):
        raise TerminalError("mqtt_input: 'password' must be a string")
    if url.username and (username or password is not None):
        raise TerminalError(
            "mqtt_input: give the credentials in 'url' or in username/password, not both"
        )
    if url.username:
        return unquote(url.username), unquote(url.password) if url.password else None
    if password is not None and not username:
        raise TerminalError("mqtt_input: 'password' needs a 'username'")
    return (username or None), password
