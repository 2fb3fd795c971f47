"""Where `nats_input` connects and who it says it is, checked once and shared by the two
connections it opens: nats-py's (which manages the consumer) and `pull`'s (which reads).

`connection_config` (Feldera's shape, plus `tls`):

    "server_url": "nats://host:4222"          plain, unless the server requires TLS
                  "tls://host:4222"           TLS, whatever the server says
                  "nats://user:password@host" / "nats://token@host"   credentials in the URL
    "auth": {"user_and_password": {"user": "u", "password": "p"}} | {"token": "t"}
    "tls": {... see streaming/tls.py ..., "server_name": "nats.internal", "handshake_first": false}

TLS follows the NATS protocol: the server's first frame (INFO) says `tls_required` or
`tls_available`, and a client that wants TLS upgrades the connection there; with
`handshake_first` it speaks TLS from the first byte instead (a server set up for it, or a
TLS-terminating proxy in front). A server that requires TLS gets it even from a `nats://`
URL, as every NATS client does, verified against the system's CAs unless `tls` names others.
NKey, JWT and `.creds` authentication (`auth.nkey`, `auth.jwt`, `auth.credentials`) are not
supported and are refused rather than ignored.

Secrets (password, token) never appear in what the connector reports: `address` carries no
credentials, and `redact` masks them in any text that came from a library.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from nats.errors import Error as NatsError

from headwater.connectors.sdk import TerminalError
from headwater.connectors.streaming.tls import Tls, describe_tls_error, tls_from_config

TRANSPORT = "nats_input"
SCHEMES = {"nats": False, "tls": True}  # scheme -> asks for TLS
DEFAULT_PORT = 4222
CONNECTION_FIELDS = frozenset({"server_url", "auth", "tls"})
# Feldera's own connection fields: accepted for compatibility, not used (our timeouts are fixed)
FELDERA_ONLY_FIELDS = frozenset({"connection_timeout_secs", "request_timeout_secs"})
UNSUPPORTED_AUTH = ("credentials", "jwt", "nkey")


@dataclass(frozen=True)
class NatsEndpoint:
    host: str
    port: int
    tls: Tls | None = None  # None: plain, unless the server requires TLS
    user: str | None = None
    password: str | None = None
    token: str | None = None

    @classmethod
    def from_config(cls, config: dict[str, Any], allowed_dirs: tuple[str, ...]) -> NatsEndpoint:
        connection = config.get("connection_config") or {}
        if not isinstance(connection, dict):
            raise TerminalError(f"{TRANSPORT}: connection_config must be an object")
        unknown = sorted(set(connection) - CONNECTION_FIELDS - FELDERA_ONLY_FIELDS)
        if unknown:
            raise TerminalError(
                f"{TRANSPORT}: unknown field connection_config.{unknown[0]} "
                f"(known: {', '.join(sorted(CONNECTION_FIELDS))})"
            )
        url = connection.get("server_url") or config.get("server_url") or ""
        if not isinstance(url, str) or not url:
            raise TerminalError(f"{TRANSPORT} needs connection_config.server_url")
        parts = urlsplit(url if "://" in url else f"nats://{url}")
        scheme = parts.scheme.lower()
        if scheme not in SCHEMES:
            raise TerminalError(
                f"{TRANSPORT}: connection_config.server_url must start with nats:// or tls://"
            )
        try:
            port = parts.port or DEFAULT_PORT
        except ValueError:
            raise TerminalError(
                f"{TRANSPORT}: connection_config.server_url has an invalid port"
            ) from None
        if not parts.hostname:
            raise TerminalError(f"{TRANSPORT}: connection_config.server_url needs a host")
        tls = tls_from_config(
            connection.get("tls"),
            TRANSPORT,
            allowed_dirs,
            frozenset({"server_name", "handshake_first"}),
        )
        if tls is None and SCHEMES[scheme]:
            tls = Tls(ssl.create_default_context())
        user, password, token = _credentials(parts.username, parts.password, connection)
        return cls(parts.hostname, port, tls, user, password, token)

    @property
    def wants_tls(self) -> bool:
        return self.tls is not None

    @property
    def address(self) -> str:
        """The server as a URL without credentials: safe to show in errors and logs."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'tls' if self.wants_tls else 'nats'}://{host}:{self.port}"

    @property
    def server_hostname(self) -> str:
        """The name the server's certificate must carry."""
        return (self.tls.server_name if self.tls else None) or self.host

    def tls_context(self) -> ssl.SSLContext:
        """The given one, or (for a server that requires TLS of a `nats://` client) a
        verifying context on the system's CAs."""
        return self.tls.context if self.tls else ssl.create_default_context()

    def connect_fields(self) -> dict[str, str]:
        """The credentials, as fields of the protocol's CONNECT."""
        if self.token is not None:
            return {"auth_token": self.token}
        if self.user is not None:
            return {"user": self.user, "pass": self.password or ""}
        return {}

    def nats_py_options(self) -> dict[str, Any]:
        """The same server, credentials and TLS, as `nats.connect` keyword arguments."""
        options: dict[str, Any] = {"servers": [self.address]}
        if self.token is not None:
            options["token"] = self.token
        elif self.user is not None:
            options["user"], options["password"] = self.user, self.password or ""
        if self.tls is not None:
            options["tls"] = self.tls.context
            options["tls_hostname"] = self.server_hostname
            options["tls_handshake_first"] = self.tls.handshake_first
        return options

    def redact(self, text: str) -> str:
        for secret in (self.password, self.token):
            if secret:
                text = text.replace(secret, "***")
        return text

    def describe(self, exc: BaseException) -> str:
        """What went wrong talking to the server through nats-py, in words and redacted."""
        if isinstance(exc, ssl.SSLError | ssl.CertificateError):
            return describe_tls_error(exc, self.address)
        if isinstance(exc, TimeoutError):
            return f"no answer from {self.address} in time"
        if isinstance(exc, NatsError):
            return self.redact(f"{self.address}: {exc}")
        if isinstance(exc, OSError):
            return f"cannot connect to {self.address}: {exc.strerror or exc}"
        return self.redact(f"{self.address}: {type(exc).__name__}: {exc}")


def _credentials(
    url_user: str | None, url_password: str | None, connection: dict[str, Any]
) -> tuple[str | None, str | None, str | None]:
    """(user, password, token) from the URL or `auth`, not both."""
    auth = connection.get("auth")
    if auth is not None and not isinstance(auth, dict):
        raise TerminalError(f"{TRANSPORT}: connection_config.auth must be an object")
    auth = auth or {}
    for name in UNSUPPORTED_AUTH:
        if auth.get(name) is not None:
            raise TerminalError(
                f"{TRANSPORT}: connection_config.auth.{name} is not supported; use "
                "auth.user_and_password or auth.token"
            )
    unknown = sorted(set(auth) - {"user_and_password", "token", *UNSUPPORTED_AUTH})
    if unknown:
        raise TerminalError(f"{TRANSPORT}: unknown field connection_config.auth.{unknown[0]}")
    pair, token = auth.get("user_and_password"), auth.get("token")
    if url_user and (pair is not None or token is not None):
        raise TerminalError(
            f"{TRANSPORT}: give the credentials in connection_config.server_url or in "
            "connection_config.auth, not both"
        )
    if pair is not None and token is not None:
        raise TerminalError(
            f"{TRANSPORT}: give connection_config.auth.user_and_password or auth.token, not both"
        )
    if token is not None:
        if not isinstance(token, str) or not token:
            raise TerminalError(
                f"{TRANSPORT}: connection_config.auth.token must be a non-empty string"
            )
        return None, None, token
    if pair is not None:
        where = "connection_config.auth.user_and_password"
        if not isinstance(pair, dict) or set(pair) - {"user", "password"}:
            raise TerminalError(f"{TRANSPORT}: {where} is {{user, password}}")
        user, password = pair.get("user"), pair.get("password", "")
        if not isinstance(user, str) or not user:
            raise TerminalError(f"{TRANSPORT}: {where}.user must be a non-empty string")
        if not isinstance(password, str):
            raise TerminalError(f"{TRANSPORT}: {where}.password must be a string")
        return user, password, None
    if url_user:
        user = unquote(url_user)
        if url_password is None:  # `nats://<token>@host`, as NATS clients read it
            return None, None, user
        return user, unquote(url_password), None
    return None, None, None
