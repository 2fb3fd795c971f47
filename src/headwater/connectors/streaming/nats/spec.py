"""`transport.config` of `nats_input` (Feldera's shape). `connection_config` is closed (a
typo must not silently mean "no TLS"; Feldera's timeouts are accepted and not used); the top
level and `consumer_config` accept Feldera's other fields, which are not used."""

from typing import Any

from headwater.connectors.streaming.tls import tls_schema

_TEXT = {"type": "string", "minLength": 1}

SPEC: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "A NATS JetStream stream, through a durable pull consumer",
    "type": "object",
    "required": ["stream_name"],
    "properties": {
        "connection_config": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "server_url": {
                    **_TEXT,
                    "description": "nats://host:4222 (or tls://); credentials may be in it",
                },
                "auth": {
                    "type": "object",
                    "description": "user_and_password {user, password} or token",
                    "properties": {
                        "user_and_password": {
                            "type": "object",
                            "properties": {
                                "user": _TEXT,
                                "password": {"type": "string", "secret": True},
                            },
                        },
                        "token": {**_TEXT, "secret": True},
                    },
                },
                "tls": tls_schema(
                    {
                        "server_name": {
                            **_TEXT,
                            "description": "the name the server's certificate must carry",
                        },
                        "handshake_first": {
                            "type": "boolean",
                            "description": "TLS from the first byte, before the server's INFO",
                        },
                    }
                ),
                "connection_timeout_secs": {"type": "number", "minimum": 0},
                "request_timeout_secs": {"type": "number", "minimum": 0},
            },
        },
        "stream_name": {**_TEXT, "description": "the JetStream stream"},
        "consumer_config": {
            "type": "object",
            "properties": {
                "durable_name": {
                    **_TEXT,
                    "description": "default: unique to the table and connector",
                },
                "name": _TEXT,
                "filter_subject": _TEXT,
                "filter_subjects": {"type": "array", "items": _TEXT},
                "deliver_policy": {
                    "type": "string",
                    # any case, as the source reads it
                    "pattern": "^([Aa][Ll][Ll]|[Nn][Ee][Ww]|[Ll][Aa][Ss][Tt])$",
                    "description": "All (default), New or Last",
                },
                "ack_wait_secs": {"type": "number", "minimum": 0},
            },
        },
    },
}
