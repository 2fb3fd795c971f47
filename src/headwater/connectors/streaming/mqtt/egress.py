"""paho-mqtt's client, its TCP connections passing the egress policy.

paho reconnects by itself, from its own network thread, where no egress guard is active. So
the guard active when the client is made is kept, and every connection the client opens, the
first and each reconnect, resolves the broker's name through it and connects to a checked
address (`headwater.connectors.egress.create_connection`); TLS, if set, then starts with the
broker's name as before. paho's SOCKS/HTTP proxy settings are not used: through a proxy the
policy could not see where a connection goes.
"""

from __future__ import annotations

import socket
from typing import Any

import paho.mqtt.client as mqtt

from headwater.connectors import egress


class EgressMqttClient(mqtt.Client):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._egress_guard = egress.current()

    # paho's one place that opens the TCP connection (paho-mqtt 2.x)
    def _create_socket_connection(self) -> socket.socket:
        if self._egress_guard is None:  # made outside a run (a test of the source alone)
            return super()._create_socket_connection()
        return egress.create_connection(
            self._host, self._port, self._connect_timeout, guard=self._egress_guard
        )
