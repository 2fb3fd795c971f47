"""What survives a restart of `headwater serve`, and background compaction of a live table."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from deltalake import DeltaTable
from feldera import FelderaClient, Pipeline, PipelineBuilder
from feldera.enums import PipelineStatus

from tests.e2e.test_feldera_client import wait_for

pytestmark = pytest.mark.e2e

TOKEN = "hw_e2e-restart-token"


def program(rate: int) -> str:
    connectors = [
        {"name": "gen", "transport": {"name": "datagen", "config": {"plan": [{"rate": rate}]}}}
    ]
    return f"CREATE TABLE t (id BIGINT) WITH ('connectors' = '{json.dumps(connectors)}');"


def tally(pipeline: Any) -> dict[str, int]:
    (row,) = pipeline.query(
        "SELECT count(*) AS n, count(DISTINCT id) AS d, coalesce(max(id), -1) AS m FROM t"
    )
    return {k: int(v) for k, v in row.items()}


def test_a_paused_connector_stays_paused_across_a_restart(server_factory: Any) -> None:
    server = server_factory(admin_token=TOKEN, HEADWATER_PIPELINES__COMMIT_INTERVAL_SECONDS="0.2")
    server.start()
    client = FelderaClient(server.url, api_key=TOKEN)
    pipeline = PipelineBuilder(client, "steady", program(200)).create_or_replace()
    pipeline.start()
    wait_for(lambda: tally(pipeline)["n"] > 50, what="rows")
    pipeline.pause_input_connector("t", "gen")
    wait_for(lambda: client.input_connector_stats("steady", "t", "gen")["paused"])
    server.stop()  # a clean stop: the supervisor commits what it buffered
    server.start()
    client = FelderaClient(server.url, api_key=TOKEN)
    pipeline = Pipeline.get("steady", client)
    wait_for(lambda: pipeline.status() is PipelineStatus.RUNNING, what="running after restart")
    assert client.input_connector_stats("steady", "t", "gen")["paused"] is True
    held = tally(pipeline)
    time.sleep(1.5)
    assert tally(pipeline) == held
    pipeline.start_input_connector("t", "gen")
    wait_for(lambda: tally(pipeline)["n"] > held["n"] + 50, what="rows after start")
    after = tally(pipeline)
    assert after["n"] == after["d"] == after["m"] + 1  # resumed where the table stopped


def test_a_live_table_is_compacted_in_the_background(server_factory: Any, tmp_path: Path) -> None:
    server = server_factory(
        admin_token=TOKEN,
        HEADWATER_PIPELINES__COMMIT_INTERVAL_SECONDS="0.05",
        HEADWATER_PIPELINES__COMPACT_EVERY_SECONDS="1",
        HEADWATER_PIPELINES__COMPACT_MIN_FILES="8",
    )
    server.start()
    client = FelderaClient(server.url, api_key=TOKEN)
    pipeline = PipelineBuilder(client, "small", program(400)).create_or_replace()
    pipeline.start()
    datasets = tmp_path / "data" / "datasets"
    wait_for(lambda: any(datasets.glob("*/_delta_log")), what="the table")
    (folder,) = [p.parent for p in datasets.glob("*/_delta_log")]

    def compacted() -> bool:
        history = DeltaTable(str(folder)).history()
        return any(entry.get("operation") == "OPTIMIZE" for entry in history)

    wait_for(compacted, timeout=60, what="an OPTIMIZE commit")
    assert len(DeltaTable(str(folder)).file_uris()) < 8 + 20  # merged, while commits go on
    wait_for(lambda: tally(pipeline)["n"] > 600, what="more rows")
    after = tally(pipeline)
    assert after["n"] == after["d"] == after["m"] + 1  # compaction lost and doubled nothing
