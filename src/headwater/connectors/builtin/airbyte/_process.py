"""Running a source: one subprocess per protocol command, its messages read line by line.

`<exe> spec | check | discover | read` prints one JSON AirbyteMessage per line on stdout.
The source runs in its own process group (a source may fork workers), with a minimal
environment (Headwater's own settings and secrets are not the source's business), from a
private temporary directory that holds the config, catalog and state files and is removed
afterwards. Leaving a `SourceProcess` early kills the whole group; nothing is left running.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from headwater.connectors.sdk import ConnectorError, TerminalError, TransientError

EXIT_GRACE = 30.0  # seconds a source may take to exit once its output has ended
_ENV_KEYS = (
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "TMPDIR",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "all_proxy",
)


def source_env() -> dict[str, str]:
    """What a source sees of Headwater's environment: paths, locale, proxies, CA bundles."""
    return {key: os.environ[key] for key in _ENV_KEYS if key in os.environ}


def pip_env() -> dict[str, str]:
    """A source's environment plus the operator's pip settings (PIP_INDEX_URL, ...)."""
    pip = {k: v for k, v in os.environ.items() if k.startswith("PIP_")}
    return {**source_env(), **pip}


class Workspace:
    """A private temporary directory (mode 0700) for one command's files; removed on exit."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="headwater-airbyte-"))

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def write(self, name: str, document: Any) -> str:
        """`document` as JSON in a file only this user can read; its path."""
        path = self.path / name
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
            json.dump(document, out)
        return str(path)


class SourceProcess:
    """`executable args...` running in `workspace`; iterate `messages()` inside `with`."""

    def __init__(
        self,
        executable: Path,
        args: list[str],
        workspace: Workspace,
        timeout: float | None = None,
    ) -> None:
        self.command = f"{executable.name} {args[0]}"
        self._argv = [str(executable), *args]
        self._workspace = workspace
        self._stderr = workspace.path / f"{args[0]}.stderr"
        self._timeout = timeout
        self._lock = threading.Lock()
        self._output_ended = False
        self._timed_out = False
        self._errors: deque[str] = deque(maxlen=5)  # the last ERROR/FATAL log lines
        self._process: subprocess.Popen[bytes] | None = None
        self._timer: threading.Timer | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def __enter__(self) -> SourceProcess:
        try:
            with self._stderr.open("wb") as stderr:
                self._process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                    self._argv,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=stderr,
                    cwd=self._workspace.path,
                    env=source_env(),
                    start_new_session=True,
                )
        except OSError as exc:
            raise TerminalError(f"cannot start {self.command}: {exc}") from None
        if self._timeout is not None:
            self._timer = threading.Timer(self._timeout, self._expire)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._output_ended = True  # the timer must not signal a group we may reap
        if self._timer is not None:
            self._timer.cancel()
        process = self._process
        if process is None:
            return
        if process.returncode is None:  # not reaped yet, so its group id is still its own
            self._kill_group()
        if process.stdout is not None:
            process.stdout.close()
        process.wait()

    def messages(self) -> Iterator[dict[str, Any]]:
        """The source's messages, one line at a time; a TRACE error or a failed exit raises."""
        assert self._process is not None
        assert self._process.stdout is not None
        for line in self._process.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue  # sources may print stray text; the protocol ignores it
            if not isinstance(message, dict):
                continue
            kind = message.get("type")
            if kind == "TRACE":
                trace = message.get("trace") or {}
                if trace.get("type") == "ERROR":
                    raise self._trace_error(trace.get("error") or {})
            elif kind == "LOG":
                log = message.get("log") or {}
                text = str(log.get("message") or "").strip()
                if text and log.get("level") in ("ERROR", "FATAL"):
                    self._errors.append(text.splitlines()[0])
            yield message
        self._finish()

    def _finish(self) -> None:
        assert self._process is not None
        with self._lock:
            self._output_ended = True
            timed_out = self._timed_out
        if self._timer is not None:
            self._timer.cancel()
        if timed_out:
            raise TransientError(f"{self.command} did not finish within {self._timeout:.0f} s")
        try:
            code = self._process.wait(EXIT_GRACE)
        except subprocess.TimeoutExpired:
            raise TerminalError(
                f"{self.command} did not exit {EXIT_GRACE:.0f} s after its output ended"
            ) from None
        if code != 0:
            how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
            raise TerminalError(f"{self.command} {how}: {self._details()}")

    def _trace_error(self, error: Mapping[str, Any]) -> ConnectorError:
        message = str(error.get("message") or error.get("internal_message") or self._details())
        text = f"{self.command} failed: {message.strip()[:2000]}"
        if error.get("failure_type") == "transient_error":
            return TransientError(text)
        return TerminalError(text)

    def _details(self) -> str:
        """The source's last error logs and the end of its stderr."""
        lines = list(self._errors)
        try:
            with self._stderr.open("rb") as stderr:
                stderr.seek(max(0, stderr.seek(0, os.SEEK_END) - 4096))
                lines += stderr.read().decode("utf-8", "replace").strip().splitlines()[-10:]
        except OSError:
            pass
        return "\n".join(line for line in lines if line.strip()) or "no error message"

    def _expire(self) -> None:
        with self._lock:
            if self._output_ended:
                return
            self._timed_out = True
            self._kill_group()

    def _kill_group(self) -> None:
        assert self._process is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, signal.SIGKILL)
