"""A real `headwater serve` process on a free port, talked to over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PortTaken(RuntimeError):
    """The server could not bind its port: another process has it."""


@dataclass
class Server:
    data_dir: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[str] | None = None
    output: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        first = self.process is None
        for _ in range(3):
            try:
                self._start(timeout)
                return
            except PortTaken:
                # free_port() closes its socket before the server binds it: under
                # `pytest -n` another worker can take the port in between. A first start
                # moves to a new port; a restart keeps its URL and fails.
                if not first:
                    raise
                self.port = free_port()
        self._start(timeout)

    def _start(self, timeout: float) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "headwater",
                "serve",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
            ],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.read_output()
                if "address already in use" in output.lower():
                    raise PortTaken(output)
                raise RuntimeError(f"server exited early:\n{output}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not answer in {timeout}s:\n{self.read_output()}")

    def kill(self) -> None:
        """SIGKILL: no cleanup, no flush, as a crash or an OOM kill would leave things."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)
        self.read_output()

    def stop(self) -> str:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.read_output()

    def read_output(self) -> str:
        stdout = self.process.stdout if self.process else None
        if stdout and not stdout.closed and self.process and self.process.poll() is not None:
            self.output.append(stdout.read())
            stdout.close()
        return "".join(self.output)


@pytest.fixture
def server_factory(tmp_path: Path, database_url: str | None) -> Iterator[type[Server]]:
    started: list[Server] = []
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
    if database_url:
        base_env["HEADWATER_DATABASE_URL"] = database_url

    class _Server(Server):
        def __init__(self, admin_token: str | None = None, **extra_env: str) -> None:
            env = {**base_env, **extra_env}
            if admin_token:
                env["HEADWATER_ADMIN_TOKEN"] = admin_token
            super().__init__(data_dir=tmp_path / "data", env=env)
            started.append(self)

    yield _Server
    for server in started:
        server.stop()


@pytest.fixture
def public_api(server_factory: type[Server]) -> Any:
    """A started server and pydomo helpers (`tests.e2e.pydomo_support.PublicApi`)."""
    from tests.e2e.pydomo_support import ADMIN_TOKEN, PublicApi

    server = server_factory(admin_token=ADMIN_TOKEN)
    server.start()
    return PublicApi(server)
