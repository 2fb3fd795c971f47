"""TLS for the transports that talk to a broker (`nats_input`, `mqtt_input`): the `tls` block
of a connector's config, checked field by field, made into a verifying `ssl.SSLContext`.

    "tls": {"ca_file": "/etc/headwater/ca.pem"}              trust this CA (else: the system's)
    "tls": {"ca_pem": "-----BEGIN CERTIFICATE-----..."}      the same, inline
    "tls": {"cert_file": ..., "key_file": ...}               a client certificate (mutual TLS)
    "tls": {"cert_pem": ..., "key_pem": ...}                 the same, inline
    "tls": true  (or {})                                     TLS, trusting the system's CAs

Verification is always on: the server's certificate must chain to a trusted CA and name the
host connected to (or `server_name`, where the transport offers it). There is no switch to
turn that off: a server with a private CA is trusted by giving that CA. Files are read only
inside the directories the operator allows (`HEADWATER_FILE_ROOTS`), as for `file_input`, so a
pipeline cannot make the server open any file it names. Unknown fields are refused, so a typo
never silently means "no client certificate".
"""

from __future__ import annotations

import os
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from headwater.connectors.sdk import TerminalError
from headwater.connectors.streaming.paths import allowed_path

COMMON_FIELDS = frozenset({"ca_file", "ca_pem", "cert_file", "key_file", "cert_pem", "key_pem"})


@dataclass(frozen=True)
class Tls:
    context: ssl.SSLContext
    server_name: str | None = None  # the name the certificate must carry, if not the host
    handshake_first: bool = False  # TLS from the first byte (NATS: before the server's INFO)


def tls_from_config(
    raw: Any,
    transport: str,
    allowed_dirs: tuple[str, ...],
    extra_fields: frozenset[str] = frozenset(),
) -> Tls | None:
    """The connector's `tls` block as a `Tls`, or None when it asks for none (absent/false).
    Every mistake is a `TerminalError` naming the field."""
    if raw is None or raw is False:
        return None
    if raw is True:
        raw = {}
    if not isinstance(raw, dict):
        raise TerminalError(f"{transport}: 'tls' must be an object (or true)")
    unknown = sorted(set(raw) - COMMON_FIELDS - extra_fields)
    if unknown:
        known = ", ".join(sorted(COMMON_FIELDS | extra_fields))
        raise TerminalError(f"{transport}: unknown field tls.{unknown[0]} (known: {known})")
    field = _Fields(raw, transport)
    ca_file, ca_pem = field.text("ca_file"), field.text("ca_pem")
    cert_file, key_file = field.text("cert_file"), field.text("key_file")
    cert_pem, key_pem = field.text("cert_pem"), field.text("key_pem")
    if ca_file and ca_pem:
        raise TerminalError(f"{transport}: give tls.ca_file or tls.ca_pem, not both")
    if (cert_file or key_file) and (cert_pem or key_pem):
        raise TerminalError(
            f"{transport}: give the client certificate as files or inline, not both"
        )
    for cert, key, form in ((cert_file, key_file, "file"), (cert_pem, key_pem, "pem")):
        if bool(cert) != bool(key):
            missing = f"key_{form}" if cert else f"cert_{form}"
            raise TerminalError(f"{transport}: tls.{missing} is needed with the certificate")

    try:
        context = ssl.create_default_context(
            cafile=str(field.path("ca_file", allowed_dirs)) if ca_file else None,
            cadata=ca_pem or None,
        )
    except (OSError, ssl.SSLError, ValueError) as exc:
        which = "ca_file" if ca_file else "ca_pem"
        raise TerminalError(
            f"{transport}: tls.{which}: no usable CA certificate ({_reason(exc)})"
        ) from None
    if cert_file and key_file:
        _load_client_files(
            context,
            field.path("cert_file", allowed_dirs),
            field.path("key_file", allowed_dirs),
            transport,
        )
    elif cert_pem and key_pem:
        _load_client_pem(context, cert_pem, key_pem, transport)
    server_name = field.text("server_name") if "server_name" in extra_fields else None
    handshake_first = field.flag("handshake_first") if "handshake_first" in extra_fields else False
    return Tls(context, server_name or None, handshake_first)


class _Fields:
    def __init__(self, raw: dict[str, Any], transport: str) -> None:
        self._raw = raw
        self._transport = transport

    def text(self, name: str) -> str:
        value = self._raw.get(name)
        if value is None:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise TerminalError(f"{self._transport}: tls.{name} must be a non-empty string")
        return value

    def flag(self, name: str) -> bool:
        value = self._raw.get(name, False)
        if not isinstance(value, bool):
            raise TerminalError(f"{self._transport}: tls.{name} must be true or false")
        return value

    def path(self, name: str, allowed_dirs: tuple[str, ...]) -> Path:
        return allowed_path(self.text(name), allowed_dirs, f"{self._transport} (tls.{name})")


def _load_client_files(context: ssl.SSLContext, cert: Path, key: Path, transport: str) -> None:
    try:
        context.load_cert_chain(str(cert), str(key))
    except (OSError, ssl.SSLError) as exc:
        raise TerminalError(
            f"{transport}: tls.cert_file/tls.key_file: not a usable certificate and key "
            f"({_reason(exc)})"
        ) from None


def _load_client_pem(context: ssl.SSLContext, cert: str, key: str, transport: str) -> None:
    """`ssl` loads a certificate chain only from files: the inline PEM goes through a
    private temporary folder (mode 0700, files 0600), deleted as soon as it is loaded."""
    with tempfile.TemporaryDirectory(prefix="hw-tls-") as folder:
        paths = []
        for name, text in (("cert.pem", cert), ("key.pem", key)):
            path = Path(folder) / name
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as out:
                out.write(text)
            paths.append(str(path))
        try:
            context.load_cert_chain(paths[0], paths[1])
        except (OSError, ssl.SSLError) as exc:
            # the reason only: never the text, which holds the private key
            raise TerminalError(
                f"{transport}: tls.cert_pem/tls.key_pem: not a usable certificate and key "
                f"({_reason(exc)})"
            ) from None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return str(exc.reason)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def describe_tls_error(exc: BaseException, server: str) -> str:
    """A TLS failure in words, with what to do about it; never any configuration value."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        detail = exc.verify_message or _reason(exc)
        return (
            f"TLS: the certificate of {server} was not accepted ({detail}); give the CA that "
            "signed it in tls.ca_file or tls.ca_pem"
        )
    return f"TLS with {server} failed ({_reason(exc)})"


def tls_schema(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON Schema of a transport's `tls` block (for its `spec()`): true/false, or an
    object of the fields above (plus the transport's `extra` ones), none other. Whether the
    files exist, lie in an allowed directory and pair up is checked when the source starts."""
    text = {"type": "string", "minLength": 1}
    properties: dict[str, Any] = {
        "ca_file": {**text, "description": "CA certificate(s) to trust, a PEM file on the server"},
        "ca_pem": {**text, "description": "the same, inline"},
        "cert_file": {**text, "description": "client certificate, a PEM file on the server"},
        "key_file": {**text, "description": "its private key, a PEM file on the server"},
        "cert_pem": {**text, "description": "client certificate, inline"},
        "key_pem": {**text, "secret": True, "description": "its private key, inline"},
        **(extra or {}),
    }
    return {
        "type": ["boolean", "object"],
        "description": "TLS: true for the system's CAs, or an object; the server's "
        "certificate is always verified",
        "properties": properties,
        "additionalProperties": False,
    }
