"""A dataset's versions: the list, and restoring an older one as the current data.

A restore is an execution of the dataset's stream, like a load, so it goes through the same
gate: a stream holds at most one ACTIVE execution (a partial unique index), and a restore
while a load is uploading, reading or committing is a 409 naming that execution, never a
race. The execution starts in COMMITTING, its one Delta commit (a Delta RESTORE) carries the
execution id like every load's, so a server killed mid-restore is settled on restart by
`recovery` exactly as a load would be. It ends SUCCESS with the new version, and the dataset's
version, row count and schema follow.

On a connector stream the restore also rewinds the stream's incremental position to the one
committed with version N (`headwater.state` as of N; none if N predates the first run): rows
and position land together, as every run's do, so the next run reads again what came after N
rather than skipping it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from headwater.domain import access
from headwater.domain.datasets import UpdateMethod
from headwater.domain.errors import Conflict, HeadwaterError
from headwater.domain.executions import Execution, ExecutionState, Phase, RunType, new_toe
from headwater.domain.ports.storage import DatasetStore
from headwater.domain.ports.unit_of_work import Clock, UnitOfWorkFactory
from headwater.domain.streams import Stream
from headwater.domain.users import Principal
from headwater.domain.versions import DataVersion
from headwater.services.datasets.access import authorize
from headwater.services.datasets.table_commits import TableCommits
from headwater.services.ingest.committer import COMMIT_TAG, Committer
from headwater.services.ingest.connector_runs import STATE_KEY, STREAM_KEY, stream_position
from headwater.services.ingest.uploads import Uploads

log = logging.getLogger(__name__)

MAX_PAGE = 500


@dataclass(frozen=True)
class VersionView:
    """A version with who and what made it, as far as the metadata still knows."""

    version: DataVersion
    current: bool
    execution_id: int | None
    stream_id: int | None
    user_id: int | None
    user_name: str | None


class Versions:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        store: DatasetStore,
        clock: Clock,
        committer: Committer,
        uploads: Uploads,
        tables: TableCommits,
        runner_id: str | None = None,
    ) -> None:
        self._uow = uow
        self._store = store
        self._clock = clock
        self._committer = committer
        self._uploads = uploads
        self._runner_id = runner_id
        self._tables = tables

    def page(self, actor: Principal, dataset_id: str, limit: int, offset: int) -> list[VersionView]:
        """Newest first; each with the execution, stream and user behind it."""
        with self._uow() as uow:
            authorize(uow, actor, dataset_id, access.VIEW)
        versions = self._store.versions(dataset_id, max(0, min(limit, MAX_PAGE)), offset)
        # The newest version's log entry is never cleaned up: at offset 0 it heads the page.
        current = versions[0].version if versions and not offset else None
        views = []
        names: dict[int, str | None] = {}
        with self._uow() as uow:
            for v in versions:
                stream_id, user_id = v.stream_id, v.user_id
                execution = uow.executions.find(v.execution_id) if v.execution_id else None
                if execution is not None and execution.dataset_id == dataset_id:
                    stream_id = stream_id or execution.stream_id
                    user_id = execution.started_by
                if user_id is not None and user_id not in names:
                    user = uow.users.find(user_id)
                    names[user_id] = user.display_name if user else None
                views.append(
                    VersionView(
                        version=v,
                        current=v.version == current,
                        execution_id=v.execution_id,
                        stream_id=stream_id,
                        user_id=user_id,
                        user_name=names.get(user_id) if user_id is not None else None,
                    )
                )
        return views

    def restore(self, actor: Principal, dataset_id: str, version: int) -> Execution:
        """Make `version` the current data as a new version; the SUCCESS execution that did.
        404 for a version the dataset never had, 410 past the retention horizon, 409 for the
        current version, for a pipeline's table, or while another execution of the stream is
        ACTIVE."""
        with self._uow() as uow:
            authorize(uow, actor, dataset_id, access.EDIT)
            for pipeline in uow.pipelines.all():
                if dataset_id in pipeline.table_datasets.values():
                    # Its connectors resume from positions in their own commits, which a
                    # restore cannot rewind with the rows: refused rather than inconsistent.
                    raise Conflict(
                        f"dataset {dataset_id} is a table of pipeline {pipeline.name!r}, whose "
                        "connectors write it; its versions can be read, not restored",
                        code="PIPELINE_TABLE",
                    )
        restored = self._store.version_snapshot(dataset_id, version)  # 404 / 410 before anything
        if self._store.version(dataset_id) == version:
            raise Conflict(
                f"version {version} is the current version already", code="VERSION_CURRENT"
            )
        # The dataset's stream (an API stream is made for a dataset that has none yet, as an
        # upload does), whose one-ACTIVE-execution rule keeps loads and restores apart.
        stream_id = self._uploads.dataset_stream_id(actor, dataset_id)
        execution, stream = self._start(actor, stream_id)
        metadata = {COMMIT_TAG: str(execution.id), **self._position_as_of(stream, version)}
        try:
            result = self._store.restore(dataset_id, version, metadata)
        except HeadwaterError as exc:
            self._committer.end(execution.id, ExecutionState.ERROR, error=exc.message)
            raise
        except Exception as exc:
            log.exception("restore of dataset %s to version %s failed", dataset_id, version)
            landed = self._store.find_commit(dataset_id, COMMIT_TAG, str(execution.id))
            if landed is None:
                # The storage error names server paths: logged in full, answered in words.
                why = f"the restore of version {version} failed ({type(exc).__name__}); the "
                why += "data is as it was"
                self._committer.end(execution.id, ExecutionState.ERROR, error=why)
                raise Conflict(why, code="RESTORE_FAILED", executionId=execution.id) from None
            result = landed  # it failed after its commit landed: settled as recovery would
        position = None
        if STREAM_KEY in metadata:  # the stream's position rewinds with its rows
            state = json.loads(metadata.get(STATE_KEY, "{}"))
            position = (stream_position(dataset_id, stream.id), state)
        # The restored version's schema comes back with its rows.
        self._tables.landed(
            dataset_id, result, restored.columns, position=position, schema_changed=True
        )
        return self._committer.end(execution.id, ExecutionState.SUCCESS, result=result)

    def _start(self, actor: Principal, stream_id: int) -> tuple[Execution, Stream]:
        with self._uow() as uow:
            stream = uow.streams.find(stream_id)
            assert stream is not None  # made or found just now; streams go with their dataset
            active = uow.executions.active_for_stream(stream_id)
            if active is not None:
                raise Conflict(
                    f"execution {active.id} of stream {stream_id} is still ACTIVE; restore once "
                    "it has ended",
                    code="EXECUTION_ACTIVE",
                    executionId=active.id,
                )
            execution = uow.executions.add(  # a racing load loses on the unique index: 409
                Execution(
                    id=0,
                    stream_id=stream_id,
                    dataset_id=stream.dataset_id,
                    state=ExecutionState.ACTIVE,
                    phase=Phase.COMMITTING,
                    run_type=RunType.MANUAL,
                    update_method=UpdateMethod.REPLACE,
                    started_at=self._clock.now(),
                    started_by=actor.id,
                    toe=new_toe(),
                    runner_id=self._runner_id,
                )
            )
            uow.commit()
        return execution, stream

    def _position_as_of(self, stream: Stream, version: int) -> dict[str, str]:
        """A connector stream's position as committed with `version` (see the module)."""
        if stream.transport.is_upload:
            return {}
        tags = {STREAM_KEY: str(stream.id)}
        found = self._store.metadata_as_of(stream.dataset_id, version, STREAM_KEY, str(stream.id))
        if found and STATE_KEY in found:
            tags[STATE_KEY] = found[STATE_KEY]
        return tags
