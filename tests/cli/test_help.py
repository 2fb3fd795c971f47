"""Every command has help with an example, and shell completion works."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from headwater.cli.main import app


def commands() -> list[list[str]]:
    root = typer.main.get_command(app)
    found: list[list[str]] = []

    def walk(command: Any, path: list[str]) -> None:
        found.append(path)
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, [*path, name])

    walk(root, [])
    return found


def test_there_are_commands_for_every_resource() -> None:
    paths = {" ".join(p) for p in commands()}
    expected = {
        "dataset ls",
        "dataset show",
        "dataset create",
        "dataset rm",
        "dataset query",
        "dataset upload",
        "dataset export",
        "dataset share",
        "dataset revoke",
        "dataset versions",
        "dataset restore",
        "dataset checks show",
        "dataset checks set",
        "dataset checks clear",
        "dataset checks results",
        "stream ls",
        "stream show",
        "stream create",
        "stream run",
        "stream history",
        "stream schedule",
        "pipeline ls",
        "pipeline show",
        "pipeline create",
        "pipeline start",
        "pipeline pause",
        "pipeline resume",
        "pipeline stop",
        "pipeline rm",
        "pipeline stats",
        "pipeline query",
        "connector ls",
        "connector show",
        "connector start",
        "connector pause",
        "connector stats",
        "oauth-client ls",
        "oauth-client create",
        "oauth-client revoke",
        "user ls",
        "user create",
        "group ls",
        "group add",
        "token create",
        "token revoke",
        "login",
        "logout",
        "whoami",
        "serve",
        "admin reset-token",
    }
    assert expected <= paths


@pytest.mark.parametrize("path", [p for p in commands() if p], ids=" ".join)
def test_help_with_an_example(path: list[str]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Usage: headwater" in result.stdout
    if len(path) > 1 or path[0] in {"login", "logout", "whoami", "serve"}:
        assert "Example: headwater" in result.stdout, path


def test_shell_completion_names_the_commands() -> None:
    completions = CliRunner().invoke(
        app,
        [],
        prog_name="headwater",
        env={
            "_HEADWATER_COMPLETE": "complete_bash",
            "COMP_WORDS": "headwater dataset u",
            "COMP_CWORD": "2",
        },
    )
    assert completions.exit_code == 0
    assert "upload" in completions.stdout.split()
    script = CliRunner().invoke(app, ["--show-completion", "bash"], prog_name="headwater")
    # Once, under heavy load, this ended in exit 1 with nothing printed: say why if again.
    assert "complete" in script.stdout, (script.exit_code, script.exception, script.output)
    assert "headwater" in script.stdout
