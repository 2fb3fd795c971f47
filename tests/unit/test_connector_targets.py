"""Which configuration belongs to an account: the built-in specs' marks, and plug-ins' default."""

from __future__ import annotations

import pytest

from headwater.connectors.builtin.airbyte.spec import SPEC as AIRBYTE
from headwater.connectors.builtin.http.spec import SPEC as HTTP
from headwater.connectors.builtin.sftp.spec import SPEC as SFTP
from headwater.connectors.builtin.sql.spec import SPEC as SQL
from headwater.connectors.targets import account_owned, destinations, merged
from headwater.domain.errors import InvalidInput

PLUGIN = {"type": "object", "properties": {"endpoint": {"type": "string"}, "key": {"secret": True}}}


def test_each_built_in_marks_where_its_secrets_go() -> None:
    # api_key_header names the header the key travels in: a stream must not move it
    assert account_owned(HTTP) == {
        "url",
        "username",
        "token",
        "password",
        "api_key",
        "api_key_header",
    }
    assert account_owned(SQL) == {"driver", "host", "port", "database", "username", "password"}
    assert account_owned(SFTP) == {
        "host",
        "port",
        "username",
        "host_key",
        "password",
        "private_key",
        "private_key_passphrase",
    }
    assert account_owned(AIRBYTE) == {"package", "source_config"}


def test_with_an_account_its_values_win_and_a_stream_cannot_set_a_target() -> None:
    account = {"url": "https://api.example.com/v1", "token": "s3cr3t"}
    assert merged("http", HTTP, account, {"path": "orders", "format": "json"}) == {
        "url": "https://api.example.com/v1",
        "token": "s3cr3t",
        "path": "orders",
        "format": "json",
    }
    for owned in ("url", "token", "username"):
        with pytest.raises(InvalidInput) as refused:
            merged("http", HTTP, account, {owned: "x"})
        assert refused.value.details == {"field": f"configuration.{owned}"}
    # without an account, the stream's configuration is its own
    assert merged("http", HTTP, None, {"url": "https://x"}) == {"url": "https://x"}


def test_a_plugin_that_marks_no_target_gives_its_whole_configuration_to_the_account() -> None:
    assert account_owned(PLUGIN) is None
    assert merged("plug", PLUGIN, {"endpoint": "e", "key": "k"}, {}) == {
        "endpoint": "e",
        "key": "k",
    }
    with pytest.raises(InvalidInput, match="marks no target fields") as refused:
        merged("plug", PLUGIN, {"key": "k"}, {"endpoint": "https://listener.example"})
    assert refused.value.details == {"field": "configuration.endpoint"}


def test_destinations_are_read_from_the_target_fields() -> None:
    assert destinations(HTTP, {"url": "http://127.0.0.1:9000/x", "path": "y"}) == [
        ("url", "127.0.0.1", 9000)
    ]
    assert destinations(HTTP, {"url": "https://[::1]/x"}) == [("url", "::1", 443)]
    assert destinations(SQL, {"driver": "postgresql", "host": "10.0.0.1", "port": 6432}) == [
        ("host", "10.0.0.1", 6432)
    ]
    assert destinations(SQL, {"driver": "mysql", "host": "db"}) == [("host", "db", None)]
    assert destinations(SFTP, {"host": "files"}) == [("host", "files", 22)]  # the spec's default
