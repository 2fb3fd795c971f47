"""The pipeline model: the 2x2 rule, deployment status, start_after, programs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from headwater.domain.errors import InvalidProgram
from headwater.domain.pipelines import (
    ConnectorState,
    DesiredStatus,
    Pipeline,
    Program,
    RuntimeStatus,
    connector_active,
    ready_to_start,
)
from headwater.services.pipelines.program import parse_sql, render_sql

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("pipeline_running", "connector_paused", "active"),
    [(False, True, False), (False, False, False), (True, True, False), (True, False, True)],
)
def test_a_connector_is_active_only_when_both_run(
    pipeline_running: bool, connector_paused: bool, active: bool
) -> None:
    assert connector_active(pipeline_running, connector_paused) is active


def pipeline(**changes: object) -> Pipeline:
    base = Pipeline(
        id="p",
        name="p",
        owner_id=1,
        program_code="",
        program=Program(()),
        table_datasets={},
        created_at=NOW,
        updated_at=NOW,
    )
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def test_deployment_status_follows_the_lease_holder() -> None:
    held = {"lease_owner": "me", "lease_expires_at": NOW + timedelta(seconds=5)}
    assert pipeline().deployment_status(NOW) == "Stopped"
    assert pipeline(desired=DesiredStatus.RUNNING).deployment_status(NOW) == "Provisioning"
    initializing = pipeline(
        desired=DesiredStatus.RUNNING, runtime=RuntimeStatus.INITIALIZING, **held
    )
    assert initializing.deployment_status(NOW) == "Initializing"
    running = pipeline(desired=DesiredStatus.RUNNING, runtime=RuntimeStatus.RUNNING, **held)
    assert running.deployment_status(NOW) == "Running"
    assert running.deployment_status(NOW + timedelta(seconds=6)) == "Provisioning"  # lapsed
    stopping = pipeline(desired=DesiredStatus.STOPPED, runtime=RuntimeStatus.RUNNING, **held)
    assert stopping.deployment_status(NOW) == "Stopping"


def test_start_after_waits_for_every_labelled_connector() -> None:
    program = parse_sql(
        """CREATE TABLE t (id INT) WITH ('connectors' = '[
        {"name": "a", "labels": ["fill"], "transport": {"name": "datagen"}},
        {"name": "b", "labels": ["fill"], "transport": {"name": "datagen"}},
        {"name": "live", "start_after": ["fill"], "transport": {"name": "datagen"}}]')"""
    )
    live = ConnectorState("p", "t", "live", paused=True, waiting=True)
    a = ConnectorState("p", "t", "a", paused=False, end_of_input=True)
    b = ConnectorState("p", "t", "b", paused=False)
    assert ready_to_start(program, [a, b, live]) == []
    b.end_of_input = True
    assert ready_to_start(program, [a, b, live]) == [("t", "live")]
    live.waiting = False  # started (or taken over by the user): not started again
    assert ready_to_start(program, [a, b, live]) == []


def test_programs_round_trip_through_sql() -> None:
    program = parse_sql(
        'CREATE TABLE Orders (ID BIGINT NOT NULL, "Note" TEXT, PRIMARY KEY (ID));'
        "CREATE MATERIALIZED VIEW v AS SELECT id FROM orders;"
    )
    (table,) = program.tables
    assert (table.name, [c.name for c in table.columns], table.primary_key) == (
        "orders",
        ["id", "Note"],
        ("id",),
    )
    assert program.views[0].materialized
    again = parse_sql(render_sql(program))
    assert [c.name for c in again.tables[0].columns] == ["id", "Note"]


def test_unknown_start_after_labels_are_refused() -> None:
    with pytest.raises(InvalidProgram, match="which no connector has"):
        parse_sql(
            'CREATE TABLE t (id INT) WITH (\'connectors\' = \'[{"start_after": "x",'
            ' "transport": {"name": "datagen"}}]\')'
        )
