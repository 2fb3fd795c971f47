"""`headwater oauth-client ...`: a client for pydomo, its secret shown once, and revoked."""

from __future__ import annotations

import json
import re

import httpx

from tests.cli.conftest import Run
from tests.support.live_server import LiveServer


def token_for(server: LiveServer, client_id: str, secret: str) -> int:
    """The status of pydomo's first request: trading the client for an access token."""
    answer = httpx.post(
        f"{server.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
    )
    return answer.status_code


def test_create_ls_revoke(cli: Run, server: LiveServer) -> None:
    made = cli("oauth-client", "create", "pydomo")
    assert made.exit_code == 0, made.output
    client_id = re.search(r"client id\s+(\S+)", made.stdout)
    secret = re.search(r"client secret\s+(\S+)", made.stdout)
    assert client_id
    assert secret
    assert re.search(r"scope\s+data user", made.stdout)
    assert "keep the secret, it will not be shown again" in made.stderr
    assert token_for(server, client_id[1], secret[1]) == 200

    narrow = json.loads(
        cli("oauth-client", "create", "reports", "--scope", "data", "--json").stdout
    )
    assert narrow["scope"] == ["data"]
    assert narrow["clientSecret"]

    listed = cli("oauth-client", "ls")
    assert listed.exit_code == 0
    for text in (client_id[1], "pydomo", "reports", "data user"):
        assert text in listed.stdout
    assert secret[1] not in listed.stdout  # never shown again
    body = json.loads(cli("oauth-client", "ls", "--json").stdout)
    assert [c["name"] for c in body] == ["pydomo", "reports"]
    assert all("clientSecret" not in c for c in body)

    revoked = cli("oauth-client", "revoke", client_id[1])
    assert revoked.exit_code == 0
    assert f"revoked OAuth client {client_id[1]}" in revoked.stderr
    assert token_for(server, client_id[1], secret[1]) == 401
    again = cli("oauth-client", "revoke", client_id[1])
    assert again.exit_code == 1
    assert "404" in again.stderr
    assert [c["name"] for c in json.loads(cli("oauth-client", "ls", "--json").stdout)] == [
        "reports"
    ]


def test_a_bad_scope(cli: Run) -> None:
    bad = cli("oauth-client", "create", "x", "--scope", "everything")
    assert bad.exit_code == 1
    assert "unknown scope 'everything'" in bad.stderr
    assert "field scope" in bad.stderr
