"""The name a continuous connector goes by at its source (NATS durable, MQTT client id)."""

from __future__ import annotations

from headwater.connectors.sdk import SourceContext
from headwater.domain.datasets import Column, ColumnType

COLUMNS = (Column("id", ColumnType.LONG),)


def context(table_id: str, pipeline: str = "sensors") -> SourceContext:
    return SourceContext(pipeline, "readings", "in", {}, COLUMNS, table_id=table_id)


def test_same_names_on_different_tables_are_different_clients_at_the_broker() -> None:
    # two servers sharing one broker, each with a pipeline "sensors": the broker would hand one
    # session to both and each would take the other's messages
    assert context("4a1f-one").stable_id != context("9b2c-two").stable_id


def test_the_name_stays_the_same_for_the_same_table() -> None:
    assert context("4a1f-one").stable_id == context("4a1f-one").stable_id


def test_the_name_holds_only_what_brokers_accept() -> None:
    name = context("id with spaces.and.dots").stable_id
    assert all(ch.isalnum() or ch in "-_" for ch in name)
