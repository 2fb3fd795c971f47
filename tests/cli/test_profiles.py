"""`headwater login`: a profile file at mode 0600; flags, then environment, then profile."""

from __future__ import annotations

import json
import stat
import tomllib
from pathlib import Path

from tests.cli.conftest import Run
from tests.conftest import ADMIN_TOKEN
from tests.support.live_server import LiveServer

NO_ENV: dict[str, str | None] = {"HEADWATER_URL": None, "HEADWATER_TOKEN": None}


def test_login_saves_a_private_profile_that_later_commands_use(
    cli: Run, server: LiveServer, config_path: Path
) -> None:
    done = cli("login", "--url", server.url, input=f"{ADMIN_TOKEN}\n", env=NO_ENV)
    assert done.exit_code == 0, done.output
    assert f"logged in to {server.url} as admin (Admin)" in done.stderr
    assert ADMIN_TOKEN not in done.output  # the prompt hides what is typed
    assert stat.S_IMODE(config_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(config_path.parent.stat().st_mode) == 0o700
    saved = tomllib.loads(config_path.read_text())
    assert saved == {
        "current": "default",
        "profiles": {"default": {"url": server.url, "token": ADMIN_TOKEN}},
    }
    me = cli("whoami", "--json", env=NO_ENV)  # no flags, no environment: the profile
    assert me.exit_code == 0, me.output
    assert json.loads(me.stdout)["displayName"] == "admin"


def test_a_wrong_token_is_not_saved(cli: Run, server: LiveServer, config_path: Path) -> None:
    refused = cli("login", "--url", server.url, "--token", "wrong", env=NO_ENV)
    assert refused.exit_code == 1
    assert not config_path.exists()


def test_flags_beat_the_environment_which_beats_the_profile(
    cli: Run, server: LiveServer, config_path: Path
) -> None:
    ada = cli("user", "create", "Ada", "--email", "ada@example.com").stdout.strip()
    ada_token = cli("token", "create", "t", "--owner", ada).stdout.strip()
    assert cli("login", "--url", server.url, "--token", ADMIN_TOKEN, env=NO_ENV).exit_code == 0
    assert (
        cli(
            "login", "--url", server.url, "--token", ada_token, "--name", "ada", env=NO_ENV
        ).exit_code
        == 0
    )
    who = lambda *args, env=None: json.loads(  # noqa: E731
        cli(*args, "whoami", "--json", env={**NO_ENV, **(env or {})}).stdout
    )["displayName"]
    assert who() == "Ada"  # the last login became current
    assert who("--profile", "default") == "admin"
    assert who(env={"HEADWATER_PROFILE": "default"}) == "admin"
    assert who(env={"HEADWATER_TOKEN": ADMIN_TOKEN}) == "admin"  # env over the profile
    assert who("--token", ada_token, env={"HEADWATER_TOKEN": ADMIN_TOKEN}) == "Ada"  # flag first
    unknown = cli("--profile", "nope", "whoami", env=NO_ENV)
    assert unknown.exit_code == 1
    assert "no profile 'nope'" in unknown.stderr
    assert cli("logout", "--name", "ada", env=NO_ENV).exit_code == 0
    saved = tomllib.loads(config_path.read_text())
    assert list(saved["profiles"]) == ["default"]
    assert stat.S_IMODE(config_path.stat().st_mode) == 0o600
    # with no current profile left, the default profile is used
    assert who() == "admin"


def test_config_path_comes_from_the_flag(cli: Run, server: LiveServer, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.toml"
    saved = cli(
        "--config", str(elsewhere), "login", "--url", server.url, "--token", ADMIN_TOKEN, env=NO_ENV
    )
    assert saved.exit_code == 0
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o600
    assert str(elsewhere) in saved.stderr
