"""The one way into a table: a commit that fails after it landed is settled, not undone.

The composition root takes its ports, so the Delta store here is the real one with a fault
added after its commit (as a lost connection or a crash of the caller's thread would leave
things): the rows are in the table's log, and the execution must say SUCCESS, not ERROR.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from headwater.adapters.datasets.delta_store import DeltaDatasetStore
from headwater.bootstrap import build_app, compose, open_ports
from headwater.domain.ports.storage import CommitResult
from headwater.settings import Settings
from tests.api.conftest import Api
from tests.api.test_uploads import Upload
from tests.conftest import ADMIN_TOKEN


class FailsAfterCommit(DeltaDatasetStore):
    """The real store; each commit of files lands, then raises, while `armed`."""

    armed = False

    def commit_files(self, *args: Any, **kwargs: Any) -> CommitResult:
        result = super().commit_files(*args, **kwargs)
        if self.armed:
            raise OSError("connection lost after the commit")
        return result


@pytest.fixture
def faulty(settings: Settings) -> Iterator[tuple[Api, FailsAfterCommit]]:
    ports = open_ports(settings)
    store = FailsAfterCommit(settings.datasets_dir)
    runtime = compose(settings, replace(ports, store=store))
    runtime.open()
    runtime.services.identity.auth.ensure_admin(ADMIN_TOKEN)
    try:
        with TestClient(build_app(runtime)) as client:
            yield Api(client, ADMIN_TOKEN), store
    finally:
        runtime.close()


def test_a_commit_that_fails_after_landing_ends_in_success(
    faulty: tuple[Api, FailsAfterCommit],
) -> None:
    api, store = faulty
    upload = Upload(api, method="APPEND")
    first = upload.start()
    assert upload.part(first, 1, b"a,1,2024-01-01T00:00:00\n").status_code == 200
    assert upload.commit(first).status_code == 200

    store.armed = True
    second = upload.start()
    assert upload.part(second, 1, b"b,2,2024-01-02T00:00:00\n").status_code == 200
    committed = upload.commit(second)
    store.armed = False

    assert committed.status_code == 200, committed.text
    execution = api.get(f"/api/data/v1/streams/{upload.stream_id}/executions/{second}").json()
    assert execution["currentState"] == "SUCCESS", execution
    assert upload.rows() == [("a", 1), ("b", 2)]  # the landed rows stay, once
    dataset = upload.dataset()
    assert dataset["rowCount"] == 2, dataset  # and the metadata counts them
    assert dataset["dataVersion"] == execution["dataVersion"], (dataset, execution)
