"""Pipelines through the client against a real server over HTTP: definitions, lifecycle,
statistics, connector control and queries, with the supervisor running real `datagen`
connectors."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from headwater.client import (
    AsyncClient,
    BadRequest,
    Client,
    Conflict,
    InvalidQuery,
    NotFound,
    PipelineTimeout,
)
from headwater.settings import PipelineSettings, Settings
from tests.client.conftest import QUICK_RETRY
from tests.conftest import ADMIN_TOKEN
from tests.support.live_server import LiveServer

SQL = """
CREATE TABLE clicks (id BIGINT NOT NULL, page VARCHAR) WITH ('connectors' = '[
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


def eventually(condition: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def records(hw: Client) -> int:
    stats = hw.pipelines.connector_stats("shop", "clicks", "gen")
    return stats.total_records


def settled(hw: Client) -> int:
    """The connector's count once it stopped moving for a second."""
    last = records(hw)
    while True:
        time.sleep(1.0)
        now = records(hw)
        if now == last:
            return now
        last = now


def test_create_get_list_replace_delete(hw: Client) -> None:
    made = hw.pipelines.create("shop", SQL, description="the shop")
    assert (made.name, made.status, made.desired_status) == ("shop", "Stopped", "Stopped")
    assert made.description == "the shop"
    assert [t.name for t in made.tables] == ["clicks", "orders"]
    assert [(c.name, c.type) for c in made.tables[0].columns] == [
        ("id", "BIGINT"),
        ("page", "VARCHAR"),
    ]
    assert made.views == ["recent"]
    assert made.program_code is not None
    assert "datagen" in made.program_code
    assert made.created_at is not None
    assert made.created_at.tzinfo is not None
    assert hw.pipelines.get("shop").id == made.id
    assert [p.name for p in hw.pipelines.list()] == ["shop"]
    # every table is a dataset
    assert {d.name for d in hw.datasets.list()} == {"shop.clicks", "shop.orders"}

    replaced = hw.pipelines.replace("shop", "CREATE TABLE clicks (id BIGINT NOT NULL);")
    assert [t.name for t in replaced.tables] == ["clicks"]
    assert replaced.version is not None
    assert made.version is not None
    assert replaced.version > made.version
    hw.pipelines.delete("shop")
    with pytest.raises(NotFound) as gone:
        hw.pipelines.get("shop")
    assert gone.value.code == "UnknownPipelineName"
    # the tables stay, as datasets with their data
    assert "shop.clicks" in {d.name for d in hw.datasets.list()}
    # replace creates a pipeline that does not exist
    assert hw.pipelines.replace("other", "CREATE TABLE t (x BIGINT);").status == "Stopped"


def test_errors_are_typed(hw: Client) -> None:
    with pytest.raises(BadRequest) as bad:
        hw.pipelines.create("shop", "CREATE TABLE broken (id BIGINT")
    assert bad.value.code == "ProgramParseError"
    assert bad.value.status_code == 400
    hw.pipelines.create("shop", SQL)
    with pytest.raises(Conflict) as twice:
        hw.pipelines.create("shop", SQL)
    assert twice.value.code == "DuplicateName"
    with pytest.raises(NotFound):
        hw.pipelines.start("nope")
    with pytest.raises(BadRequest) as stopped:
        hw.pipelines.pause("shop")  # not started
    assert stopped.value.code == "PauseWhileNotProvisioned"
    with pytest.raises(InvalidQuery) as query:
        hw.pipelines.query("shop", "SELECT * FROM nowhere")
    assert query.value.code == "AdHocQueryError"
    with pytest.raises(ValueError, match="not both"):
        hw.pipelines.create("x", "CREATE TABLE t (x BIGINT);", tables=[])


class Counting(httpx.HTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(f"{request.method} {request.url.path}")
        return super().handle_request(request)


def test_a_stopped_pipeline_is_a_conflict_at_once(server: LiveServer) -> None:
    """Its 503 PipelineInteractionNotDeployed says the pipeline is stopped: no retry helps."""
    counting = Counting()
    with Client(server.url, token=ADMIN_TOKEN, retry=QUICK_RETRY, transport=counting) as hw:
        hw.pipelines.create("shop", SQL)
        for call in (
            lambda: hw.pipelines.stats("shop"),
            lambda: hw.pipelines.connector_stats("shop", "clicks", "gen"),
            lambda: hw.pipelines.pause_connector("shop", "clicks", "gen"),
        ):
            before = len(counting.requests)
            with pytest.raises(Conflict) as stopped:
                call()
            assert (stopped.value.status_code, stopped.value.code) == (
                503,
                "PipelineInteractionNotDeployed",
            )
            assert "start it first" in stopped.value.message
            assert len(counting.requests) == before + 1  # sent once


def test_start_without_a_process_to_run_it_times_out(hw: Client) -> None:
    # no supervisor runs in this server: nobody takes the pipeline's lease
    hw.pipelines.create("shop", SQL)
    with pytest.raises(PipelineTimeout) as waited:
        hw.pipelines.start("shop", timeout=0.5)
    assert waited.value.pipeline.status == "Provisioning"
    assert waited.value.wanted == "Running"
    assert "still Provisioning, not Running" in str(waited.value)
    assert hw.pipelines.stop("shop", wait=False).desired_status == "Stopped"


def test_lifecycle_stats_and_connector_control(hw: Client, running: LiveServer) -> None:
    hw.pipelines.create("shop", SQL)
    started = hw.pipelines.start("shop")
    assert started.status == "Running"
    assert started.location  # the process holding the lease
    eventually(lambda: records(hw) > 0, "datagen rows")
    stats = hw.pipelines.stats("shop")
    assert stats.state == "Running"
    assert [(c.table, c.name, c.paused) for c in stats.inputs] == [("clicks", "gen", False)]
    assert stats.connector("clicks", "gen") is not None
    assert stats.started_at is not None
    gen = hw.pipelines.connector_stats("shop", "clicks", "gen")
    assert (gen.endpoint, gen.health, gen.end_of_input) == ("clicks.gen", "Healthy", False)

    # a paused connector stops reading; started again, it carries on
    hw.pipelines.pause_connector("shop", "clicks", "gen")
    assert hw.pipelines.connector_stats("shop", "clicks", "gen").paused
    held = settled(hw)
    rows = hw.pipelines.query("shop", "SELECT count(*) AS n FROM clicks").rows
    assert rows == [{"n": held}]  # everything it read is committed
    hw.pipelines.start_connector("shop", "clicks", "gen")
    eventually(lambda: records(hw) > held, "more rows after the connector started")

    # the whole pipeline pauses and resumes; views are queried like tables
    assert hw.pipelines.pause("shop").status == "Paused"
    assert hw.pipelines.stats("shop").state == "Paused"
    assert hw.pipelines.resume("shop").status == "Running"
    view = hw.pipelines.query("shop", "SELECT count(*) AS n FROM recent").rows
    assert view[0]["n"] > 0
    assert hw.pipelines.query("shop", "SELECT id FROM clicks WHERE id < 0").rows == []
    many = hw.pipelines.query("shop", "SELECT id FROM clicks ORDER BY id LIMIT 3").rows
    assert many == [{"id": 0}, {"id": 1}, {"id": 2}]

    with pytest.raises(NotFound) as unknown:
        hw.pipelines.pause_connector("shop", "clicks", "nope")
    assert unknown.value.code == "UnknownInputEndpoint"
    assert hw.pipelines.stop("shop").status == "Stopped"
    # stopped, its data stays queryable
    assert hw.pipelines.query("shop", "SELECT count(*) AS n FROM clicks").rows[0]["n"] > held


def test_start_paused(hw: Client, running: LiveServer) -> None:
    hw.pipelines.create("shop", SQL)
    assert hw.pipelines.start("shop", paused=True).status == "Paused"
    assert records(hw) == 0
    assert hw.pipelines.start("shop").status == "Running"  # start resumes a paused one
    eventually(lambda: records(hw) > 0, "rows once running")
    hw.pipelines.stop("shop")


@pytest.fixture
async def running_ahw(running: LiveServer) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(running.url, token=ADMIN_TOKEN, retry=QUICK_RETRY) as client:
        yield client


@pytest.mark.anyio
async def test_the_async_client(running_ahw: AsyncClient) -> None:
    ahw = running_ahw
    await ahw.pipelines.create("shop", SQL)
    assert [p.name for p in await ahw.pipelines.list()] == ["shop"]
    assert (await ahw.pipelines.get("shop")).tables[0].name == "clicks"
    assert (await ahw.pipelines.start("shop")).status == "Running"
    await ahw.pipelines.pause_connector("shop", "clicks", "gen")
    assert (await ahw.pipelines.connector_stats("shop", "clicks", "gen")).paused
    await ahw.pipelines.start_connector("shop", "clicks", "gen")
    stats = await ahw.pipelines.stats("shop", errors=True)
    assert stats.inputs[0].parse_errors == []
    assert not stats.inputs[0].paused
    assert (await ahw.pipelines.pause("shop")).status == "Paused"
    assert (await ahw.pipelines.resume("shop")).status == "Running"
    assert (await ahw.pipelines.stop("shop")).status == "Stopped"
    assert (await ahw.pipelines.query("shop", "SELECT 1 AS one")).rows == [{"one": 1}]
    await ahw.pipelines.replace("shop", "CREATE TABLE t (x BIGINT);")
    await ahw.pipelines.delete("shop")
    assert await ahw.pipelines.list() == []
