"""Connecting through the egress policy: resolve once, check every address, connect to a
checked one.

A run of a connector (or a continuous source) happens inside `active(guard)`: the guard holds
the policy and whether the destination's chooser is an admin. Connector code asks it for
addresses, so the connection goes to exactly the address that was checked (no second DNS
lookup that could answer differently):

    sock = egress.create_connection(host, port, timeout)       # a checked TCP connection
    addresses = egress.resolve(host, port)                     # for clients that take an IP

Built-in connectors use these (and `egress_http.transport()` for httpx). As a second wall, a
Python audit hook (PEP 578) sees every `socket.connect` made while a guard is active, by any
library or plug-in, and refuses an address the guard did not clear and the policy refuses.
Connections made in C (libpq) or by another process (an Airbyte source) are out of its sight:
those connectors pass the checked address themselves, or say what they cannot enforce.

A refusal is an `EgressRefused` (terminal: retrying will not help). Libraries often wrap what
a socket raises in errors of their own, so the guard also keeps the first refusal, and the
run reports that rather than the wrapper.
"""

from __future__ import annotations

import contextlib
import functools
import socket
import sys
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

from headwater.connectors.sdk import TerminalError
from headwater.domain.egress import EgressPolicy, IPAddress, address_of, refused_message

T = TypeVar("T")

_ACTIVE: ContextVar[EgressGuard | None] = ContextVar("headwater_egress", default=None)
_HOOKED = False


class EgressRefused(TerminalError):
    """The egress policy refuses the destination: the run fails, naming host and rule."""


@dataclass
class EgressGuard:
    """The policy for one run, and what the run did under it."""

    policy: EgressPolicy
    exempt: bool = False  # the destination was chosen by an admin
    cleared: set[tuple[str, int]] = field(default_factory=set)  # addresses `resolve` checked
    refused: EgressRefused | None = None  # the first refusal

    def resolve(self, host: str, port: int | None, *, exempt: bool | None = None) -> list[str]:
        """The addresses `host` resolves to, each checked; refused if any one is refused
        (a name that also resolves to the loopback is not a way in). `exempt=False` checks
        a destination the chooser did not name (a redirect to another host). Without a port,
        only what is refused on every port is refused."""
        exempt = self.exempt if exempt is None else exempt
        literal = address_of(host)
        name = None if literal else host
        if name is not None:  # a denied name is refused before DNS is asked anything
            self._check(host, port, None, name, exempt)
        found = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
        addresses: list[str] = []
        for _family, _kind, _proto, _canon, sockaddr in found:
            text = str(sockaddr[0])
            if text not in addresses:
                addresses.append(text)
        for text in addresses:
            self._check(host, port, text, name, exempt)
        if port is not None:
            self.cleared.update((text, port) for text in addresses)
        return addresses

    def check_socket(self, family: int, address: Any) -> None:
        """The audit hook's check of an address a socket is about to connect to."""
        if family in (socket.AF_INET, socket.AF_INET6):
            text, port = str(address[0]), int(address[1])
            if (text, port) not in self.cleared:
                self._check(text, port, text, None, self.exempt)
        elif family == getattr(socket, "AF_UNIX", None) and not self.exempt:
            raise self.refuse(f"{address!r} is not allowed by the egress policy: a local socket")

    def refuse(self, message: str) -> EgressRefused:
        refused = EgressRefused(message)
        if self.refused is None:
            self.refused = refused
        return refused

    def _check(
        self, host: str, port: int | None, text: str | None, name: str | None, exempt: bool
    ) -> None:
        address = address_of(text) if text is not None else None
        reason = self.policy.refusal(port, address, name, exempt=exempt)
        if reason is not None:
            raise self.refuse(refused_message(host, port, address, reason))


def current() -> EgressGuard | None:
    """The guard of the run in progress in this context, if any."""
    return _ACTIVE.get()


@contextlib.contextmanager
def active(guard: EgressGuard | None) -> Iterator[EgressGuard | None]:
    """Connections made inside go through `guard` (nothing changes with None)."""
    token = _ACTIVE.set(guard)
    try:
        yield guard
    finally:
        _ACTIVE.reset(token)


def guarded(guard: EgressGuard | None, items: Iterable[T]) -> Iterator[T]:
    """`items`, each step taken inside `active(guard)`; the consumer's own code between steps
    (progress, staging, its database) runs outside it."""
    with active(guard):
        items = iter(items)
    try:
        while True:
            with active(guard):
                try:
                    item = next(items)
                except StopIteration:
                    return
            yield item
    finally:
        close = getattr(items, "close", None)
        if close is not None:  # the source's own clean-up, at once rather than when collected
            with active(guard):
                close()


def resolve(host: str, port: int | None, *, exempt: bool | None = None) -> list[str]:
    """`host`'s checked addresses under the active guard; `[host]` unchanged without one."""
    guard = _ACTIVE.get()
    if guard is None:
        return [host]
    return guard.resolve(host, port, exempt=exempt)


def check_url(url: str, default_port: int) -> None:
    """Check (and clear, for the audit hook) the destination of `url` under the active guard,
    for a client library that resolves and connects by itself."""
    parts = urlsplit(url if "://" in url else f"tcp://{url}")
    if _ACTIVE.get() is not None and parts.hostname:
        resolve(parts.hostname, parts.port or default_port)


def create_connection(
    host: str,
    port: int,
    timeout: float | None = None,
    *,
    guard: EgressGuard | None = None,
) -> socket.socket:
    """`socket.create_connection` to a checked address of `host` (the active guard's unless
    one is given), trying each address in turn."""
    guard = guard or _ACTIVE.get()
    if guard is None:
        return socket.create_connection((host, port), timeout)
    last: OSError | None = None
    for address in guard.resolve(host, port):
        try:
            with active(guard):
                return socket.create_connection((address, port), timeout)
        except EgressRefused:
            raise
        except OSError as exc:
            last = exc
    raise last or OSError(f"cannot connect to {host}:{port}")


def refusal_in(error: BaseException | None) -> EgressRefused | None:
    """The refusal behind `error`, however a library wrapped it."""
    seen = 0
    while error is not None and seen < 20:
        if isinstance(error, EgressRefused):
            return error
        error = error.__cause__ or error.__context__
        seen += 1
    return None


@functools.lru_cache(maxsize=256)
def is_own_address(address: IPAddress) -> bool:
    """Whether `address` is one of this machine's: only those can be bound to."""
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind((str(address), 0))
    except OSError:
        return False
    return True


def install_audit_hook() -> None:
    """Add the audit hook (once per process; a hook cannot be removed). It costs one
    comparison per audited event, and checks only while a guard is active."""
    global _HOOKED
    if _HOOKED:
        return
    sys.addaudithook(_audit)
    _HOOKED = True


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event != "socket.connect":
        return
    guard = _ACTIVE.get()
    if guard is not None:
        sock, address = args
        guard.check_socket(sock.family, address)
