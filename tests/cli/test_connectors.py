"""`headwater connector ...`: the installed connectors (a broken plug-in says why), and a
running pipeline's input connectors paused, watched and started again, for real."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from headwater.bootstrap import Runtime, build_runtime
from headwater.settings import PipelineSettings, Settings
from tests.cli.conftest import Run
from tests.conftest import ADMIN_TOKEN
from tests.support.broken_plugin import WHY, registry_with_a_broken_plugin
from tests.support.live_server import LiveServer

SQL = """CREATE TABLE clicks (id BIGINT NOT NULL) WITH ('connectors' = '[
  {"name": "gen", "transport": {"name": "datagen", "config": {"plan": [{"rate": 100}]}}}
]');
"""


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"pipelines": PipelineSettings(commit_interval_seconds=0.1, poll_seconds=0.1)}
    )


@pytest.fixture
def runtime(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Runtime]:
    runtime = build_runtime(
        settings, registry_with_a_broken_plugin(settings, tmp_path, monkeypatch)
    )
    runtime.services.identity.auth.ensure_admin(ADMIN_TOKEN)
    yield runtime
    runtime.close()


def eventually(condition: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def records(cli: Run) -> int:
    shown = cli("connector", "stats", "shop", "clicks", "gen", "--json")
    assert shown.exit_code == 0, shown.output
    return int(json.loads(shown.stdout)["metrics"]["total_records"])


def settled(cli: Run, timeout: float = 60.0) -> int:
    """The connector's count once it held for a second."""
    deadline = time.monotonic() + timeout
    last = records(cli)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = records(cli)
        if now == last:
            return now
        last = now
    raise AssertionError("the count kept growing")


def start_shop(cli: Run, tmp_path: Path, sql: str = SQL) -> None:
    program = tmp_path / "shop.sql"
    program.write_text(sql)
    assert cli("pipeline", "create", "shop", "--sql", str(program)).exit_code == 0
    started = cli("pipeline", "start", "shop")
    assert started.exit_code == 0, started.output


def test_installed_connectors(cli: Run) -> None:
    listed = cli("connector", "ls")
    assert listed.exit_code == 0, listed.output
    for text in ("file", "sql", "http", "AVAILABLE", "BROKEN", WHY):
        assert text in listed.stdout
    body = {c["key"]: c for c in json.loads(cli("connector", "ls", "--json").stdout)}
    assert body["broken"]["status"] == "BROKEN"
    assert body["file"]["status"] == "AVAILABLE"
    shown = cli("connector", "show", "file")
    assert shown.exit_code == 0
    for text in ("settings", "path", "format", "auto | csv", "HEADWATER_FILE_ROOTS"):
        assert text in shown.stdout
    assert (
        "path" in json.loads(cli("connector", "show", "file", "--json").stdout)["spec"]["required"]
    )
    unknown = cli("connector", "show", "nope")
    assert unknown.exit_code == 1
    assert "404" in unknown.stderr


def test_pause_watch_start(cli: Run, tmp_path: Path, running: LiveServer) -> None:
    start_shop(cli, tmp_path)
    eventually(lambda: records(cli) > 0, "rows from datagen")
    listed = cli("connector", "ls", "shop")
    assert listed.exit_code == 0
    for text in ("clicks", "gen", "Running", "Healthy"):
        assert text in listed.stdout
    assert json.loads(cli("connector", "ls", "shop", "--json").stdout)[0]["endpoint_name"] == (
        "clicks.gen"
    )

    paused = cli("connector", "pause", "shop", "clicks", "gen")
    assert paused.exit_code == 0, paused.output
    assert "paused connector gen of shop.clicks" in paused.stderr
    shown = cli("connector", "stats", "shop", "clicks", "gen")
    assert shown.exit_code == 0
    assert "Paused" in shown.stdout
    assert "records" in shown.stdout
    # it stops reading: once its last batch is committed, the count holds
    held = settled(cli)
    time.sleep(1.0)
    assert records(cli) == held
    # the pipeline goes on running; only this connector waits
    assert "Running" in cli("pipeline", "show", "shop").stdout

    started = cli("connector", "start", "shop", "clicks", "gen")
    assert started.exit_code == 0
    assert "started connector gen of shop.clicks" in started.stderr
    eventually(lambda: records(cli) > held, "rows after the start")
    assert "Running" in cli("connector", "stats", "shop", "clicks", "gen").stdout

    unknown = cli("connector", "pause", "shop", "clicks", "nope")
    assert unknown.exit_code == 1
    assert "404 UnknownInputEndpoint" in unknown.stderr
    no_pipeline = cli("connector", "stats", "nope", "clicks", "gen")
    assert no_pipeline.exit_code == 1
    assert "404 UnknownPipelineName" in no_pipeline.stderr
    assert cli("pipeline", "stop", "shop").exit_code == 0
    # a stopped pipeline's connectors cannot be driven: start it first
    for action in ("start", "pause", "stats"):
        refused = cli("connector", action, "shop", "clicks", "gen")
        assert refused.exit_code == 1, action
        assert "start it first" in refused.stderr
    assert cli("connector", "ls", "shop").exit_code == 1


def test_parse_errors_are_shown(cli: Run, tmp_path: Path, running: LiveServer) -> None:
    files = running.runtime.settings.data_dir / "files"
    files.mkdir(parents=True, exist_ok=True)
    source = files / "events.jsonl"
    source.write_text('{"id": 1}\nnot json at all\n{"id": 2}\n')
    sql = (
        "CREATE TABLE events (id BIGINT) WITH ('connectors' = '"
        + json.dumps(
            [
                {
                    "name": "tail",
                    "transport": {"name": "file_input", "config": {"path": str(source)}},
                    "format": {"name": "json"},
                }
            ]
        )
        + "');"
    )
    start_shop(cli, tmp_path, sql)

    def finished() -> bool:
        shown = cli("connector", "stats", "shop", "events", "tail", "--json")
        return bool(json.loads(shown.stdout)["metrics"]["end_of_input"])

    eventually(finished, "the end of the file")
    shown = cli("connector", "stats", "shop", "events", "tail")
    assert shown.exit_code == 0
    for text in ("Finished", "parse errors", "recent errors of events.tail", "not json at all"):
        assert text in shown.stdout
    stats = cli("pipeline", "stats", "shop", "--errors")
    assert "not json at all" in stats.stdout
    assert "Finished" in stats.stdout
