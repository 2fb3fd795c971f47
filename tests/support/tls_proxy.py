"""A real TLS-terminating proxy, as a load balancer in front of a NATS server is: clients
speak TLS from the first byte, and the proxy passes the plain bytes to and from the
upstream server. What NATS's `handshake_first` option is for."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def tls_terminating_proxy(upstream: tuple[str, int], context: ssl.SSLContext) -> Iterator[int]:
    """Listens on 127.0.0.1 (the port is yielded) until the block ends."""
    loop = asyncio.new_event_loop()
    writers: set[asyncio.StreamWriter] = set()

    async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(64 * 1024):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        upstream_r, upstream_w = await asyncio.open_connection(*upstream)
        writers.update((client_w, upstream_w))
        await asyncio.gather(pump(client_r, upstream_w), pump(upstream_r, client_w))

    started = threading.Event()
    server: asyncio.Server | None = None

    async def serve() -> None:
        nonlocal server
        server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
        started.set()
        async with server:
            await server.serve_forever()

    thread = threading.Thread(target=lambda: loop.run_until_complete(_quietly(serve())))
    thread.start()
    started.wait(10)
    assert server is not None
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:

        async def stop() -> None:
            for writer in writers:
                writer.close()
            assert server is not None
            server.close()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        thread.join(10)
        loop.close()


async def _quietly(serving: object) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        await serving  # type: ignore[misc]
