"""Which configuration belongs to an account: its secrets, and the fields that say where they go.

A connector's spec marks them on its properties, next to `"secret": true`:

    "url":  {"type": "string", "target": "url"}     a URL: its host and port are the destination
    "host": {"type": "string", "target": "host"}    a host name or address
    "port": {"type": "integer", "target": "port"}   the port of the `host` fields
    "username": {"type": "string", "target": true}  part of the destination in another way

When a stream uses an account, those fields (and every secret) come from the account alone:
a stream that sets one is refused, naming the field, so whoever may edit the stream still
cannot send the account's secret anywhere but where the account says. A spec that marks no
target field cannot tell where its secrets go, so the account then owns all of the
configuration and the stream sets none of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from headwater.connectors.config import secret_fields
from headwater.domain.errors import InvalidInput

URL, HOST, PORT, OTHER = "url", "host", "port", "other"
_SCHEME_PORTS = {
    "http": 80,
    "https": 443,
    "sftp": 22,
    "ssh": 22,
    "nats": 4222,
    "tls": 4222,
    "mqtt": 1883,
    "mqtts": 8883,
}


def target_fields(spec: Mapping[str, Any]) -> dict[str, str]:
    """Property name -> kind (url, host, port or other) of the fields marked `target`."""
    found: dict[str, str] = {}
    for name, prop in (spec.get("properties") or {}).items():
        if not isinstance(prop, Mapping) or not prop.get("target"):
            continue
        kind = prop["target"]
        found[name] = kind if kind in (URL, HOST, PORT) else OTHER
    return found


def account_owned(spec: Mapping[str, Any]) -> set[str] | None:
    """The fields only an account may set; None when that is every field (no target marked)."""
    targets = target_fields(spec)
    if not targets:
        return None
    return set(targets) | secret_fields(spec)


def refuse_stream_fields(connector: str, spec: Mapping[str, Any], names: list[str]) -> None:
    """Raise InvalidInput naming the first of `names` (a stream's configuration) that belongs
    to the stream's account."""
    owned = account_owned(spec)
    for name in names:
        if owned is None:
            raise InvalidInput(
                f"configuration {name!r}: connector {connector!r} marks no target fields, so "
                "with an account its whole configuration comes from the account",
                field=f"configuration.{name}",
            )
        if name in owned:
            raise InvalidInput(
                f"configuration {name!r} belongs to the stream's account: where the account's "
                "secret goes is set on the account, not by a stream that uses it",
                field=f"configuration.{name}",
            )


def merged(
    connector: str,
    spec: Mapping[str, Any],
    account_values: Mapping[str, Any] | None,
    stream_values: Mapping[str, Any],
) -> dict[str, Any]:
    """A run's values: the stream's, with the account's on top; with an account, a stream
    value the account owns is refused."""
    if account_values is None:
        return dict(stream_values)
    refuse_stream_fields(connector, spec, list(stream_values))
    return {**stream_values, **account_values}


def destinations(
    spec: Mapping[str, Any], values: Mapping[str, Any]
) -> list[tuple[str, str, int | None]]:
    """(field, host, port) of each destination `values` names in the target fields; the port
    is None where it is not known before the run (a driver's default, say)."""
    targets = target_fields(spec)
    properties = spec.get("properties") or {}
    port = None
    for name, kind in targets.items():
        if kind == PORT:
            port = _int(values.get(name, (properties.get(name) or {}).get("default")))
            break
    found: list[tuple[str, str, int | None]] = []
    for name, kind in targets.items():
        value = values.get(name)
        if not isinstance(value, str) or not value.strip():
            continue
        if kind == HOST:
            found.append((name, value.strip(), port))
        elif kind == URL:
            parts = _url(value)
            if parts is not None:
                found.append((name, *parts))
    return found


def _url(value: str) -> tuple[str, int | None] | None:
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return parts.hostname, port or _SCHEME_PORTS.get(parts.scheme.lower())


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and str(value).strip() else None
    except (TypeError, ValueError):
        return None
