"""The real app under uvicorn, in a background thread, on a free port: real HTTP for the
client and CLI tests, with the in-process runtime still at hand for setting up a scene."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI

from headwater.bootstrap import Runtime, build_app


@dataclass(frozen=True)
class LiveServer:
    url: str
    runtime: Runtime


@contextmanager
def live_server(
    runtime: Runtime, timeout: float = 30.0, app: FastAPI | None = None
) -> Iterator[LiveServer]:
    """`app`: the runtime's app with something added by the test (default: the app as is)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app or build_app(runtime), log_level="warning", access_log=False, ws="none", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", runtime)
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()
