"""Records with fields their table does not declare, read by a running connector (the
supervisor runs a real `file_input`), seen through `/v0` stats on SQLite and PostgreSQL:
counted and named under EVOLVE, parse errors under STRICT."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from headwater.settings import PipelineSettings, Settings
from tests.conftest import ADMIN_TOKEN
from tests.support.live_server import LiveServer


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


@pytest.fixture
def settings(settings: Settings, inbox: Path) -> Settings:
    return settings.model_copy(
        update={
            "file_roots": [inbox],
            "pipelines": PipelineSettings(commit_interval_seconds=0.1, poll_seconds=0.1),
        }
    )


def eventually(condition: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def table(name: str, source: Path, policy: str) -> str:
    connectors = [
        {
            "name": "lines",
            "transport": {"name": "file_input", "config": {"path": str(source)}},
            "format": {"name": "json"},
        }
    ]
    return (
        f"CREATE TABLE {name} (id BIGINT, note VARCHAR) WITH "
        f"('schema_policy' = '{policy}', 'connectors' = '{json.dumps(connectors)}');"
    )


LINES = (
    '{"id": 1, "note": "a", "colour": "red"}\n'
    '{"id": 2, "size": 3, "colour": "blue"}\n'
    '{"id": 3, "note": "c"}\n'
)


def test_unknown_fields_are_counted_under_evolve_and_refused_under_strict(
    running: LiveServer, inbox: Path
) -> None:
    (inbox / "loose.jsonl").write_text(LINES)
    (inbox / "strict.jsonl").write_text(LINES)
    program = table("loose", inbox / "loose.jsonl", "EVOLVE") + table(
        "strict", inbox / "strict.jsonl", "STRICT"
    )
    with httpx.Client(
        base_url=f"{running.url}/v0", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    ) as v0:
        created = v0.post("/pipelines", json={"name": "files", "program_code": program})
        assert created.status_code == 201, created.text
        assert v0.post("/pipelines/files/start").status_code == 202

        def stats(name: str) -> dict[str, Any]:
            answer = v0.get(f"/pipelines/files/tables/{name}/connectors/lines/stats")
            assert answer.status_code == 200, answer.text
            return dict(answer.json())

        def ids(name: str) -> list[int]:
            sql = f"SELECT id FROM {name} ORDER BY id"
            answer = v0.get("/pipelines/files/query", params={"sql": sql})
            return [json.loads(line)["id"] for line in answer.text.splitlines()]

        loose = eventually(
            lambda: (s := stats("loose"))["metrics"]["num_records_with_unknown_fields"] >= 2 and s,
            "records with unknown fields counted",
        )
        assert loose["metrics"]["num_records_with_unknown_fields"] == 2
        assert loose["metrics"]["unknown_fields"] == ["colour", "size"]
        assert loose["metrics"]["num_parse_errors"] == 0
        assert ids("loose") == [1, 2, 3]

        strict = eventually(
            lambda: (s := stats("strict"))["metrics"]["num_parse_errors"] >= 2 and s,
            "records with unknown fields refused",
        )
        assert strict["metrics"]["num_parse_errors"] == 2
        assert strict["metrics"]["num_records_with_unknown_fields"] == 0
        messages = [e["message"] for e in strict["parse_errors"]]
        assert "'colour'" in messages[0]
        assert "STRICT" in messages[0]
        assert "'size', 'colour'" in messages[1]
        assert ids("strict") == [3]
        v0.post("/pipelines/files/stop?force=true")
