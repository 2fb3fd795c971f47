"""`headwater serve` under the issue's attacks (issue 15, items 5 and 6): a 4xx leaves the
keep-alive connection usable, and a 200 MB name is refused at once, without the server
reading it into memory."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Server

pytestmark = pytest.mark.e2e

TOKEN = "hw_e2e-limits-admin"
HEADERS = {"X-DOMO-Developer-Token": TOKEN}
BIG_NAME_BYTES = 200 * 1024 * 1024


def local_port(response: httpx.Response) -> int:
    return int(response.extensions["network_stream"].get_extra_info("client_addr")[1])


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_the_connection_survives_every_4xx(server_factory: type[Server]) -> None:
    server = server_factory(admin_token=TOKEN)
    server.start()
    requests = [
        ("POST", "/api/data/v3/datasources", {"content": b'{"name": '}),
        ("GET", "/api/content/v2/users/2147483648", {}),
        ("GET", "/v1/datasets", {"params": {"offset": 2**63}}),
        ("POST", "/api/data/v3/datasources", {"json": {"name": "a\x00b"}}),
        ("GET", "/api/content/v2/users/me", {"headers": {"X-DOMO-Developer-Token": "wrong"}}),
        ("POST", "/v0/pipelines", {"json": {"name": 5}}),
        ("GET", "/api/content/v2/users/me", {}),
    ]
    statuses, ports = [], set()
    with httpx.Client(base_url=server.url, headers=HEADERS) as http:
        for method, url, kwargs in requests:
            if "content" in kwargs:
                kwargs["headers"] = {"Content-Type": "application/json"}
            response = http.request(method, url, **kwargs)
            statuses.append(response.status_code)
            ports.add(local_port(response))  # while the connection is open
    assert statuses == [400, 404, 400, 400, 401, 400, 200]
    assert len(ports) == 1, "a 4xx closed the connection"


def send_head(sock: socket.socket, headers: str) -> None:
    head = (
        "POST /api/data/v3/datasources HTTP/1.1\r\nHost: test\r\n"
        f"X-DOMO-Developer-Token: {TOKEN}\r\nContent-Type: application/json\r\n"
    )
    sock.sendall(f"{head}{headers}\r\n".encode())


def read_status(sock: socket.socket) -> tuple[int, bytes]:
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        assert chunk, f"closed before an answer: {received!r}"
        received += chunk
    head, _, rest = received.partition(b"\r\n\r\n")
    length = int(
        next(line for line in head.split(b"\r\n") if b"content-length" in line.lower()).split(b":")[
            1
        ]
    )
    while len(rest) < length:
        rest += sock.recv(65536)
    return int(head.split(b" ")[1]), rest


def test_a_200_mb_name_is_refused_before_it_is_read(server_factory: type[Server]) -> None:
    server = server_factory(admin_token=TOKEN)
    server.start()
    assert server.process is not None
    before = rss_bytes(server.process.pid)
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        send_head(sock, f"Content-Length: {BIG_NAME_BYTES}\r\n")
        sock.sendall(b'{"name": "' + b"n" * 65536)  # the start of it; the rest never comes
        status, body = read_status(sock)
    assert status == 413
    assert b"PAYLOAD_TOO_LARGE" in body
    assert time.monotonic() - started < 5

    # no Content-Length: the server counts as it reads and stops at its limit (16 MiB)
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        send_head(sock, "Transfer-Encoding: chunked\r\n")
        chunk = b"n" * (1024 * 1024)
        status = 0
        try:
            for _ in range(BIG_NAME_BYTES // len(chunk)):
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed: the rest of the 200 MB was never read
        status, body = read_status(sock)
    assert status == 413
    assert time.monotonic() - started < 10
    assert rss_bytes(server.process.pid) - before < 100 * 1024 * 1024
    with httpx.Client(base_url=server.url, headers=HEADERS) as http:
        assert http.get("/api/data/v3/datasources").json() == []
