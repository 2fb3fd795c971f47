"""A real `headwater serve` process for the HTTP cases, with a fresh data dir each time."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

TOKEN = "hw_bench-admin"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`python` is the interpreter that runs `headwater serve`: by default this one; another
    worktree's venv for side-by-side figures of two commits."""

    def __init__(self, python: str | None = None, **settings: str) -> None:
        self.settings = settings  # HEADWATER_* variables for this server only
        self.python = python or sys.executable
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._dir = tempfile.TemporaryDirectory(prefix="headwater-bench-")
        self.data_dir = Path(self._dir.name)
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
        env.update(self.settings)
        env["HEADWATER_ADMIN_TOKEN"] = TOKEN
        self.process = subprocess.Popen(
            [
                self.python,
                "-m",
                "headwater",
                "serve",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("headwater serve did not start")

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"X-DOMO-Developer-Token": TOKEN}, timeout=600
        )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def __exit__(self, *exc: object | TracebackType) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(30)
        self._dir.cleanup()
