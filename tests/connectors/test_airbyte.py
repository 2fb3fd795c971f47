"""The `airbyte` connector against real Airbyte sources run as subprocesses.

`airbyte-source-faker` is pip-installed from PyPI by the connector itself (allow_install),
once, into /tmp/headwater-test-airbyte, which later sessions reuse; each of its commands takes
about 3 s (importing the Airbyte CDK), so the faker tests share reads where they can. The
edge cases run against a scripted source (tests/connectors/airbyte_support.py): a real
program speaking the protocol, told by its config what to say.
"""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path
from types import GeneratorType
from typing import Any

import pyarrow as pa
import pytest

from headwater.connectors.builtin.airbyte import AirbyteConnector
from headwater.connectors.sdk import Checkpoint, TerminalError, TransientError
from headwater.domain.datasets import ColumnType
from headwater.testing import check_connector, read_all
from headwater.testing.contract import ContractResult
from tests.connectors.airbyte_support import ITEMS, install_scripted_source

CACHE = Path("/tmp/headwater-test-airbyte")  # survives sessions: the install is slow
FAKER = "airbyte-source-faker"
# always_updated=false: faker's incremental mode; with the default (true) it sends every
# user again, with a new updated_at, on each sync.
USERS = {"count": 200, "seed": 1, "always_updated": False}
# Under `make test` (pytest-xdist, --dist loadgroup) these tests share one worker, so the
# module's faker reads (seconds each) happen once, not once per worker.
pytestmark = pytest.mark.xdist_group("airbyte")


@pytest.fixture(scope="session")
def faker() -> AirbyteConnector:
    connector = AirbyteConnector(work_dir=str(CACHE), allow_install=True)
    connector.executable(FAKER)  # pip install on the first session only
    return connector


def users(**source_config: Any) -> dict[str, Any]:
    return {"package": FAKER, "stream": "users", "source_config": {**USERS, **source_config}}


@pytest.fixture(scope="module")
def contract(faker: AirbyteConnector) -> ContractResult:
    # Domo sends every value as text: source_config arrives as JSON text.
    config = {"package": FAKER, "stream": "users", "source_config": json.dumps(USERS)}
    return check_connector(faker, config, incremental=True)  # reads again: 0 rows


def test_faker_users_arrive_once_each_with_catalog_types(contract: ContractResult) -> None:
    assert contract.table.num_rows == 200
    assert sorted(contract.table.column("id").to_pylist()) == list(range(1, 201))
    types = {c.name: c.type for c in contract.columns}
    assert types["id"] == ColumnType.LONG
    assert types["created_at"] == ColumnType.DATETIME
    assert types["name"] == ColumnType.STRING
    assert types["address"] == ColumnType.STRING  # an object, kept as JSON text
    assert "city" in json.loads(contract.table.column("address")[0].as_py())


def test_faker_state_is_its_own_stream_state(contract: ContractResult) -> None:
    (saved,) = contract.final_state["airbyte_state"]
    assert saved["type"] == "STREAM"
    assert saved["stream"]["stream_descriptor"] == {"name": "users"}
    assert saved["stream"]["stream_state"]["loop_offset"] == 200
    assert "sourceStats" not in saved  # per-run counters are not state


def test_faker_sends_nothing_more_once_it_has_state(
    faker: AirbyteConnector, contract: ContractResult
) -> None:
    # Faker 7 does not page on from its offset when `count` grows: once it holds an
    # updated_at and always_updated is false, it emits no users at all, and says the same
    # state again.
    table, states = read_all(faker, users(count=300), contract.final_state)
    assert table is None
    assert states == [contract.final_state]


def test_unknown_stream_lists_the_sources_streams(faker: AirbyteConnector) -> None:
    with pytest.raises(TerminalError, match="no stream 'people'; its streams: products, purc"):
        faker.discover({**users(), "stream": "people"})


def test_bad_source_config_is_terminal(faker: AirbyteConnector) -> None:
    with pytest.raises(TerminalError, match="'abc' is not of type 'integer'"):
        faker.check(users(count="abc"))


def test_closing_a_read_early_kills_the_source(faker: AirbyteConnector) -> None:
    config = users(count=1_000_000, records_per_slice=500, parallelism=2)
    items = faker.read(config, {})
    assert isinstance(items, GeneratorType)  # a run aborts it with .close()
    first = next(items)
    assert isinstance(first, pa.RecordBatch)
    assert 0 < first.num_rows <= 1_000  # the records before its first state
    (source,) = [p for p in _children(os.getpid()) if "source-faker" in _cmdline(p)]
    family = [source, *_descendants(source)]
    assert len(family) >= 3  # faker's pool workers too
    workspace = Path(os.readlink(f"/proc/{source}/cwd"))
    assert stat.S_IMODE(workspace.stat().st_mode) == 0o700
    assert stat.S_IMODE((workspace / "config.json").stat().st_mode) == 0o600

    items.close()  # what a run does when it is aborted

    assert not Path(f"/proc/{source}").exists()  # killed and reaped: no zombie
    deadline = time.monotonic() + 5
    while any(Path(f"/proc/{p}").exists() for p in family) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [p for p in family if Path(f"/proc/{p}").exists()]
    assert not workspace.exists()  # config, catalog and state files are gone


def test_without_allow_install_a_missing_source_says_how_to_install(tmp_path: Path) -> None:
    connector = AirbyteConnector(work_dir=str(tmp_path))
    with pytest.raises(TerminalError) as caught:
        connector.check(users())
    message = str(caught.value)
    assert f"{tmp_path}/venvs/airbyte-source-faker" in message
    assert "pip install 'airbyte-source-faker'" in message
    assert "allow_install" in message
    assert not (tmp_path / "venvs" / "airbyte-source-faker").exists()


@pytest.mark.parametrize(
    "package",
    [
        "https://example.com/evil.whl",
        "./airbyte-source-faker",
        "-e airbyte-source-faker",
        "airbyte-source-faker --index-url=https://example.com",
        "airbyte-source-faker @ https://example.com/x.whl",
        "airbyte-source-faker; python_version>'3'",
    ],
)
def test_package_must_be_a_plain_requirement(tmp_path: Path, package: str) -> None:
    connector = AirbyteConnector(work_dir=str(tmp_path), allow_install=True)
    with pytest.raises(TerminalError, match="not a plain PyPI requirement"):
        connector.check({"package": package, "stream": "users"})
    assert not (tmp_path / "venvs").exists()


def test_a_pinned_version_other_than_the_installed_one_is_not_run(faker: AirbyteConnector) -> None:
    strict = AirbyteConnector(work_dir=str(CACHE))
    with pytest.raises(TerminalError, match=r"has airbyte-source-faker [\d.]+, not ==0\.0\.1"):
        strict.executable("airbyte-source-faker==0.0.1")


# ------------------------------------------------------------------ the scripted source


@pytest.fixture(scope="module")
def scripted(tmp_path_factory: pytest.TempPathFactory) -> AirbyteConnector:
    work_dir = tmp_path_factory.mktemp("airbyte")
    install_scripted_source(work_dir)
    return AirbyteConnector(work_dir=str(work_dir), command_timeout=2)


def items(source_config: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "package": "airbyte-source-scripted",
        "stream": "items",
        "source_config": source_config,
        **extra,
    }


def record(data: dict[str, Any], stream: str = "things") -> dict[str, Any]:
    return {"type": "RECORD", "record": {"stream": stream, "data": data}}


def test_catalog_types_become_column_types(scripted: AirbyteConnector) -> None:
    schema = {
        "n": {"type": "integer"},
        "big": {"type": "number", "airbyte_type": "integer"},
        "x": {"type": ["null", "number"]},
        "ok": {"type": "boolean"},
        "at": {"type": "string", "format": "date-time"},
        "local": {
            "type": "string",
            "format": "date-time",
            "airbyte_type": "timestamp_without_timezone",
        },
        "day": {"type": "string", "format": "date"},
        "maybe": {"anyOf": [{"type": "null"}, {"type": "integer"}]},
        "tags": {"type": "array"},
        "either": {"type": ["string", "integer"]},
        "s": {"type": "string"},
    }
    stream = {**ITEMS, "name": "things", "json_schema": {"properties": schema}}
    data = {
        "n": 1,
        "big": 2.0,
        "x": 1.5,
        "ok": True,
        "at": "2024-05-01T12:00:00+02:00",
        "local": "2024-05-01T12:00:00",
        "day": "2024-05-01",
        "maybe": 3,
        "tags": ["a", "b"],
        "either": 7,
        "s": "text",
        "undeclared": "dropped",
    }
    source = {"streams": [stream], "read": {"messages": [record(data), record({"n": 2})]}}
    config = items(source, stream="things")
    result = check_connector(scripted, config)
    assert {c.name: c.type.value for c in result.columns} == {
        "n": "LONG",
        "big": "LONG",
        "x": "DOUBLE",
        "ok": "BOOLEAN",
        "at": "DATETIME",
        "local": "DATETIME",
        "day": "DATE",
        "maybe": "LONG",
        "tags": "STRING",
        "either": "STRING",
        "s": "STRING",
    }
    first, second = result.table.to_pylist()
    assert str(first["at"]) == "2024-05-01 10:00:00"  # naive UTC
    assert str(first["local"]) == "2024-05-01 12:00:00"  # as the source gave it
    assert str(first["day"]) == "2024-05-01"
    assert (first["tags"], first["either"], first["big"]) == ('["a", "b"]', "7", 2)
    assert second == {**dict.fromkeys(schema), "n": 2}  # missing fields are null


def test_a_value_unlike_its_declared_type_names_the_column(scripted: AirbyteConnector) -> None:
    stream = {**ITEMS, "name": "things"}
    source = {"streams": [stream], "read": {"messages": [record({"id": "seven"})]}}
    with pytest.raises(TerminalError, match=r"column 'id' is declared LONG but .*'seven'"):
        read_all(scripted, items(source, stream="things"))


def test_a_stream_without_properties_arrives_as_json_text(scripted: AirbyteConnector) -> None:
    stream = {"name": "things", "json_schema": {"type": "object"}}
    source = {"streams": [stream], "read": {"messages": [record({"a": 1})]}}
    table, states = read_all(scripted, items(source, stream="things"))
    assert table is not None
    assert table.to_pylist() == [{"_airbyte_data": '{"a": 1}'}]
    assert states == []  # full refresh: no incremental support, no state


def test_state_follows_its_records_and_resumes_the_next_run(scripted: AirbyteConnector) -> None:
    config = items({"read": {"count": 25_000, "state_every": 12_000}})
    yielded = list(scripted.read(config, {}))
    shapes = [
        f"state {i.state['airbyte_state'][0]['stream']['stream_state']['cursor']}"
        if isinstance(i, Checkpoint)
        else i.num_rows
        for i in yielded
    ]
    assert shapes == [10_000, 2_000, "state 12000", 10_000, 2_000, "state 24000", 1_000]
    last = [i for i in yielded if isinstance(i, Checkpoint)][-1].state
    table, _ = read_all(scripted, config, last)
    assert table is not None
    assert table.column("id").to_pylist() == list(range(24_000, 25_000))


def test_saved_state_goes_back_to_the_source_as_given(scripted: AirbyteConnector) -> None:
    legacy = {"type": "LEGACY", "data": {"items": {"cursor": 5}}}
    other = {"type": "STREAM", "stream": {"stream_descriptor": {"name": "others"}}}
    stream = {**ITEMS, "json_schema": {"properties": {"state": {"type": "string"}}}}
    config = items({"streams": [stream], "read": {"echo_state": True}})
    table, _ = read_all(scripted, config, {"airbyte_state": [legacy, other]})
    assert table is not None
    assert json.loads(table.column("state")[0].as_py()) == [legacy]  # not other streams'


def test_full_refresh_ignores_state_and_keeps_none(scripted: AirbyteConnector) -> None:
    config = items({"read": {"count": 3, "state_every": 1}}, sync_mode="full_refresh")
    saved = {"airbyte_state": [{"type": "STREAM", "stream": {"stream_state": {"cursor": 2}}}]}
    table, states = read_all(scripted, config, saved)
    assert table is not None
    assert table.column("id").to_pylist() == [0, 1, 2]
    assert states == []


def test_incremental_needs_a_stream_that_supports_it(scripted: AirbyteConnector) -> None:
    stream = {**ITEMS, "supported_sync_modes": ["full_refresh"]}
    config = items({"streams": [stream]}, sync_mode="incremental")
    with pytest.raises(TerminalError, match="cannot be read incrementally"):
        scripted.check(config)


@pytest.mark.parametrize(
    ("failure_type", "error"),
    [("transient_error", TransientError), ("system_error", TerminalError)],
)
def test_trace_errors_keep_their_failure_type(
    scripted: AirbyteConnector, failure_type: str, error: type[Exception]
) -> None:
    trace = {
        "type": "TRACE",
        "trace": {
            "type": "ERROR",
            "error": {"message": "rate limited, try later", "failure_type": failure_type},
        },
    }
    with pytest.raises(error, match="source-scripted read failed: rate limited, try later"):
        read_all(scripted, items({"read": {"messages": [trace], "exit": 1}}))


def test_a_failed_exit_reports_the_end_of_stderr(scripted: AirbyteConnector) -> None:
    source = {"read": {"stderr": "Traceback ...\nKeyError: 'token'\n", "exit": 3}}
    with pytest.raises(TerminalError, match=r"exited with code 3: Traceback \.\.\.\nKeyError"):
        read_all(scripted, items(source))


def test_a_failed_check_says_why(scripted: AirbyteConnector) -> None:
    status = {"status": "FAILED", "message": "401: bad API key"}
    source = {"check": {"messages": [{"type": "CONNECTION_STATUS", "connectionStatus": status}]}}
    with pytest.raises(TerminalError, match="check failed: 401: bad API key"):
        scripted.check(items(source))


def test_source_spec_is_the_sources_own(scripted: AirbyteConnector) -> None:
    assert scripted.source_spec("airbyte-source-scripted") == {"type": "object"}


def test_a_relative_work_dir_is_taken_from_where_headwater_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_scripted_source(tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    connector = AirbyteConnector(work_dir="data")
    monkeypatch.chdir("/")  # the source runs from a directory of its own anyway
    assert [c.name for c in connector.discover(items({}))] == ["id"]


def test_a_hung_discover_times_out_as_transient(scripted: AirbyteConnector) -> None:
    with pytest.raises(TransientError, match="discover did not finish within 2 s"):
        scripted.discover(items({"discover": {"sleep": 30}}))


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _descendants(pid: int) -> list[int]:
    found = []
    for child in _children(pid):
        found += [child, *_descendants(child)]
    return found


def _cmdline(pid: int) -> str:
    try:
        return (Path(f"/proc/{pid}") / "cmdline").read_text().replace("\0", " ")
    except OSError:
        return ""
