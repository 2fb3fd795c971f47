"""A real SFTP server for the `sftp` connector's tests: asyncssh's server on 127.0.0.1, a free
port, one user, its files chrooted to a directory, on its own thread with its own event loop."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from types import TracebackType

import asyncssh


class _Login(asyncssh.SSHServer):
    """One connection's authentication: the user's password or public key."""

    def __init__(self, server: SftpServer) -> None:
        self._server = server
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._server.connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        self._server.connections.discard(self._conn)  # type: ignore[arg-type]

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username == self._server.username and password == self._server.password

    def public_key_auth_supported(self) -> bool:
        return self._server.client_key is not None

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        wanted = self._server.client_key
        return (
            username == self._server.username
            and wanted is not None
            and key.public_data == wanted.public_data
        )


class SftpServer:
    """`with SftpServer(root) as server:` serves `root` at 127.0.0.1:`server.port`."""

    def __init__(
        self,
        root: Path,
        *,
        username: str = "alice",
        password: str = "s3cret",
        client_key: asyncssh.SSHKey | None = None,
    ) -> None:
        self.root = root
        self.username = username
        self.password = password
        self.client_key = client_key  # a public key the user may log in with, too
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.connections: set[asyncssh.SSHServerConnection] = set()
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._acceptor: asyncssh.SSHAcceptor | None = None

    @property
    def host_key_line(self) -> str:
        """The server's public key as `ssh-ed25519 AAAA...`."""
        return self.host_key.export_public_key().decode().strip()

    def __enter__(self) -> SftpServer:
        loop = self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=loop.run_forever, name="sftp-server")
        self._thread.start()
        try:
            self._acceptor = asyncio.run_coroutine_threadsafe(self._listen(), loop).result(10)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        self.port = self._acceptor.get_port()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        loop, self._loop = self._loop, None
        assert loop is not None
        assert self._thread is not None
        try:
            asyncio.run_coroutine_threadsafe(self._close(), loop).result(10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            self._thread.join(10)
            loop.close()

    async def _listen(self) -> asyncssh.SSHAcceptor:
        return await asyncssh.listen(
            "127.0.0.1",
            0,
            server_host_keys=[self.host_key],
            server_factory=lambda: _Login(self),
            sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(self.root).encode()),
            allow_scp=False,
        )

    async def _close(self) -> None:
        if self._acceptor is not None:
            self._acceptor.close()
            await self._acceptor.wait_closed()
        for conn in list(self.connections):
            conn.close()
            await conn.wait_closed()
        self.connections.clear()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        loop = asyncio.get_running_loop()
        await loop.shutdown_asyncgens()
        await loop.shutdown_default_executor()
