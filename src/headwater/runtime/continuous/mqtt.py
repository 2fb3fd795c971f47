"""`mqtt_input`: an MQTT topic (paho-mqtt 2, MQTT v5), QoS 1, persistent session.

Config: `{"host": "127.0.0.1", "port": 1883, "topic": "sensors/#", "client_id": ...,
"username": ..., "password": ...}` (`url: "mqtt://host:port"` also works).

The session outlives the connection (`clean_start=False`, a long session expiry), so the
broker keeps QoS 1 messages for us while we are away. Acknowledgements are manual
(`manual_ack=True`): a PUBACK goes out only after the commit holding the message, so a crash
before it gets the message redelivered (at least once; MQTT has no sequence to drop
duplicates by). The receive maximum bounds what the broker sends unacknowledged; pausing
disconnects, so the broker holds new messages.
"""

from __future__ import annotations

import queue
import time
from typing import Any
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from headwater.runtime.continuous.mqtt_egress import EgressMqttClient
from headwater.runtime.continuous.source import FatalSourceError, Fetched, SourceContext

SESSION_EXPIRY_SECONDS = 7 * 24 * 3600
MAX_RECEIVE = 65_535  # MQTT's ceiling for the receive maximum


class MqttSource:
    def __init__(self, context: SourceContext) -> None:
        config = context.config
        url = urlparse(str(config.get("url") or ""))
        self._host = str(config.get("host") or url.hostname or "")
        self._port = int(config.get("port") or url.port or 1883)
        self._topic = str(config.get("topic") or "")
        if not self._host or not self._topic:
            raise FatalSourceError("mqtt_input needs 'host' (or 'url') and 'topic'")
        self._client_id = str(config.get("client_id") or context.stable_id)
        self._username = config.get("username")
        self._password = config.get("password")
        self._receive_maximum = max(1, min(MAX_RECEIVE, context.max_queued_records))
        self._messages: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self._unacked: list[mqtt.MQTTMessage] = []
        self._client: mqtt.Client | None = None
        self._connected = False

    def open(self, position: dict[str, Any] | None) -> None:
        self._connect()

    def _connect(self) -> None:
        client = EgressMqttClient(
            CallbackAPIVersion.VERSION2,
            client_id=self._client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
            manual_ack=True,
        )
        if self._username:
            client.username_pw_set(str(self._username), str(self._password or ""))
        client.on_connect = self._on_connect
        client.on_message = lambda _c, _u, message: self._messages.put(message)
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = SESSION_EXPIRY_SECONDS
        properties.ReceiveMaximum = self._receive_maximum
        client.connect(
            self._host, self._port, keepalive=30, clean_start=False, properties=properties
        )
        client.loop_start()
        self._client = client
        deadline = time.monotonic() + 10
        while not self._connected and time.monotonic() < deadline:
            time.sleep(0.02)
        if not self._connected:
            self.close()
            raise ConnectionError(f"mqtt_input: no CONNACK from {self._host}:{self._port}")

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            return
        client.subscribe(self._topic, qos=1)
        self._connected = True

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
