"""Two `headwater serve` processes on one PostgreSQL database: a pipeline's connectors run in
exactly one of them, and the other takes over when the holder dies."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from feldera import FelderaClient, Pipeline, PipelineBuilder
from feldera.enums import PipelineFieldSelector, PipelineStatus

from tests.e2e.test_feldera_client import wait_for

pytestmark = pytest.mark.e2e

TOKEN = "hw_e2e-lease-token"


def holder(client: FelderaClient) -> str | None:
    pipeline = client.get_pipeline("shared", PipelineFieldSelector.STATUS)
    return getattr(pipeline, "deployment_location", None)


def tally(pipeline: Any) -> dict[str, int]:
    (row,) = pipeline.query(
        "SELECT count(*) AS n, count(DISTINCT id) AS d, coalesce(max(id), -1) AS m FROM t"
    )
    return {k: int(v) for k, v in row.items()}


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_one_process_runs_a_pipeline_and_another_takes_over(server_factory: Any) -> None:
    env = {
        "HEADWATER_PIPELINES__LEASE_SECONDS": "2",
        "HEADWATER_PIPELINES__COMMIT_INTERVAL_SECONDS": "0.2",
    }
    first = server_factory(admin_token=TOKEN, **env)
    second = server_factory(**env)  # same data directory and database
    first.start()
    second.start()
    assert first.port != second.port
    via_first = FelderaClient(first.url, api_key=TOKEN)
    via_second = FelderaClient(second.url, api_key=TOKEN)
    connectors = [
        {"name": "gen", "transport": {"name": "datagen", "config": {"plan": [{"rate": 300}]}}}
    ]
    program = f"CREATE TABLE t (id BIGINT) WITH ('connectors' = '{json.dumps(connectors)}');"
    pipeline = PipelineBuilder(via_first, "shared", program).create_or_replace()
    pipeline.start()

    owner = wait_for(lambda: holder(via_first), what="a lease holder")
    pids = {first.process.pid: first, second.process.pid: second}
    owner_pid = int(owner.split(":")[1])
    assert owner_pid in pids
    for _ in range(10):  # it stays with one process while both run
        assert holder(via_first) == holder(via_second) == owner
        time.sleep(0.3)
    before = tally(pipeline)
    assert before["n"] > 0
    assert before["n"] == before["d"] == before["m"] + 1  # no row made twice

    dead = pids[owner_pid]
    survivor = second if dead is first else first
    survivor_client = via_second if dead is first else via_first
    dead.kill()
    new_owner = wait_for(
        lambda: (h := holder(survivor_client)) and h != owner and h,
        timeout=30,
        what="the survivor to take over",
    )
    assert int(new_owner.split(":")[1]) == survivor.process.pid
    on_survivor = Pipeline.get("shared", survivor_client)
    wait_for(lambda: on_survivor.status() is PipelineStatus.RUNNING, what="Running again")
    wait_for(lambda: tally(on_survivor)["n"] > before["n"] + 100, what="rows from the survivor")
    after = tally(on_survivor)
    assert after["n"] == after["d"] == after["m"] + 1  # continued from the committed position
