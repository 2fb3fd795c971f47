"""`headwater user|group|token ...`: administration from the command line."""

from __future__ import annotations

import json

from tests.cli.conftest import Run


def test_users(cli: Run) -> None:
    made = cli("user", "create", "Ada Lovelace", "--email", "ada@example.com", "--role", "editor")
    assert made.exit_code == 0, made.output
    ada = made.stdout.strip()
    assert "created user 'Ada Lovelace' (Editor)" in made.stderr
    listed = cli("user", "ls")
    assert "Ada Lovelace" in listed.stdout
    assert "ada@example.com" in listed.stdout
    assert [u["displayName"] for u in json.loads(cli("user", "ls", "--json").stdout)] == [
        "admin",
        "Ada Lovelace",
    ]
    assert "Editor" in cli("user", "show", ada).stdout
    assert json.loads(cli("user", "show", ada, "--json").stdout)["roleId"] == 3
    again = cli("user", "create", "Ada", "--email", "ada@example.com")
    assert again.exit_code == 1
    assert "USER_EXISTS" in again.stderr
    bad_role = cli("user", "create", "X", "--email", "x@example.com", "--role", "boss")
    assert bad_role.exit_code == 2
    # a participant may not create users
    token = cli("token", "create", "t", "--owner", ada).stdout.strip()
    denied = cli("user", "create", "Y", "--email", "y@example.com", env={"HEADWATER_TOKEN": token})
    assert denied.exit_code == 1
    assert "403 FORBIDDEN" in denied.stderr


def test_groups(cli: Run) -> None:
    ada = cli("user", "create", "Ada", "--email", "ada@example.com").stdout.strip()
    bob = cli("user", "create", "Bob", "--email", "bob@example.com").stdout.strip()
    made = cli("group", "create", "Analysts", "--description", "read sales")
    assert made.exit_code == 0, made.output
    group = made.stdout.strip()
    added = cli("group", "add", group, ada, bob)
    assert "has 2 members" in added.stderr
    assert f"{ada}, {bob}" in cli("group", "show", group).stdout
    assert cli("group", "remove", group, bob).exit_code == 0
    assert json.loads(cli("group", "show", group, "--json").stdout)["userIds"] == [int(ada)]
    assert "Analysts" in cli("group", "ls").stdout
    assert json.loads(cli("group", "ls", "--json").stdout)[0]["memberCount"] == 1
    assert cli("group", "rm", group).exit_code == 0
    assert json.loads(cli("group", "ls", "--json").stdout) == []
    assert cli("group", "show", group).exit_code == 1


def test_tokens(cli: Run) -> None:
    ada = cli("user", "create", "Ada", "--email", "ada@example.com").stdout.strip()
    made = cli("token", "create", "ci", "--owner", ada, "--expires-in-days", "30")
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip()
    assert "not shown again" in made.stderr
    whoami = cli("whoami", "--json", env={"HEADWATER_TOKEN": secret})
    assert json.loads(whoami.stdout)["displayName"] == "Ada"
    listed = json.loads(cli("token", "ls", "--json").stdout)
    mine = next(t for t in listed if t["name"] == "ci")
    assert mine["ownerId"] == int(ada)
    assert mine["expires"] is not None
    assert "token" not in mine
    assert "ci" in cli("token", "ls").stdout
    assert cli("token", "revoke", str(mine["id"])).exit_code == 0
    refused = cli("whoami", env={"HEADWATER_TOKEN": secret})
    assert refused.exit_code == 1
    assert "the token is wrong, expired or revoked" in refused.stderr
