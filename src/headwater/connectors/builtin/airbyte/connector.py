"""Run a Python Airbyte source as a subprocess, speaking the Airbyte protocol over its CLI.

A dataset receives one stream of the source. `check` runs the source's `check`, then its
`discover` to prove the stream exists; `discover` gives that stream's columns from the
catalog's JSON Schema; `read` runs `read` with a catalog of that one stream and turns its
RECORD messages into Arrow batches. In incremental mode the source's STATE messages (its
stream's, or a GLOBAL or LEGACY state) are kept and yielded as
`Checkpoint({"airbyte_state": [...]})` right after the records they follow; the next run
passes them back with `--state`, so each record arrives once, as the source defines it.

The egress policy, honestly: the source is another process with its own network access, out
of reach of the checks a run makes on its own connections. Before the source starts, the hosts
its configuration names are checked (every `scheme://host` URL, and every value of a field
whose name says host, with a sibling `port`), so a configuration that names a refused
destination fails; what the source connects to beyond those, Headwater cannot see or stop.
`package` (the code that receives `source_config`) is a target field, so with an account
neither can come from the stream.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa

from headwater.connectors import egress
from headwater.connectors.builtin.airbyte._process import SourceProcess, Workspace
from headwater.connectors.builtin.airbyte._records import BatchBuilder, columns_of, fields_of
from headwater.connectors.builtin.airbyte._venv import Venvs, parse_requirement
from headwater.connectors.builtin.airbyte.spec import SPEC
from headwater.connectors.sdk import Checkpoint, TerminalError
from headwater.domain.datasets import Column

BATCH_RECORDS = 10_000
CATALOG_TTL = 60.0  # seconds a source's catalog is reused (see AirbyteConnector._stream)
CATALOGS_KEPT = 32
_STATS = ("sourceStats", "destinationStats")


class AirbyteConnector:
    """Any Python Airbyte source from PyPI (e.g. `airbyte-source-faker`), run through the
    Airbyte protocol from a virtual environment of its own; one source stream per dataset,
    incremental through the source's own state.

    Operator options: `work_dir` holds the venvs (`<work_dir>/venvs/<package>/`);
    `allow_install` lets Headwater create a missing venv and pip-install the package (off by
    default: otherwise users could install any package from PyPI on the server);
    `command_timeout` bounds `spec`, `check` and `discover` (a `read` runs as long as it must).
    """

    name = "airbyte"

    def __init__(
        self,
        work_dir: str = "./headwater-data/airbyte",
        allow_install: bool = False,
        command_timeout: float = 600.0,
    ) -> None:
        self._venvs = Venvs(Path(work_dir).resolve() / "venvs", allow_install)
        self._timeout = command_timeout
        # Recent catalogs by (executable, config digest): check, discover and read of one
        # stream, moments apart, run the source's `discover` once instead of three times.
        self._catalogs: dict[tuple[str, str], tuple[float, list[Mapping[str, Any]]]] = {}
        self._lock = threading.Lock()

    def spec(self) -> dict[str, Any]:
        return SPEC

    def executable(self, package: str) -> Path:
        """The console script that runs `package`, installed first if the operator allows."""
        return self._venvs.executable(parse_requirement(package))

    def source_spec(self, package: str) -> dict[str, Any]:
        """The source's own spec: the JSON Schema its `source_config` must satisfy."""
        executable = self.executable(package)
        found: Any = None
        with (
            Workspace() as workspace,
            SourceProcess(executable, ["spec"], workspace, self._timeout) as source,
        ):
            for message in source.messages():
                if message.get("type") == "SPEC":
                    found = (message.get("spec") or {}).get("connectionSpecification")
        if not isinstance(found, dict):
            raise TerminalError(f"{executable.name} spec printed no connection specification")
        return found

    def check(self, config: Mapping[str, Any]) -> None:
        executable = self.executable(str(config["package"]))
        with Workspace() as workspace:
            source_config = workspace.write("config.json", _source_config(config))
            status: Mapping[str, Any] | None = None
            args = ["check", "--config", source_config]
            with SourceProcess(executable, args, workspace, self._timeout) as source:
                for message in source.messages():
                    if message.get("type") == "CONNECTION_STATUS":
                        status = message.get("connectionStatus") or {}
            if status is None:
                raise TerminalError(f"{executable.name} check printed no connection status")
            if status.get("status") != "SUCCEEDED":
                reason = status.get("message") or "no reason given"
                raise TerminalError(f"the source's check failed: {reason}")
            stream = self._stream(executable, workspace, source_config, str(config["stream"]))
        _configured(stream, str(config.get("sync_mode", "auto")))
        fields_of(stream.get("json_schema") or {}, str(config["stream"]))

    def discover(self, config: Mapping[str, Any]) -> list[Column]:
        executable = self.executable(str(config["package"]))
        name = str(config["stream"])
        with Workspace() as workspace:
            source_config = workspace.write("config.json", _source_config(config))
            stream = self._stream(executable, workspace, source_config, name)
        return columns_of(fields_of(stream.get("json_schema") or {}, name))

    def read(
        self, config: Mapping[str, Any], state: Mapping[str, Any]
    ) -> Iterator[pa.RecordBatch | Checkpoint]:
        executable = self.executable(str(config["package"]))
        name = str(config["stream"])
        with Workspace() as workspace:
            source_config = workspace.write("config.json", _source_config(config))
            stream = self._stream(executable, workspace, source_config, name)
            catalog, incremental = _configured(stream, str(config.get("sync_mode", "auto")))
            records = BatchBuilder(fields_of(stream.get("json_schema") or {}, name), name)
            states = _States(stream, state.get("airbyte_state") if incremental else None)
            args = ["read", "--config", source_config]
            args += ["--catalog", workspace.write("catalog.json", catalog)]
            if states.messages():
                args += ["--state", workspace.write("state.json", states.messages())]
            with SourceProcess(executable, args, workspace) as source:
                for message in source.messages():
                    kind = message.get("type")
                    if kind == "RECORD":
                        record = message.get("record") or {}
                        if record.get("stream") != name:
                            continue
                        records.add(record.get("data"))
                        if len(records) >= BATCH_RECORDS:
                            yield records.batch()
                    elif kind == "STATE" and incremental and states.update(message.get("state")):
                        if len(records):
                            yield records.batch()
                        yield Checkpoint({"airbyte_state": states.messages()})
        if len(records):
            yield records.batch()

    def _stream(
        self, executable: Path, workspace: Workspace, source_config: str, name: str
    ) -> Mapping[str, Any]:
        """Stream `name` of the source's catalog, or a TerminalError listing the streams."""
        key = (str(executable), hashlib.sha256(Path(source_config).read_bytes()).hexdigest())
        with self._lock:
            cached = self._catalogs.get(key)
        if cached is not None and time.monotonic() - cached[0] < CATALOG_TTL:
            streams = cached[1]
        else:
            streams = self._discover(executable, workspace, source_config)
            with self._lock:
                self._catalogs.pop(key, None)
                self._catalogs[key] = (time.monotonic(), streams)
                while len(self._catalogs) > CATALOGS_KEPT:
                    del self._catalogs[next(iter(self._catalogs))]
        for stream in streams:
            if stream.get("name") == name:
                return stream
        known = ", ".join(sorted(str(s.get("name")) for s in streams)) or "none"
        raise TerminalError(f"the source has no stream {name!r}; its streams: {known}")

    def _discover(
        self, executable: Path, workspace: Workspace, source_config: str
    ) -> list[Mapping[str, Any]]:
        catalog: Any = None
        args = ["discover", "--config", source_config]
        with SourceProcess(executable, args, workspace, self._timeout) as source:
            for message in source.messages():
                if message.get("type") == "CATALOG":
                    catalog = message.get("catalog")
        if not isinstance(catalog, Mapping):
            raise TerminalError(f"{executable.name} discover printed no catalog")
        return [s for s in catalog.get("streams") or [] if isinstance(s, Mapping)]


def _source_config(config: Mapping[str, Any]) -> dict[str, Any]:
    value = config.get("source_config") or {}
    if not isinstance(value, Mapping):
        raise TerminalError("source_config must be a JSON object")
    for host, port in _named_hosts(value):
        try:
            egress.resolve(host, port)
        except OSError:
            continue  # not resolvable here: the source will say so itself
    return dict(value)


def _named_hosts(node: Any, depth: int = 0) -> Iterator[tuple[str, int | None]]:
    """(host, port) of what a source's configuration names: URLs, and host fields."""
    if depth > 20:
        return
    if isinstance(node, Mapping):
        raw = str(node.get("port", ""))
        port = int(raw) if raw.isdigit() and 0 < int(raw) < 65536 else None
        for key, value in node.items():
            if isinstance(value, str) and "host" in str(key).lower() and value.strip():
                yield value.strip(), port
            else:
                yield from _named_hosts(value, depth + 1)
    elif isinstance(node, list):
        for item in node:
            yield from _named_hosts(item, depth + 1)
    elif isinstance(node, str) and "://" in node:
        try:
            parts = urlsplit(node.strip())
            if parts.hostname:
                yield parts.hostname, parts.port
        except ValueError:
            pass


def _configured(stream: Mapping[str, Any], wanted: str) -> tuple[dict[str, Any], bool]:
    """The configured catalog that reads `stream` alone, and whether it reads incrementally."""
    name = stream.get("name")
    modes = stream.get("supported_sync_modes") or ["full_refresh"]
    cursor = list(stream.get("default_cursor_field") or [])
    can_increment = "incremental" in modes and (
        bool(stream.get("source_defined_cursor")) or bool(cursor)
    )
    if wanted == "incremental" and not can_increment:
        raise TerminalError(
            f"stream {name!r} cannot be read incrementally (it has no source-defined cursor); "
            "use sync_mode full_refresh"
        )
    if wanted == "full_refresh" and "full_refresh" not in modes:
        raise TerminalError(f"stream {name!r} cannot be read in full; use sync_mode incremental")
    incremental = wanted == "incremental" or (wanted == "auto" and can_increment)
    configured = {
        "stream": dict(stream),
        "sync_mode": "incremental" if incremental else "full_refresh",
        "destination_sync_mode": "append" if incremental else "overwrite",
        "cursor_field": cursor if incremental else [],
        "primary_key": stream.get("source_defined_primary_key") or [],
    }
    return {"streams": [configured]}, incremental


class _States:
    """The source's state for this stream: its STREAM state, or a GLOBAL or LEGACY one."""

    def __init__(self, stream: Mapping[str, Any], saved: Any) -> None:
        self._name = stream.get("name")
        self._namespace = stream.get("namespace")
        self._by_key: dict[str, dict[str, Any]] = {}
        for message in saved if isinstance(saved, list) else []:
            self.update(message)

    def messages(self) -> list[dict[str, Any]]:
        return list(self._by_key.values())

    def update(self, message: Any) -> bool:
        """Keep `message` if it is state of this stream; whether it was."""
        if not isinstance(message, Mapping):
            return False
        kind = message.get("type") or ("LEGACY" if "data" in message else None)
        if kind == "STREAM":
            descriptor = (message.get("stream") or {}).get("stream_descriptor") or {}
            if descriptor.get("name") != self._name:
                return False
            if descriptor.get("namespace") not in (None, self._namespace):
                return False
        elif kind not in ("GLOBAL", "LEGACY"):
            return False
        self._by_key[str(kind)] = {k: v for k, v in message.items() if k not in _STATS}
        return True
