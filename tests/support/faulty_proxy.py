"""A real TCP proxy in front of a test server that misbehaves on purpose, once or a few times.

Rules match request lines (`PUT /api/.../part/3`) in what the client sends:
- `drop`: forward the request line and some of its body, then cut both connections, as a
  network failure mid-upload would;
- `throttle`: answer 429 with a `Retry-After` itself, as a rate limiter in front would.
Everything else passes through untouched. `seen` lists every request line that went by.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

REQUEST_LINE = re.compile(rb"(GET|PUT|POST|DELETE|PATCH) (\S+) HTTP/1\.1\r\n")


@dataclass
class Rule:
    pattern: re.Pattern[str]
    action: str  # "drop" or "throttle"
    times: int
    after_bytes: int = 64 * 1024
    retry_after: str = "0"
    fired: int = 0


@dataclass
class FaultyProxy:
    upstream: str
    rules: list[Rule] = field(default_factory=list)
    seen: list[tuple[str, str]] = field(default_factory=list)
    url: str = ""

    def drop(self, pattern: str, times: int = 1, after_bytes: int = 64 * 1024) -> Rule:
        rule = Rule(re.compile(pattern), "drop", times, after_bytes=after_bytes)
        self.rules.append(rule)
        return rule

    def throttle(self, pattern: str, times: int = 1, retry_after: str = "0") -> Rule:
        rule = Rule(re.compile(pattern), "throttle", times, retry_after=retry_after)
        self.rules.append(rule)
        return rule

    def count(self, method: str, pattern: str) -> int:
        return sum(1 for m, p in self.seen if m == method and re.search(pattern, p))

    def _match(self, method: str, path: str) -> Rule | None:
        for rule in self.rules:
            if rule.fired < rule.times and rule.pattern.search(f"{method} {path}"):
                rule.fired += 1
                return rule
        return None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        target = urlsplit(self.upstream)
        try:
            up_reader, up_writer = await asyncio.open_connection(target.hostname, target.port)
        except OSError:
            writer.close()
            return
        back = asyncio.create_task(_pipe(up_reader, writer))
        tail = b""
        budget: int | None = None  # bytes still to forward before a drop
        try:
            while chunk := await reader.read(65536):
                if budget is not None:
                    if len(chunk) >= budget:
                        up_writer.write(chunk[:budget])
                        await up_writer.drain()
                        break
                    budget -= len(chunk)
                    up_writer.write(chunk)
                    await up_writer.drain()
                    continue
                window = tail + chunk
                rule = None
                for match in REQUEST_LINE.finditer(window):
                    if match.end() <= len(tail):
                        continue  # seen with the previous chunk
                    method, path = match.group(1).decode(), match.group(2).decode()
                    self.seen.append((method, path))
                    rule = rule or self._match(method, path)
                tail = window[-256:]
                if rule is not None and rule.action == "throttle":
                    body = b'{"status":429,"code":"RATE_LIMITED","message":"slow down"}'
                    writer.write(
                        b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n"
                        + f"Retry-After: {rule.retry_after}\r\n".encode()
                        + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                        + body
                    )
                    await writer.drain()
                    break
                up_writer.write(chunk)
                await up_writer.drain()
                if rule is not None and rule.action == "drop":
                    budget = rule.after_bytes
        except (ConnectionError, OSError):
            pass
        finally:
            back.cancel()
            for w in (writer, up_writer):
                w.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.transport.abort()


@contextmanager
def faulty_proxy(upstream: str) -> Iterator[FaultyProxy]:
    proxy = FaultyProxy(upstream)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, asyncio.Server] = {}

    async def start() -> None:
        server = await asyncio.start_server(proxy._serve, "127.0.0.1", 0)
        holder["server"] = server
        proxy.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        ready.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield proxy
    finally:

        async def stop() -> None:
            holder["server"].close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
