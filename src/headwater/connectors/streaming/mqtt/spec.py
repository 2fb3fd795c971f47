"""`transport.config` of `mqtt_input`. Closed: a field it does not know is refused (a typo
must not silently mean "no TLS" or "no password")."""

from typing import Any

from headwater.connectors.streaming.tls import tls_schema

_TEXT = {"type": "string"}

SPEC: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "An MQTT topic (MQTT v5, QoS 1, persistent session)",
    "type": "object",
    "required": ["topic"],
    "additionalProperties": False,
    "properties": {
        "host": {**_TEXT, "description": "the broker (or give url)"},
        "port": {
            "type": "integer",
            "minimum": 1,
            "maximum": 65535,
            "description": "1883, or 8883 with TLS, unless given",
        },
        "url": {**_TEXT, "description": "mqtt://host:port or mqtts://user:password@host:port"},
        "topic": {"type": "string", "minLength": 1, "description": "topic filter (+, # allowed)"},
        "client_id": {**_TEXT, "description": "default: unique to the table and connector"},
        "username": _TEXT,
        "password": {**_TEXT, "secret": True},
        "tls": tls_schema(),
    },
}
