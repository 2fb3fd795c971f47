"""A scripted Airbyte source for the `airbyte` connector's tests.

`install_scripted_source(work_dir)` lays out a venv the way the connector looks for one
(`<work_dir>/venvs/airbyte-source-scripted/`, with a dist-info naming its console script), and
its console script is a real program speaking the Airbyte protocol: what it prints for each
command is in its own config, so a test states exactly what the source says, and the source
starts in milliseconds where a real one takes seconds.

Its config: `streams` (the catalog; default one `items` stream), and per command (`check`,
`discover`, `read`) an object with `messages` (printed as they are), `sleep` (seconds first),
`stderr` (text), `exit` (code). `read` also takes `count` (records `{"id": i}`, i from the
cursor in the saved state), `state_every` (a STREAM state after every so many records) and
`echo_state` (a first record whose `state` is the --state file's text).
"""

from __future__ import annotations

import sys
from pathlib import Path

PACKAGE = "airbyte-source-scripted"

ITEMS = {
    "name": "items",
    "json_schema": {"type": "object", "properties": {"id": {"type": "integer"}}},
    "supported_sync_modes": ["full_refresh", "incremental"],
    "source_defined_cursor": True,
    "default_cursor_field": ["id"],
}

_PROGRAM = """\
import json
import sys
import time

ITEMS = __ITEMS__


def emit(message):
    print(json.dumps(message), flush=True)


def main(argv):
    command, options = argv[0], dict(zip(argv[1::2], argv[2::2]))
    if command == "spec":
        emit({"type": "SPEC", "spec": {"connectionSpecification": {"type": "object"}}})
        return 0
    with open(options["--config"]) as f:
        config = json.load(f)
    step = config.get(command, {})
    time.sleep(step.get("sleep", 0))
    streams = config.get("streams", [ITEMS])
    if "messages" in step:
        for message in step["messages"]:
            emit(message)
    elif command == "check":
        emit({"type": "CONNECTION_STATUS", "connectionStatus": {"status": "SUCCEEDED"}})
    elif command == "discover":
        emit({"type": "CATALOG", "catalog": {"streams": streams}})
    if command == "read":
        with open(options["--catalog"]) as f:
            stream = json.load(f)["streams"][0]["stream"]["name"]
        state = None
        if "--state" in options:
            with open(options["--state"]) as f:
                state = f.read()
        if step.get("echo_state"):
            emit({"type": "RECORD", "record": {"stream": stream, "data": {"state": state}}})
        start = 0
        for saved in json.loads(state or "[]"):
            if saved.get("type") == "STREAM":
                start = saved["stream"]["stream_state"]["cursor"]
        every = step.get("state_every", 0)
        for i in range(start, step.get("count", 0)):
            emit({"type": "RECORD", "record": {"stream": stream, "data": {"id": i}}})
            if every and (i + 1) % every == 0:
                emit({
                    "type": "STATE",
                    "state": {
                        "type": "STREAM",
                        "stream": {
                            "stream_descriptor": {"name": stream},
                            "stream_state": {"cursor": i + 1},
                        },
                        "sourceStats": {"recordCount": every},
                    },
                })
    sys.stderr.write(step.get("stderr", ""))
    return step.get("exit", 0)


sys.exit(main(sys.argv[1:]))
"""


def install_scripted_source(work_dir: Path) -> str:
    """The scripted source, laid out as an installed package under `work_dir`; its name."""
    venv = work_dir / "venvs" / PACKAGE
    site = venv / "lib" / "python3.11" / "site-packages"
    dist = site / "airbyte_source_scripted-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {PACKAGE}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[console_scripts]\nsource-scripted = x:run\n")
    (venv / "bin").mkdir()
    script = venv / "bin" / "source-scripted"
    program = _PROGRAM.replace("__ITEMS__", repr(ITEMS))
    script.write_text(f"#!{sys.executable}\n{program}")
    script.chmod(0o755)
    return PACKAGE
