"""The egress rule: entries, defaults, precedence, exemption, and create-time literals."""

from __future__ import annotations

import ipaddress

import pytest

from headwater.domain.egress import EgressPolicy, EgressRefused, Entry, address_of


def ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    found = address_of(text)
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("text", "network", "name", "port"),
    [
        ("10.0.0.5", "10.0.0.5/32", None, None),
        ("10.0.0.0/8:5432", "10.0.0.0/8", None, 5432),
        ("::1", "::1/128", None, None),
        ("[::1]:5432", "::1/128", None, 5432),
        ("[fd00::/8]:443", "fd00::/8", None, 443),
        ("DB.Example.com.", None, "db.example.com", None),
        ("*.example.com:22", None, "*.example.com", 22),
        (":5432", None, None, 5432),
    ],
)
def test_entries_parse(text: str, network: str | None, name: str | None, port: int | None) -> None:
    entry = Entry.parse(text)
    assert (str(entry.network) if entry.network else None, entry.name, entry.port) == (
        network,
        name,
        port,
    )


@pytest.mark.parametrize("text", ["", "db:0", "db:70000", "db:x", "[::1", "[::1]x", "a b", ":"])
def test_bad_entries_say_which(text: str) -> None:
    with pytest.raises(ValueError, match=r"egress entry|empty"):
        Entry.parse(text)


def test_the_defaults_refuse_loopback_link_local_and_unspecified_to_non_admins() -> None:
    policy = EgressPolicy.build()
    assert policy.refusal(5432, ip("127.0.0.1")) == "loopback"
    assert policy.refusal(5432, ip("127.1.2.3")) == "loopback"
    assert policy.refusal(80, ip("::1")) == "loopback"
    assert policy.refusal(80, ip("::ffff:127.0.0.1")) == "loopback"  # IPv4-mapped
    assert policy.refusal(80, ip("169.254.169.254")) == "link-local"
    assert policy.refusal(80, ip("fe80::1%eth0")) == "link-local"
    assert policy.refusal(80, ip("0.0.0.0")) == "unspecified"
    assert policy.refusal(80, ip("::")) == "unspecified"
    assert policy.refusal(443, ip("93.184.216.34")) is None
    assert policy.refusal(443, ip("10.1.2.3")) is None  # private networks are not refused
    # an admin's choice passes the defaults
    assert policy.refusal(5432, ip("127.0.0.1"), exempt=True) is None


def test_allow_opens_a_default_for_everyone_and_deny_closes_for_everyone() -> None:
    policy = EgressPolicy.build(
        allow=["127.0.0.1:5432", "10.0.0.0/8"], deny=["10.9.0.0/16", "evil.example.com"]
    )
    assert policy.refusal(5432, ip("127.0.0.1")) is None
    assert policy.refusal(5433, ip("127.0.0.1")) == "loopback"
    deny = "denied by HEADWATER_EGRESS__DENY entry '10.9.0.0/16'"
    assert policy.refusal(80, ip("10.9.1.1")) == deny  # DENY wins over ALLOW
    assert policy.refusal(80, ip("10.9.1.1"), exempt=True) == deny  # admins included
    assert policy.refusal(80, ip("93.184.216.34"), "EVIL.example.com.") is not None


def test_names_match_the_name_asked_for() -> None:
    policy = EgressPolicy.build(allow=["*.internal:5432", "db.local"])
    assert policy.refusal(5432, ip("127.0.0.1"), "pg.internal") is None
    assert policy.refusal(5432, ip("127.0.0.1"), "internal") == "loopback"
    assert policy.refusal(9999, ip("127.0.0.1"), "db.local") is None
    assert policy.refusal(9999, ip("127.0.0.1"), "other.local") == "loopback"


def test_the_servers_own_port_and_metadata_database_are_refused() -> None:
    own = ip("192.0.2.2")
    policy = EgressPolicy.build(
        own_ports=[8080],
        protected=["[db.example.com]:5432", "[198.51.100.7]:5432"],
        is_own_address=lambda address: address == own,
    )
    assert policy.refusal(8080, own) == "the server's own port"
    # Any port of the server's host: a service bound to all its interfaces is the server's.
    assert policy.refusal(5432, own) == "the server's own host"
    assert policy.refusal(None, own) == "the server's own host"
    assert policy.refusal(5432, own, exempt=True) is None
    assert (
        EgressPolicy.build(allow=["192.0.2.2:5432"], is_own_address=lambda a: a == own).refusal(
            5432, own
        )
        is None
    )
    assert policy.refusal(8080, ip("192.0.2.3")) is None  # another machine's 8080
    assert policy.refusal(5432, ip("198.51.100.7")) == "the metadata database"
    assert policy.refusal(5432, ip("203.0.113.9"), "db.example.com") == "the metadata database"
    assert policy.refusal(5433, ip("198.51.100.7")) is None
    assert policy.refusal(5432, ip("198.51.100.7"), exempt=True) is None


def test_an_unknown_port_refuses_only_what_every_port_would() -> None:
    policy = EgressPolicy.build(allow=["127.0.0.1:5432"], deny=["10.0.0.1:22"])
    assert policy.refusal(None, ip("127.0.0.1")) is None  # might be 5432
    assert policy.refusal(None, ip("127.0.0.2")) == "loopback"
    assert policy.refusal(None, ip("10.0.0.1")) is None  # might not be 22


def test_literals_are_refused_at_create_time_naming_the_field() -> None:
    policy = EgressPolicy.build()
    with pytest.raises(EgressRefused) as refused:
        policy.check_literal("127.0.0.1", 5432, exempt=False, field="configuration.host")
    assert refused.value.message == "127.0.0.1:5432 is not allowed by the egress policy: loopback"
    assert refused.value.details == {"field": "configuration.host"}
    with pytest.raises(EgressRefused, match=r"localhost:80 is not allowed .*: loopback"):
        policy.check_literal("localhost", 80, exempt=False, field="configuration.url")
    with pytest.raises(EgressRefused, match=r"\[::1\]:22 is not"):
        policy.check_literal("::1", 22, exempt=False, field="configuration.host")
    policy.check_literal("db.example.com", 5432, exempt=False, field="x")  # known at run time
    policy.check_literal("127.0.0.1", 5432, exempt=True, field="x")  # an admin's choice
