"""One SFTP session, driven from synchronous code.

asyncssh is asynchronous, and a connector's `read()` is a plain generator on a worker thread.
So a session owns a private event loop, running on a thread of its own, and the caller waits
for one step at a time on it (`run_coroutine_threadsafe(...).result()`). The loop keeps
turning while the generator waits at a `yield`, however long its consumer takes with the
batches of a downloaded file: keepalives go on being sent and answered, so a server that drops
silent clients does not drop this one. The session is a context manager; leaving it closes
the SFTP channel, the connection, the loop and its thread.

Errors come out classified, each naming its cause: TerminalError for what a retry will not
fix (authentication, host key, missing file, refused permission), TransientError for the
rest of the network's moods (refused or lost connection, timeout).

The connection goes to an address of the host checked by the egress policy (the guard of the
run that opens the session), never to a second resolution of its name.
"""

from __future__ import annotations

import asyncio
import posixpath
import socket
import threading
from collections.abc import Awaitable, Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, TypeVar

import asyncssh
from asyncssh.constants import FILEXFER_TYPE_DIRECTORY, FILEXFER_TYPE_REGULAR

from headwater.connectors import egress
from headwater.connectors.sdk import TerminalError, TransientError

T = TypeVar("T")

DEFAULT_USERNAME = "anonymous"
_GLOB_CHARS = set("*?[")
_CLOSE_TIMEOUT = 5.0
# The server is wrong or misconfigured, not unlucky: a retry meets the same answer.
_TERMINAL_DISCONNECTS = (
    asyncssh.KeyExchangeFailed,
    asyncssh.ProtocolNotSupported,
    asyncssh.ServiceNotAvailable,
    asyncssh.IllegalUserName,
)
_UNKNOWN_HOST = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


_CHUNK = 4 << 20  # bytes asked for at a time when copying part of a file


@dataclass(frozen=True)
class RemoteFile:
    path: str
    mtime: float
    size: int = 0


class SftpSession:
    """`with SftpSession(config) as session:` a logged-in SFTP client on `config["host"]`."""

    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        connect_timeout: float = 30.0,
        keepalive_interval: float = 15.0,
    ) -> None:
        self.host = str(config["host"])
        self.port = int(config.get("port", 22))
        self.username = str(config.get("username") or DEFAULT_USERNAME)
        self._password = config.get("password")
        self._client_key = _private_key(config)
        self._host_key = _host_key(config.get("host_key"))
        self._connect_timeout = connect_timeout
        self._keepalive_interval = keepalive_interval
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._conn: asyncssh.SSHClientConnection | None = None
        self._sftp: asyncssh.SFTPClient | None = None
        self._egress = egress.current()  # the run's guard: the loop's thread has none

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def __enter__(self) -> SftpSession:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name=f"sftp {self.where}", daemon=True
        )
        self._thread.start()
        try:
            self._conn = self._step(self._connect())
            self._sftp = self._step(self._conn.start_sftp_client())
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def files(self, pattern: str) -> list[RemoteFile]:
        """The regular files `pattern` names (a file, a directory's files, or a glob), oldest
        first, then by path. Names starting with `.` are left out unless the pattern's last
        part starts with one too, as in a shell. A glob that matches nothing gives []; a
        missing file or directory raises."""
        return sorted(self._step(self._files(pattern), pattern), key=lambda f: (f.mtime, f.path))

    def download(self, path: str, local: Path) -> None:
        """Copy remote `path` into the local file `local`."""
        sftp = self._client()
        self._step(sftp.get(path, str(local), follow_symlinks=True), path)

    def head(self, path: str, size: int) -> bytes:
        """The first `size` bytes of remote `path` (fewer if it is shorter)."""
        return self._step(self._read_range(path, 0, size, None), path) or b""

    def download_range(self, path: str, start: int, length: int, local: Path) -> None:
        """Copy `length` bytes of remote `path` from offset `start` into the local file."""
        with local.open("wb") as out:
            self._step(self._read_range(path, start, length, out), path)

    async def _read_range(
        self, path: str, start: int, length: int, out: BinaryIO | None
    ) -> bytes | None:
        async with self._client().open(path, "rb") as remote:
            if out is None:
                return _bytes(await remote.read(length, start))
            done = 0
            while done < length:
                chunk = _bytes(await remote.read(min(_CHUNK, length - done), start + done))
                if not chunk:
                    break  # shorter than listed: it was truncated meanwhile
                out.write(chunk)
                done += len(chunk)
            return None

    def close(self) -> None:
        loop, self._loop = self._loop, None
        if loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._shut(), loop).result()
        finally:
            loop.call_soon_threadsafe(loop.stop)
            if self._thread is not None:
                self._thread.join()
            loop.close()

    async def _shut(self) -> None:
        """Close the channel and the connection (abort them if they hang), then whatever else
        asyncssh left running on the loop."""
        sftp, conn, self._sftp, self._conn = self._sftp, self._conn, None, None
        try:
            if sftp is not None:
                sftp.exit()
                await asyncio.wait_for(sftp.wait_closed(), _CLOSE_TIMEOUT)
            if conn is not None:
                conn.close()
                await asyncio.wait_for(conn.wait_closed(), _CLOSE_TIMEOUT)
        except (asyncssh.Error, OSError):  # TimeoutError included
            if conn is not None:
                conn.abort()
        others = asyncio.all_tasks() - {asyncio.current_task()}
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        loop = asyncio.get_running_loop()
        await loop.shutdown_asyncgens()
        await loop.shutdown_default_executor()

    async def _connect(self) -> asyncssh.SSHClientConnection:
        address = self._egress.resolve(self.host, self.port)[0] if self._egress else self.host
        return await asyncssh.connect(
            address,
            self.port,
            username=self.username,
            password=self._password,
            client_keys=[self._client_key] if self._client_key else None,
            agent_path=None,  # never the agent or ~/.ssh of the user Headwater runs as
            known_hosts=([self._host_key], [], []) if self._host_key else None,
            x509_trusted_certs=None,
            gss_host=None,
            config=[],
            connect_timeout=self._connect_timeout,
            keepalive_interval=self._keepalive_interval,
        )

    async def _files(self, pattern: str) -> list[RemoteFile]:
        sftp = self._client()
        # Hidden files (uploads in progress often are) only when the pattern asks for them.
        hidden = False
        if any(c in _GLOB_CHARS for c in pattern):
            hidden = posixpath.basename(pattern).startswith(".")
            try:  # asyncssh's glob: fnmatch per component, `**` for any depth
                listed = [(str(n.filename), n.attrs) for n in await sftp.glob_sftpname(pattern)]
            except (asyncssh.SFTPNoSuchFile, asyncssh.SFTPNoSuchPath):
                return []  # "No matches found"
        else:
            attrs = await sftp.stat(pattern)
            if attrs.type != FILEXFER_TYPE_DIRECTORY:
                return [RemoteFile(pattern, _mtime(attrs), attrs.size or 0)]
            listed = [
                (posixpath.normpath(posixpath.join(pattern, str(n.filename))), n.attrs)
                for n in await sftp.readdir(pattern)
                if n.filename not in (".", "..")
            ]
        found = []
        for path, attrs in listed:
            if posixpath.basename(path).startswith(".") and not hidden:
                continue
            if attrs.type not in (FILEXFER_TYPE_REGULAR, FILEXFER_TYPE_DIRECTORY):
                try:  # a link (followed), or a server that does not say what a name is
                    attrs = await sftp.stat(path)
                except (asyncssh.SFTPNoSuchFile, asyncssh.SFTPNoSuchPath):
                    continue  # a dangling link
            if attrs.type == FILEXFER_TYPE_REGULAR:
                found.append(RemoteFile(path, _mtime(attrs), attrs.size or 0))
        return found

    def _client(self) -> asyncssh.SFTPClient:
        if self._sftp is None:
            raise RuntimeError("the SFTP session is not open")
        return self._sftp

    def _step(self, step: Awaitable[T], path: str | None = None) -> T:
        """Run one step on the private loop and wait for it, its errors classified."""
        if self._loop is None:
            if isinstance(step, Coroutine):
                step.close()
            raise RuntimeError("the SFTP session is not open")
        try:
            return asyncio.run_coroutine_threadsafe(_awaited(step), self._loop).result()
        except asyncssh.PermissionDenied:
            raise TerminalError(
                f"authentication failed for user {self.username!r} on {self.where}: "
                "check username, password and private_key"
            ) from None
        except asyncssh.HostKeyNotVerifiable:
            raise TerminalError(
                f"the host key of {self.where} does not match host_key: the server is not "
                "the one configured, or its key changed"
            ) from None
        except _TERMINAL_DISCONNECTS as exc:
            raise TerminalError(f"SSH with {self.where} failed: {exc.reason}") from None
        except asyncssh.DisconnectError as exc:  # connection lost, too many connections, ...
            raise TransientError(f"SSH connection to {self.where} lost: {exc.reason}") from None
        except asyncssh.ChannelOpenError as exc:
            raise TerminalError(f"{self.where} refused an SFTP session: {exc.reason}") from None
        except (asyncssh.SFTPNoSuchFile, asyncssh.SFTPNoSuchPath):
            raise TerminalError(f"no such file on {self.where}: {path}") from None
        except asyncssh.SFTPPermissionDenied:
            raise TerminalError(f"permission denied on {self.where}: {path}") from None
        except (asyncssh.SFTPConnectionLost, asyncssh.SFTPNoConnection) as exc:
            raise TransientError(f"SFTP connection to {self.where} lost: {exc.reason}") from None
        except asyncssh.SFTPFailure as exc:  # SFTP's "something failed": often passing
            raise TransientError(f"SFTP failure on {self.where} ({path}): {exc.reason}") from None
        except asyncssh.SFTPError as exc:
            raise TerminalError(f"SFTP error on {self.where} ({path}): {exc.reason}") from None
        except TimeoutError:
            raise TransientError(f"timed out connecting to {self.where}") from None
        except socket.gaierror as exc:
            if exc.errno in _UNKNOWN_HOST:
                raise TerminalError(f"unknown host {self.host!r}") from None
            raise TransientError(f"cannot resolve {self.host!r}: {exc.strerror}") from None
        except ConnectionRefusedError:
            raise TransientError(f"connection to {self.where} refused") from None
        except ConnectionError as exc:  # reset, aborted, broken pipe
            raise TransientError(
                f"connection to {self.where} lost: {exc.strerror or exc}"
            ) from None
        except OSError as exc:
            raise TransientError(f"cannot reach {self.where}: {exc.strerror or exc}") from None


def _bytes(data: bytes | str) -> bytes:
    """A binary-mode file's read (asyncssh types it as either)."""
    return data if isinstance(data, bytes) else data.encode()


async def _awaited(step: Awaitable[T]) -> T:
    return await step


def _mtime(attrs: asyncssh.SFTPAttrs) -> float:
    return float(attrs.mtime or 0) + (attrs.mtime_ns or 0) / 1e9


def _private_key(config: Mapping[str, Any]) -> asyncssh.SSHKey | None:
    text = config.get("private_key")
    if not text:
        return None
    try:
        return asyncssh.import_private_key(text, config.get("private_key_passphrase") or None)
    except ValueError as exc:  # KeyImportError, KeyEncryptionError: unreadable or locked
        raise TerminalError(f"private_key cannot be used: {exc}") from None


def _host_key(line: str | None) -> asyncssh.SSHKey | None:
    """`ssh-ed25519 AAAA... [comment]`; a known_hosts line (host names first) works too."""
    if not line or not line.strip():
        return None
    words = line.split()
    for start in (0, 1):
        try:
            return asyncssh.import_public_key(" ".join(words[start : start + 2]))
        except ValueError:  # KeyImportError
            continue
    raise TerminalError(f"host_key is not a public key like 'ssh-ed25519 AAAA...': {line[:40]!r}")
