"""`headwater user|group|token ...`: administration from the command line; `headwater admin`:
recovery on the server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from headwater.bootstrap import Runtime
from headwater.settings import Settings
from tests.cli.conftest import Run
from tests.support.live_server import LiveServer


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


# -- `headwater admin reset-token`: on the server, through its database ---------------------


def _revoke_every_token(runtime: Runtime) -> None:
    """What the API now refuses (the last admin's last token), done as a lost database or a
    mistake would leave it: every token revoked."""
    with runtime.engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE access_tokens SET revoked_at = :now"), {"now": datetime.now(UTC)}
        )


def _on_the_server(settings: Settings) -> dict[str, str | None]:
    """The settings `headwater serve` ran with, as the operator's shell would hold them."""
    return {
        "HEADWATER_DATA_DIR": str(settings.data_dir),
        "HEADWATER_DATABASE_URL": settings.database_url,
    }


def test_reset_token_recovers_a_server_with_no_admin_token(
    cli: Run, server: LiveServer, settings: Settings
) -> None:
    _revoke_every_token(server.runtime)
    locked = cli("whoami")
    assert locked.exit_code == 1
    assert "the token is wrong, expired or revoked" in locked.stderr

    reset = cli("admin", "reset-token", env=_on_the_server(settings))
    assert reset.exit_code == 0, reset.output
    secret = reset.stdout.strip()
    assert secret.startswith("hw_")
    assert "for admin admin (admin@headwater.local, user 1)" in reset.stderr
    assert "not shown again" in reset.stderr

    # The running server takes it at once, as an admin: it can make users and tokens again.
    me = json.loads(cli("whoami", "--json", env={"HEADWATER_TOKEN": secret}).stdout)
    assert me["roleId"] == 1
    made = cli(
        "user", "create", "Ada", "--email", "ada@example.com", env={"HEADWATER_TOKEN": secret}
    )
    assert made.exit_code == 0, made.output
    names = [
        t["name"]
        for t in json.loads(cli("token", "ls", "--json", env={"HEADWATER_TOKEN": secret}).stdout)
    ]
    assert "recovery (headwater admin reset-token)" in names


def test_reset_token_for_a_named_admin_only(cli: Run, settings: Settings) -> None:
    ada = cli(
        "user", "create", "Ada", "--email", "ada@example.com", "--role", "admin"
    ).stdout.strip()
    cli("user", "create", "Ed", "--email", "ed@example.com", "--role", "editor")
    server_env = _on_the_server(settings)

    by_email = cli("admin", "reset-token", "--user", "ADA@example.com", env=server_env)
    assert by_email.exit_code == 0, by_email.output
    by_id = cli("admin", "reset-token", "--user", ada, "--name", "laptop", env=server_env)
    assert by_id.exit_code == 0, by_id.output
    for made in (by_email, by_id):
        who = json.loads(
            cli("whoami", "--json", env={"HEADWATER_TOKEN": made.stdout.strip()}).stdout
        )
        assert who["id"] == int(ada)

    editor = cli("admin", "reset-token", "--user", "ed@example.com", env=server_env)
    assert editor.exit_code == 1
    assert "is Editor, not Admin" in editor.stderr
    assert editor.stdout == ""
    for nobody in ("nobody@example.com", "424242", "99999999999999999999"):
        missing = cli("admin", "reset-token", "--user", nobody, env=server_env)
        assert missing.exit_code == 1, missing.output
        assert "no user" in missing.stderr


def test_reset_token_refuses_a_data_dir_without_a_server(cli: Run, tmp_path: Path) -> None:
    """A mistyped data dir gets a message, not a fresh empty database."""
    empty = tmp_path / "not-headwater"
    refused = cli(
        "admin", "reset-token", "--data-dir", str(empty), env={"HEADWATER_DATABASE_URL": None}
    )
    assert refused.exit_code == 1
    assert "no Headwater database at" in refused.stderr
    assert not empty.exists()
