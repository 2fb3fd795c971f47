"""`headwater pipeline ...` against a real server: definitions from SQL files, the lifecycle
with real `datagen` connectors, statistics, queries, and the exit code of each failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from headwater.settings import PipelineSettings, Settings
from tests.cli.conftest import Run
from tests.support.live_server import LiveServer

SQL = """CREATE TABLE clicks (id BIGINT NOT NULL, page VARCHAR) WITH ('connectors' = '[
  {"name": "gen", "transport": {"name": "datagen", "config": {"plan": [{"rate": 200}]}}}
]');
CREATE TABLE orders (id BIGINT NOT NULL PRIMARY KEY, amount DOUBLE);
CREATE VIEW recent AS SELECT id FROM clicks WHERE id > 10;
"""


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"pipelines": PipelineSettings(commit_interval_seconds=0.1, poll_seconds=0.1)}
    )


@pytest.fixture
def program(tmp_path: Path) -> Path:
    path = tmp_path / "shop.sql"
    path.write_text(SQL)
    return path


def create(cli: Run, program: Path, name: str = "shop") -> None:
    made = cli("pipeline", "create", name, "--sql", str(program))
    assert made.exit_code == 0, made.output
    assert made.stdout.strip() == name


def test_create_ls_show_replace_rm(cli: Run, program: Path, tmp_path: Path) -> None:
    made = cli("pipeline", "create", "shop", "--sql", str(program), "--description", "web shop")
    assert made.exit_code == 0, made.output
    assert made.stdout == "shop\n"
    assert "created pipeline shop: tables clicks, orders; views recent" in made.stderr
    assert "headwater pipeline start shop" in made.stderr

    listed = cli("pipeline", "ls")
    assert listed.exit_code == 0
    for text in ("shop", "Stopped", "clicks, orders", "recent"):
        assert text in listed.stdout
    body = json.loads(cli("pipeline", "ls", "--json").stdout)
    assert [(p["name"], p["deployment_status"]) for p in body] == [("shop", "Stopped")]

    shown = cli("pipeline", "show", "shop")
    assert shown.exit_code == 0
    for text in ("web shop", "Stopped", "shop.clicks", "id BIGINT, page VARCHAR", "recent"):
        assert text in shown.stdout
    assert cli("pipeline", "show", "shop", "--sql").stdout == SQL
    full = json.loads(cli("pipeline", "show", "shop", "--json").stdout)
    assert full["program_code"] == SQL
    assert full["description"] == "web shop"

    # the program from stdin; --replace swaps the program of a stopped pipeline
    replaced = cli(
        "pipeline", "create", "shop", "--sql", "-", "--replace",
        input="CREATE TABLE clicks (id BIGINT NOT NULL);\n",
    )  # fmt: skip
    assert replaced.exit_code == 0, replaced.output
    assert "saved pipeline shop: tables clicks; views none" in replaced.stderr
    assert "orders" not in cli("pipeline", "show", "shop").stdout

    asked = cli("pipeline", "rm", "shop", input="n\n")
    assert asked.exit_code == 1  # declined: Click's abort
    assert cli("pipeline", "show", "shop").exit_code == 0
    removed = cli("pipeline", "rm", "shop", "--yes")
    assert removed.exit_code == 0
    assert "deleted pipeline shop" in removed.stderr
    gone = cli("pipeline", "show", "shop")
    assert gone.exit_code == 1
    assert "404 UnknownPipelineName" in gone.stderr
    # its tables stay, as datasets
    assert "shop.clicks" in cli("dataset", "ls").stdout


def test_failures_and_their_exit_codes(cli: Run, program: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.sql"
    bad.write_text("CREATE TABLE broken (id BIGINT")
    refused = cli("pipeline", "create", "shop", "--sql", str(bad))
    assert refused.exit_code == 1
    assert "400 ProgramParseError" in refused.stderr
    missing = cli("pipeline", "create", "shop", "--sql", str(tmp_path / "none.sql"))
    assert missing.exit_code == 2
    create(cli, program)
    twice = cli("pipeline", "create", "shop", "--sql", str(program))
    assert twice.exit_code == 1
    assert "409 DuplicateName" in twice.stderr

    for command in (["start"], ["stats"], ["show"], ["query", "SELECT 1"]):
        unknown = cli("pipeline", command[0], "nope", *command[1:])
        assert unknown.exit_code == 1, command
        assert "404 UnknownPipelineName" in unknown.stderr
    paused = cli("pipeline", "pause", "shop")  # pausing a stopped pipeline
    assert paused.exit_code == 1
    assert "400 PauseWhileNotProvisioned" in paused.stderr
    stats = cli("pipeline", "stats", "shop")  # a stopped one has no stats
    assert stats.exit_code == 1
    assert "is not deployed: start it first" in stats.stderr
    assert "503 PipelineInteractionNotDeployed" in stats.stderr
    query = cli("pipeline", "query", "shop", "SELECT * FROM nowhere")
    assert query.exit_code == 1
    assert "400 AdHocQueryError" in query.stderr
    unreachable = cli("pipeline", "ls", env={"HEADWATER_URL": "http://127.0.0.1:9"})
    assert unreachable.exit_code == 3


def test_start_without_a_process_to_run_it(cli: Run, program: Path) -> None:
    """No supervisor runs in this server, so nobody takes the pipeline: the wait gives up."""
    create(cli, program)
    waited = cli("pipeline", "start", "shop", "--timeout", "0.5")
    assert waited.exit_code == 1
    assert "pipeline 'shop' is still Provisioning, not Running, after 0.5 s" in waited.stderr
    # a pipeline on its way cannot be deleted
    busy = cli("pipeline", "rm", "shop", "--yes")
    assert busy.exit_code == 1
    assert "DeleteRestrictedToFullyStopped" in busy.stderr
    started = cli("pipeline", "start", "shop", "--no-wait", "--json")
    assert started.exit_code == 0
    assert json.loads(started.stdout)["deployment_desired_status"] == "Running"


def test_lifecycle_stats_and_query(cli: Run, program: Path, running: LiveServer) -> None:
    create(cli, program)
    started = cli("pipeline", "start", "shop")
    assert started.exit_code == 0, started.output
    assert "pipeline shop: Running (in " in started.stderr
    stats = cli("pipeline", "stats", "shop")
    assert stats.exit_code == 0, stats.output
    for text in ("Running", "records in", "clicks", "gen", "Healthy"):
        assert text in stats.stdout
    body = json.loads(cli("pipeline", "stats", "shop", "--json").stdout)
    assert body["global_metrics"]["state"] == "Running"
    assert [i["endpoint_name"] for i in body["inputs"]] == ["clicks.gen"]
    with_errors = cli("pipeline", "stats", "shop", "--errors", "--json")
    assert json.loads(with_errors.stdout)["inputs"][0]["parse_errors"] == []

    paused = cli("pipeline", "pause", "shop", "--json")
    assert paused.exit_code == 0
    assert json.loads(paused.stdout)["deployment_status"] == "Paused"
    assert "Paused by pipeline (Paused)" in cli("connector", "ls", "shop").stdout
    resumed = cli("pipeline", "resume", "shop")
    assert "pipeline shop: Running" in resumed.stderr

    counted = cli("pipeline", "query", "shop", "SELECT count(*) AS n FROM clicks")
    assert counted.exit_code == 0
    assert "n" in counted.stdout
    assert "1 rows" in counted.stderr
    first = cli("pipeline", "query", "shop", "SELECT id FROM clicks ORDER BY id LIMIT 2", "--json")
    assert json.loads(first.stdout) == [{"id": 0}, {"id": 1}]

    stopped = cli("pipeline", "stop", "shop")
    assert stopped.exit_code == 0
    assert "pipeline shop: Stopped" in stopped.stderr
    # stopped, the data is still there to query
    after = json.loads(
        cli("pipeline", "query", "shop", "SELECT count(*) AS n FROM recent", "--json").stdout
    )
    assert after[0]["n"] > 0
    # started again it shows Running, then can be removed once stopped
    assert cli("pipeline", "start", "shop", "--paused").exit_code == 0
    assert "Paused" in cli("pipeline", "show", "shop").stdout
    assert cli("pipeline", "stop", "shop").exit_code == 0
    assert cli("pipeline", "rm", "shop", "--yes").exit_code == 0
