"""The real `feldera` client (PyPI, unchanged) driving pipelines on a real `headwater serve`."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from feldera import FelderaClient, PipelineBuilder
from feldera.enums import PipelineFieldSelector, PipelineStatus
from feldera.rest.errors import FelderaAPIError

pytestmark = pytest.mark.e2e

TOKEN = "hw_e2e-feldera-token"

PROGRAM = """
CREATE TABLE gen (id BIGINT NOT NULL, label VARCHAR) WITH ('connectors' = '[
  {"name": "batch", "transport": {"name": "datagen",
    "config": {"plan": [{"limit": 400, "rate": 50}]}}}
]');
CREATE TABLE live (id BIGINT) WITH ('connectors' = '[
  {"name": "ticks", "transport": {"name": "datagen", "config": {"plan": [{"rate": 50}]}}}
]');
CREATE TABLE orders (id BIGINT NOT NULL PRIMARY KEY, item VARCHAR, amount DOUBLE);
CREATE VIEW big_orders AS SELECT id, item FROM orders WHERE amount >= 10;
"""


def wait_for(condition: Callable[[], Any], timeout: float = 60.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what or condition}")


def count(pipeline: Any, table: str) -> int:
    rows = list(pipeline.query(f"SELECT count(*) AS n FROM {table}"))
    return int(rows[0]["n"])


@pytest.fixture
def client(server_factory: Any) -> FelderaClient:
    server = server_factory(admin_token=TOKEN, HEADWATER_PIPELINES__COMMIT_INTERVAL_SECONDS="0.2")
    server.start()
    return FelderaClient(server.url, api_key=TOKEN)


def test_lifecycle_connectors_stats_ingress_and_query(client: FelderaClient) -> None:
    pipeline = PipelineBuilder(client, "shop", PROGRAM).create_or_replace()
    assert {t.name for t in pipeline.tables()} == {"gen", "live", "orders"}
    pipeline.start()
    assert pipeline.status() is PipelineStatus.RUNNING

    # connector pause: the table stops growing; start: it carries on to the end of its input
    wait_for(lambda: count(pipeline, "gen") > 0, what="datagen rows")
    pipeline.pause_input_connector("gen", "batch")
    stats = client.input_connector_stats("shop", "gen", "batch")
    assert stats["paused"] is True
    settled = wait_for(
        lambda: (
            client.input_connector_stats("shop", "gen", "batch")["metrics"]["buffered_records"] == 0
        ),
        what="the buffer to drain",
    )
    assert settled
    held = count(pipeline, "gen")
    time.sleep(1.5)
    assert count(pipeline, "gen") == held < 400
    pipeline.start_input_connector("gen", "batch")
    wait_for(
        lambda: client.input_connector_stats("shop", "gen", "batch")["metrics"]["end_of_input"],
        what="end of input",
    )
    rows = list(pipeline.query("SELECT count(*) AS n, count(DISTINCT id) AS d FROM gen"))
    assert rows == [{"n": 400, "d": 400}]

    # the pipeline's stats, as the client parses them
    statistics = pipeline.stats()
    assert statistics.global_metrics.state is PipelineStatus.RUNNING
    endpoints = [i.endpoint_name for i in statistics.inputs]
    assert endpoints == sorted(endpoints) == ["gen.batch", "live.ticks"]
    by_name = {i.endpoint_name: i for i in statistics.inputs}
    assert by_name["gen.batch"].metrics.total_records == 400
    assert by_name["gen.batch"].metrics.end_of_input is True

    # pipeline paused, connector running: not active (the seed's 2x2 table)
    pipeline.pause()
    assert pipeline.status() is PipelineStatus.PAUSED
    assert pipeline.stats().global_metrics.state is PipelineStatus.PAUSED
    assert client.input_connector_stats("shop", "live", "ticks")["paused"] is False
    wait_for(
        lambda: (
            client.input_connector_stats("shop", "live", "ticks")["metrics"]["buffered_records"]
            == 0
        )
    )
    frozen = count(pipeline, "live")
    time.sleep(1.5)
    assert count(pipeline, "live") == frozen
    pipeline.resume()
    wait_for(lambda: count(pipeline, "live") > frozen, what="live rows after resume")

    # ingress: raw JSON, insert/delete (a primary key: insert replaces), CSV
    pipeline.input_json("orders", {"id": 1, "item": "pen", "amount": 2.5})
    pipeline.input_json(
        "orders",
        [
            {"insert": {"id": 2, "item": "desk", "amount": 120.0}},
            {"insert": {"id": 3, "item": "lamp", "amount": 30.0}},
            {"delete": {"id": 1}},
            {"insert": {"id": 2, "item": "desk", "amount": 99.0}},
        ],
        update_format="insert_delete",
    )
    client.push_to_pipeline("shop", "orders", "csv", "4,chair,45\n5,mug,3\n")
    rows = list(pipeline.query("SELECT id, item, amount FROM orders ORDER BY id"))
    assert rows == [
        {"id": 2, "item": "desk", "amount": Decimal("99.0")},
        {"id": 3, "item": "lamp", "amount": Decimal("30.0")},
        {"id": 4, "item": "chair", "amount": Decimal("45.0")},
        {"id": 5, "item": "mug", "amount": Decimal("3.0")},
    ]
    assert [r["id"] for r in pipeline.query("SELECT id FROM big_orders ORDER BY id")] == [2, 3, 4]

    # errors the client raises, with Feldera's codes
    with pytest.raises(FelderaAPIError) as unknown:
        pipeline.pause_input_connector("gen", "nope")
    assert unknown.value.error_code == "UnknownInputEndpoint"
    assert unknown.value.status_code == 404
    with pytest.raises(FelderaAPIError) as bad:
        pipeline.input_json("orders", {"id": "not a number"})
    assert bad.value.error_code == "ParseErrors"
    with pytest.raises(FelderaAPIError) as sql:
        list(pipeline.query("SELECT * FROM read_csv('/etc/passwd')"))
    assert sql.value.error_code == "AdHocQueryError"

    pipeline.stop(force=True)
    assert pipeline.status() is PipelineStatus.STOPPED
    pipeline.clear_storage()
    pipeline.delete()
    with pytest.raises(FelderaAPIError) as gone:
        client.get_pipeline("shop", PipelineFieldSelector.STATUS)
    assert gone.value.error_code == "UnknownPipelineName"


def test_paused_connector_and_start_after(client: FelderaClient) -> None:
    """`paused: true` waits for a start; `start_after` starts once the labelled backfill ends."""
    program = """
    CREATE TABLE t (id BIGINT) WITH ('connectors' = '[
      {"name": "backfill", "labels": ["backfill"], "transport": {"name": "datagen",
        "config": {"plan": [{"limit": 50}]}}},
      {"name": "after", "start_after": "backfill", "transport": {"name": "datagen",
        "config": {"plan": [{"limit": 30, "fields": {"id": {"range": [1000, 2000]}}}]}}},
      {"name": "held", "paused": true, "transport": {"name": "datagen",
        "config": {"plan": [{"limit": 20, "fields": {"id": {"range": [5000, 6000]}}}]}}}
    ]');
    """
    pipeline = PipelineBuilder(client, "ordered", program).create_or_replace()
    pipeline.start()
    wait_for(lambda: count(pipeline, "t") == 80, what="backfill then the start_after connector")
    assert client.input_connector_stats("ordered", "t", "after")["paused"] is False
    assert client.input_connector_stats("ordered", "t", "held")["paused"] is True
    time.sleep(1)
    assert count(pipeline, "t") == 80
    pipeline.start_input_connector("t", "held")
    wait_for(lambda: count(pipeline, "t") == 100, what="the held connector's rows")
    low = list(pipeline.query("SELECT count(*) AS n FROM t WHERE id < 1000"))
    assert low == [{"n": 50}]


def test_decimals_reach_the_client_with_every_digit(client: FelderaClient) -> None:
    program = """
    CREATE TABLE ledger (id BIGINT, cents NUMERIC(12,2), big DECIMAL(38, 9)) WITH ('connectors' =
      '[{"name": "gen", "transport": {"name": "datagen", "config": {"plan": [{"limit": 4}]}}}]');
    """
    pipeline = PipelineBuilder(client, "books", program).create_or_replace()
    (ledger,) = pipeline.tables()
    assert [f["columntype"].get("precision") for f in ledger.fields] == [None, 12, 38]
    pipeline.start()
    wait_for(lambda: count(pipeline, "ledger") == 4, what="datagen's decimals")
    pipeline.input_json("ledger", {"id": 9, "cents": 0.1, "big": "12345678901234567890.123456789"})
    rows = list(pipeline.query("SELECT id, cents, big FROM ledger ORDER BY id"))
    assert [r["cents"] for r in rows] == [
        Decimal("0.00"),  # datagen: quarters, within each column's size
        Decimal("0.25"),
        Decimal("0.50"),
        Decimal("0.75"),
        Decimal("0.10"),
    ]
    assert rows[-1]["big"] == Decimal("12345678901234567890.123456789")
    total = list(pipeline.query("SELECT SUM(big) AS s FROM ledger"))
    assert total == [{"s": Decimal("12345678901234567891.623456789")}]
    pipeline.stop(force=True)
    pipeline.delete()
