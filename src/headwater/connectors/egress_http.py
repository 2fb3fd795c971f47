"""An httpx transport whose every TCP connection passes the egress policy.

httpcore asks its network backend for each new connection (the first request, and every
redirect or next page on another origin). The backend here resolves the name once through the
guard, which checks every address, then connects to a checked address; TLS is started by
httpcore afterwards with the URL's own name, so SNI, certificate checks and the Host header are
unchanged. Environment proxies are not used: through a proxy the policy could not see where a
request goes.

The admin exemption covers the origin the chooser configured (`home`) only: a redirect or a
next link to any other host:port is checked as if a non-admin had chosen it.
"""

from __future__ import annotations

from collections.abc import Iterable

import httpcore
import httpx

from headwater.connectors.egress import EgressGuard, active
from headwater.domain.egress import normal_name

DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: httpx.URL | str) -> tuple[str, int | None]:
    """(host, port) of a URL, the port defaulted by its scheme."""
    url = httpx.URL(url)
    return normal_name(url.host), url.port or DEFAULT_PORTS.get(url.scheme)


def transport(
    guard: EgressGuard | None, home: str | httpx.URL, verify: bool = True
) -> httpx.HTTPTransport:
    """A transport for `httpx.Client(transport=...)`; without a guard, a plain one (still
    without environment proxies: httpx mounts those only when it makes the transport)."""
    # Given a transport, httpx uses no environment proxy; SSL_CERT_FILE/DIR still count.
    plain = httpx.HTTPTransport(verify=verify)
    if guard is None:
        return plain
    # httpx takes no network backend of its own; its transport sends through `_pool`, so the
    # pool is made again, the same way, with the guarded backend.
    plain._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(verify=verify),
        max_connections=100,
        max_keepalive_connections=20,
        keepalive_expiry=5.0,
        network_backend=_GuardedBackend(guard, origin_of(home)),
    )
    return plain


class _GuardedBackend(httpcore.NetworkBackend):
    def __init__(self, guard: EgressGuard, home: tuple[str, int | None]) -> None:
        self._guard = guard
        self._home = home
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        exempt = None if (normal_name(host), port) == self._home else False
        try:
            addresses = self._guard.resolve(host, port, exempt=exempt)
        except OSError as exc:  # no such name: what httpcore says of a refused connection
            raise httpcore.ConnectError(str(exc)) from None
        failure: Exception = httpcore.ConnectError(f"no address for {host}")
        for address in addresses:
            try:
                with active(self._guard):
                    return self._inner.connect_tcp(
                        address, port, timeout, local_address, socket_options
                    )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise self._guard.refuse(f"{path!r} is not allowed by the egress policy: a local socket")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)
