"""`headwater stream ...`: create, list, show, run with --follow (exit 0 only on SUCCESS)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from headwater.bootstrap import Runtime
from headwater.settings import FaultSettings, Settings
from tests.cli.conftest import Run


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # each batch pauses, so a run lasts long enough to be watched
    return settings.model_copy(update={"faults": FaultSettings(pause_after_batch=0.3)})


def source_dir(runtime: Runtime, files: int = 6, bad: bool = False) -> Path:
    folder = runtime.settings.data_dir / "files" / "orders"
    folder.mkdir(parents=True)
    for n in range(files):
        rows = "".join(f"s{n}-{i},{i}\n" for i in range(100))
        (folder / f"part{n}.csv").write_text("sku,qty\n" + rows)
    if bad:
        (folder / "part9.csv").write_text("sku,qty\noops,not-a-number\n")
    return folder


def connector_stream(cli: Run, folder: Path) -> str:
    made = cli(
        "stream",
        "create",
        "Orders",
        "-c",
        "sku:STRING",
        "-c",
        "qty:LONG",
        "--provider",
        "file",
        "--config",
        f"path={folder}",
        "--config",
        "format=csv",
    )
    assert made.exit_code == 0, made.output
    return made.stdout.strip()


def test_create_ls_show(cli: Run, runtime: Runtime) -> None:
    uploads = cli("stream", "create", "Inbox", "-c", "a:STRING", "--method", "APPEND")
    assert uploads.exit_code == 0, uploads.output
    upload_id = uploads.stdout.strip()
    folder = source_dir(runtime)
    connector_id = connector_stream(cli, folder)
    listed = cli("stream", "ls")
    assert listed.exit_code == 0
    assert "uploads (API)" in listed.stdout
    assert "file" in listed.stdout
    assert {s["id"] for s in json.loads(cli("stream", "ls", "--json").stdout)} == {
        int(upload_id),
        int(connector_id),
    }
    shown = cli("stream", "show", connector_id)
    assert shown.exit_code == 0
    for text in ("Orders", "file", "REPLACE", "never", "path", "format"):
        assert text in shown.stdout
    body = json.loads(cli("stream", "show", upload_id, "--json").stdout)
    assert (body["updateMethod"], body["transport"]["type"]) == ("APPEND", "API")
    scheduled = cli(
        "stream", "create", "Nightly", "-c", "a:STRING", "--provider", "file",
        "--config", f"path={folder}", "--cron", "0 2 * * *", "--json",
    )  # fmt: skip
    assert scheduled.exit_code == 0, scheduled.output
    body = json.loads(scheduled.stdout)
    assert body["schedule"]["cron"] == "0 2 * * *"
    assert body["scheduleState"] == "ACTIVE"
    bad_cron = cli(
        "stream", "create", "Broken", "-c", "a:STRING", "--provider", "file",
        "--config", f"path={folder}", "--cron", "whenever",
    )  # fmt: skip
    assert bad_cron.exit_code == 1
    assert "schedule" in bad_cron.stderr
    upload_cron = cli("stream", "create", "Uploads", "-c", "a:STRING", "--cron", "0 2 * * *")
    assert upload_cron.exit_code == 1
    assert "API stream" in upload_cron.stderr


def test_run_follow_shows_live_rows_and_ends_with_success(cli: Run, runtime: Runtime) -> None:
    stream_id = connector_stream(cli, source_dir(runtime))
    result = cli("stream", "run", stream_id, "--follow", "--interval", "0.1")
    assert result.exit_code == 0, result.output
    rows = [
        int(r.replace(",", ""))
        for r in re.findall(r"ACTIVE UPLOADING\s+([\d,]+) rows", result.stderr)
    ]
    assert rows == sorted(rows)
    assert any(0 < r < 600 for r in rows), result.stderr  # seen on its way, not only at the end
    assert re.search(r"execution \d+: SUCCESS\s+600 rows", result.stderr)
    assert re.search(r"SUCCESS: execution \d+: 600 rows, [\d.]+ kB in [\d.]+ s", result.stderr)

    history = cli("stream", "history", stream_id)
    assert history.exit_code == 0
    assert "SUCCESS" in history.stdout
    assert "600" in history.stdout
    entries = json.loads(cli("stream", "history", stream_id, "--json").stdout)
    assert [(e["state"], e["rowsInserted"]) for e in entries] == [("SUCCESS", 600)]


def test_a_failed_run_exits_non_zero_and_says_why(cli: Run, runtime: Runtime) -> None:
    stream_id = connector_stream(cli, source_dir(runtime, files=1, bad=True))
    result = cli("stream", "run", stream_id, "-f", "--interval", "0.1")
    assert result.exit_code == 1
    assert re.search(r"error: execution \d+ ended ERROR: .*not-a-number", result.stderr), (
        result.stderr
    )
    assert "SUCCESS" not in result.stderr
    entries = json.loads(cli("stream", "history", stream_id, "--json").stdout)
    assert entries[0]["state"] == "ERROR"


def test_abort_stops_a_run_and_keeps_the_dataset_as_it_was(cli: Run, runtime: Runtime) -> None:
    stream_id = connector_stream(cli, source_dir(runtime, files=20))
    started = cli("stream", "run", stream_id, "--json")
    assert started.exit_code == 0
    execution_id = json.loads(started.stdout)["executionId"]
    aborted = cli("stream", "abort", stream_id)
    assert aborted.exit_code == 0, aborted.output
    assert f"aborted execution {execution_id}" in aborted.stderr
    again = cli("stream", "abort", stream_id, str(execution_id))
    assert again.exit_code == 1
    assert "EXECUTION_FINISHED" in again.stderr
    history = json.loads(cli("stream", "history", stream_id, "--json").stdout)
    assert [e["state"] for e in history] == ["ABORTED"]
    dataset_id = json.loads(cli("stream", "show", stream_id, "--json").stdout)["dataSource"]["id"]
    assert json.loads(cli("dataset", "show", dataset_id, "--json").stdout)["rowCount"] == 0


def test_run_without_follow_prints_the_execution_and_stream_errors(cli: Run) -> None:
    uploads = cli("stream", "create", "Inbox", "-c", "a:STRING").stdout.strip()
    opened = cli("stream", "run", uploads)
    assert opened.exit_code == 0
    assert opened.stdout.strip().isdigit()
    missing = cli("stream", "run", "999", "-f")
    assert missing.exit_code == 1
    assert "NOT_FOUND" in missing.stderr
    assert cli("stream", "show", "not-a-number").exit_code == 2
    busy = cli("stream", "rm", uploads, "--yes")
    assert busy.exit_code == 1  # its upload is still open
    assert "409" in busy.stderr
    assert cli("stream", "abort", uploads).exit_code == 0
    removed = cli("stream", "rm", uploads, "--yes")
    assert removed.exit_code == 0
    assert cli("stream", "show", uploads).exit_code == 1


def test_schedule_set_pause_resume_remove(cli: Run, runtime: Runtime) -> None:
    stream = connector_stream(cli, source_dir(runtime, files=1))
    assert "schedule       none" in cli("stream", "show", stream).stdout
    set_ = cli("stream", "schedule", stream, "--cron", "0 2 * * *")
    assert set_.exit_code == 0, set_.output
    assert "schedule 0 2 * * * (ACTIVE); next run 20" in set_.stderr
    shown = cli("stream", "show", stream)
    assert "0 2 * * * (ACTIVE)" in shown.stdout
    assert re.search(r"next run\s+20\d\d-\d\d-\d\d \d\d:\d\d:00", shown.stdout)  # local time
    body = json.loads(cli("stream", "show", stream, "--json").stdout)
    assert body["nextRunAt"].endswith("T02:00:00Z")
    assert "NEXT RUN" in cli("stream", "ls").stdout

    paused = cli("stream", "schedule", stream, "--pause", "--json")
    assert json.loads(paused.stdout)["scheduleState"] == "PAUSED"
    assert json.loads(paused.stdout)["nextRunAt"] is None
    assert "0 2 * * * (PAUSED)" in cli("stream", "show", stream).stdout
    resumed = cli("stream", "schedule", stream, "--resume")
    assert "(ACTIVE)" in resumed.stderr
    removed = cli("stream", "schedule", stream, "--remove")
    assert "schedule none; next run none" in removed.stderr

    bad = cli("stream", "schedule", stream, "--cron", "every tuesday")
    assert bad.exit_code == 1
    assert "field schedule.cron" in bad.stderr
    both = cli("stream", "schedule", stream, "--pause", "--resume")
    assert both.exit_code == 2
    assert "exactly one of" in both.stderr
    uploads = cli("stream", "create", "Inbox", "-c", "a:STRING").stdout.strip()
    refused = cli("stream", "schedule", uploads, "--cron", "0 2 * * *")
    assert refused.exit_code == 1  # an upload stream runs when a client uploads


def test_schema_policy_set_and_shown(cli: Run) -> None:
    created = cli("stream", "create", "Orders", "-c", "sku:STRING", "--schema-policy", "STRICT")
    assert created.exit_code == 0, created.output
    stream = created.stdout.strip()
    assert re.search(r"schema policy\s+STRICT", cli("stream", "show", stream).stdout)
    changed = cli("stream", "schema-policy", stream, "IGNORE_NEW")
    assert changed.exit_code == 0, changed.output
    assert "schemaPolicy IGNORE_NEW" in changed.stderr
    bad = cli("stream", "schema-policy", stream, "SOMETIMES")
    assert bad.exit_code == 1
    assert "schemaPolicy" in bad.stderr
