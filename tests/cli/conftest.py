"""The CLI run by Typer's runner against a real server over HTTP (uvicorn in a thread)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from headwater.bootstrap import Runtime
from headwater.cli.main import app
from tests.conftest import ADMIN_TOKEN
from tests.support.live_server import LiveServer, live_server

Run = Callable[..., Result]


@pytest.fixture
def server(runtime: Runtime) -> Iterator[LiveServer]:
    with live_server(runtime) as running:
        yield running


@pytest.fixture
def running(server: LiveServer) -> LiveServer:
    """The server with its background services started (`Runtime.start()`): the scheduler
    fires schedules and the supervisor runs pipelines' connectors. The runtime fixture stops
    them."""
    server.runtime.start()
    return server


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return tmp_path / "home" / "headwater" / "config.toml"


@pytest.fixture
def cli(server: LiveServer, config_path: Path) -> Run:
    """Run `headwater ARGS...` as the admin; `env=` adds or (with None) removes variables."""

    def run(*args: str, env: dict[str, str | None] | None = None, **kwargs: Any) -> Result:
        base: dict[str, str | None] = {
            "HEADWATER_URL": server.url,
            "HEADWATER_TOKEN": ADMIN_TOKEN,
            "HEADWATER_CONFIG": str(config_path),
            "HEADWATER_PROFILE": None,
            "COLUMNS": "200",
            "TTY_INTERACTIVE": None,
            "TTY_COMPATIBLE": None,
            "NO_COLOR": "1",
        }
        runner = CliRunner()
        return runner.invoke(app, list(args), env={**base, **(env or {})}, **kwargs)

    return run
