"""The egress policy: which network destinations a connector may open a connection to.

A destination is what a connection actually reaches: an IP address and a port, and the name
that was resolved to it, if any. Rules, first match decides:

1. an operator DENY entry (`HEADWATER_EGRESS__DENY`) refuses, for everyone, admins included;
2. an operator ALLOW entry (`HEADWATER_EGRESS__ALLOW`) allows, for everyone;
3. the built-in rules refuse, unless an admin chose the destination: loopback (127.0.0.0/8,
   ::1, and the names `localhost`, `*.localhost`), link-local (169.254.0.0/16, fe80::/10),
   unspecified (0.0.0.0/8, ::), any address of the server's own host (on any port: whatever
   else runs there, bound to all its interfaces, is as much the server's as its loopback),
   and the metadata database's host:port;
4. anything else is allowed.

An entry is a host name (`db.example.com`, or `*.example.com` for its subdomains), an address
(`10.0.0.5`, `::1`) or a network (`10.0.0.0/8`), optionally with a port (`db:5432`,
`10.0.0.0/8:5432`, `[::1]:5432`, `[fd00::/8]:443`), or a port alone (`:5432`). Names match the
name that was asked for; addresses and networks match the address connected to, so a name
that resolves to a refused address is refused (IPv4-mapped IPv6 addresses count as IPv4).

This module decides; `headwater.connectors.egress` resolves, checks and connects.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from headwater.domain.errors import InvalidInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

LOOPBACK = "loopback"
LINK_LOCAL = "link-local"
UNSPECIFIED = "unspecified"
OWN_PORT = "the server's own port"
OWN_HOST = "the server's own host"
METADATA_DATABASE = "the metadata database"

_BUILT_IN: tuple[tuple[str, tuple[IPNetwork, ...]], ...] = (
    (LOOPBACK, (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))),
    (LINK_LOCAL, (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"))),
    (UNSPECIFIED, (ipaddress.ip_network("0.0.0.0/8"), ipaddress.ip_network("::/128"))),
)
_NAME = re.compile(
    r"^(\*\.)?([a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$"
)


class EgressRefused(InvalidInput):
    """A configuration names a destination the egress policy refuses (400 at create time)."""

    code = "EGRESS_REFUSED"


def address_of(text: str) -> IPAddress | None:
    """`text` as an IP address (IPv4-mapped IPv6 as IPv4, a zone index dropped), else None."""
    try:
        address = ipaddress.ip_address(text.strip().strip("[]").split("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def normal_name(name: str) -> str:
    return name.strip().strip("[]").rstrip(".").lower()


def is_localhost_name(name: str) -> bool:
    """RFC 6761: `localhost` and every name under it are the loopback, whatever DNS says."""
    name = normal_name(name)
    return name == "localhost" or name.endswith(".localhost")


@dataclass(frozen=True)
class Entry:
    """One ALLOW or DENY entry (see the module's docstring for the forms)."""

    text: str
    network: IPNetwork | None = None
    name: str | None = None  # lower case; "*.example.com" matches the subdomains
    port: int | None = None  # None: every port

    @classmethod
    def parse(cls, text: str) -> Entry:
        raw = text.strip()
        if not raw:
            raise ValueError("an egress entry is empty")
        host, port = _split_port(raw)
        if host == "":
            if port is None:
                raise ValueError(f"egress entry {raw!r} names no host and no port")
            return cls(raw, port=port)
        try:
            return cls(raw, network=ipaddress.ip_network(host.strip("[]"), strict=False), port=port)
        except ValueError:
            pass
        name = normal_name(host)
        if not _NAME.match(name):
            raise ValueError(
                f"egress entry {raw!r} is not a host name, address, network or :port"
            ) from None
        return cls(raw, name=name, port=port)

    def matches(self, port: int | None, address: IPAddress | None, name: str | None) -> bool:
        """Whether the entry covers the destination. An unknown port (None) matches an entry
        for every port only; an entry for one port cannot be sure of it."""
        if self.port is not None and port != self.port:
            return False
        if self.network is not None:
            return address is not None and _in(address, self.network)
        if self.name is not None:
            if name is None:
                return False
            asked = normal_name(name)
            if self.name.startswith("*."):
                return asked.endswith(self.name[1:])
            return asked == self.name
        return True  # `:port`: any host

    def may_match(self, address: IPAddress | None, name: str | None) -> bool:
        """Whether the entry could cover the destination on some port."""
        if self.port is None:
            return self.matches(None, address, name)
        return Entry(self.text, self.network, self.name, None).matches(None, address, name)


@dataclass(frozen=True)
class EgressPolicy:
    allow: tuple[Entry, ...] = ()
    deny: tuple[Entry, ...] = ()
    own_ports: frozenset[int] = frozenset()  # where this server listens, on its addresses
    protected: tuple[Entry, ...] = ()  # the metadata database's host:port (names and addresses)
    is_own_address: Callable[[IPAddress], bool] = lambda _address: False

    @classmethod
    def build(
        cls,
        allow: Iterable[str] = (),
        deny: Iterable[str] = (),
        own_ports: Iterable[int] = (),
        protected: Iterable[str] = (),
        is_own_address: Callable[[IPAddress], bool] | None = None,
    ) -> EgressPolicy:
        return cls(
            allow=tuple(Entry.parse(e) for e in allow),
            deny=tuple(Entry.parse(e) for e in deny),
            own_ports=frozenset(own_ports),
            protected=tuple(Entry.parse(e) for e in protected),
            is_own_address=is_own_address or (lambda _address: False),
        )

    def refusal(
        self,
        port: int | None,
        address: IPAddress | None = None,
        name: str | None = None,
        *,
        exempt: bool = False,
    ) -> str | None:
        """Why the destination is refused, or None if it is allowed. `exempt`: an admin chose
        it, so only the operator's DENY entries apply. With `port` None (not known yet, as
        at create time), only what is refused on every port is."""
        for entry in self.deny:
            if entry.matches(port, address, name):
                return f"denied by HEADWATER_EGRESS__DENY entry {entry.text!r}"
        if exempt:
            return None
        for entry in self.allow:
            if entry.matches(port, address, name) or (
                port is None and entry.may_match(address, name)
            ):
                return None
        if name is not None and is_localhost_name(name):
            return LOOPBACK
        if address is not None:
            for reason, networks in _BUILT_IN:
                if any(_in(address, network) for network in networks):
                    return reason
        if address is not None and self.is_own_address(address):
            return OWN_PORT if port in self.own_ports else OWN_HOST
        if port is not None and any(entry.matches(port, address, name) for entry in self.protected):
            return METADATA_DATABASE
        return None

    def check_literal(self, host: str, port: int | None, *, exempt: bool, field: str) -> None:
        """Refuse (400 naming `field`) a destination that is refused whatever DNS says: an
        address literal, `localhost`, or a name the operator denies. Other names are checked
        when a run resolves them."""
        address = address_of(host)
        reason = self.refusal(port, address, None if address else host, exempt=exempt)
        if reason is not None:
            raise EgressRefused(refused_message(host, port, address, reason), field=field)


def refused_message(host: str, port: int | None, address: IPAddress | None, reason: str) -> str:
    """`127.0.0.1:5432 is not allowed by the egress policy: loopback` (the address follows a
    name: `localhost:5432 (127.0.0.1) ...`)."""
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    where = f"{shown}:{port}" if port is not None else shown
    if address is not None and address_of(host) != address:
        where += f" ({address})"
    return f"{where} is not allowed by the egress policy: {reason}"


def _split_port(raw: str) -> tuple[str, int | None]:
    """(`host`, port) of an entry: `h:1`, `[v6]:1`, `[v6/n]:1`, `:1`, or a bare IPv6."""
    if raw.startswith("["):
        close = raw.find("]")
        if close < 0:
            raise ValueError(f"egress entry {raw!r} opens [ without closing it")
        rest = raw[close + 1 :]
        if rest and not rest.startswith(":"):
            raise ValueError(f"egress entry {raw!r}: only :port may follow ]")
        return raw[1:close], _port(raw, rest[1:]) if rest else None
    if raw.count(":") > 1:  # a bare IPv6 address or network: no port
        return raw, None
    host, sep, port = raw.rpartition(":")
    if not sep:
        return raw, None
    return host, _port(raw, port)


def _port(raw: str, text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"egress entry {raw!r}: the port must be a number from 1 to 65535")
    return int(text)


def _in(address: IPAddress, network: IPNetwork) -> bool:
    return address.version == network.version and address in network
