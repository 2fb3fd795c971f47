"""Multipart uploads: parts staged and checked as they arrive; commit lands them all at once.

Parts may arrive in parallel and in any order; re-sending a part id replaces it. Commit
applies the parts in part-id order as one Delta transaction under the execution's update
method. The dataset three-step upload (domolibrary) is the same machinery on the dataset's
stream, created on first use as an API stream.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from headwater.domain import access
from headwater.domain.datasets import Column, UpdateMethod
from headwater.domain.errors import BadData, Conflict, InvalidInput
from headwater.domain.executions import Execution, ExecutionState, Phase, RunType
from headwater.domain.parts import Part
from headwater.domain.ports.ingest import PartStaging
from headwater.domain.ports.unit_of_work import Clock, UnitOfWorkFactory
from headwater.domain.schema_policy import Incoming, SchemaChanges, SchemaPolicy, plan
from headwater.domain.streams import Stream, Transport
from headwater.domain.users import Principal
from headwater.services.datasets.access import authorize
from headwater.services.datasets.checks import for_reader
from headwater.services.ingest.committer import Committer
from headwater.services.ingest.executions import Executions, execution_of
from headwater.services.ingest.streams import authorize_stream

MAX_PART_ID = 100_000


class Uploads:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        staging: PartStaging,
        committer: Committer,
        executions: Executions,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._staging = staging
        self._committer = committer
        self._executions = executions

    def put_part(
        self,
        actor: Principal,
        stream_id: int,
        execution_id: int,
        part_id: int,
        chunks: Iterable[bytes],
        gzip_hint: bool = False,
        header: bool = False,
        policy: SchemaPolicy | None = None,
    ) -> Execution:
        """Stage one part. With `header`, its first line names its columns, and the schema
        policy (`policy`, else the stream's) decides about names the dataset lacks; what it
        did is added to the execution's schema changes."""
        if not 0 <= part_id <= MAX_PART_ID:
            raise InvalidInput(f"part id must be between 0 and {MAX_PART_ID}", field="partId")
        with self._uow() as uow:
            stream = authorize_stream(uow, actor, stream_id, access.EDIT)
            execution = execution_of(uow, stream_id, execution_id)
            _require_uploading(execution)
            dataset = uow.datasets.find(stream.dataset_id)
            columns = dataset.columns if dataset else None
        keys = stream.key_columns if execution.update_method is UpdateMethod.UPSERT else []
        staged = self._staging.stage(
            execution_id,
            part_id,
            chunks,
            columns,
            gzip_hint,
            header=header,
            policy=policy or stream.policy,
            key_columns=keys,
        )
        with self._uow() as uow:
            execution = execution_of(uow, stream_id, execution_id)
            try:
                _require_uploading(execution)
            except Conflict:
                self._staging.discard(staged.path)  # aborted or committed while we received
                raise
            replaced = uow.executions.put_part(
                Part(
                    execution_id,
                    part_id,
                    staged.path,
                    staged.rows,
                    staged.bytes_received,
                    self._clock.now(),
                )
            )
            if staged.schema_changes:
                known = execution.schema_changes or SchemaChanges()
                execution.schema_changes = known.merged(staged.schema_changes)
                uow.executions.update(execution, expect_state=ExecutionState.ACTIVE)
            uow.commit()
        if replaced is not None:
            self._staging.discard(replaced.path)
        return execution

    def parts(self, actor: Principal, stream_id: int, execution_id: int) -> list[Part]:
        """The parts that landed, in id order: what a client resuming an upload may skip."""
        with self._uow() as uow:
            authorize_stream(uow, actor, stream_id, access.VIEW)
            execution_of(uow, stream_id, execution_id)
            return sorted(uow.executions.parts(execution_id), key=lambda p: p.part_id)

    def commit(
        self,
        actor: Principal,
        stream_id: int,
        execution_id: int,
        method: UpdateMethod | None = None,
    ) -> Execution:
        with self._uow() as uow:
            stream = authorize_stream(uow, actor, stream_id, access.EDIT)
            execution = execution_of(uow, stream_id, execution_id)
            _require_uploading(execution)
            parts = uow.executions.parts(execution_id)
            dataset = uow.datasets.find(stream.dataset_id)
            assert dataset is not None
        if not parts:
            raise InvalidInput(f"execution {execution_id} has no parts to commit", field="parts")
        if method is not None and method is not execution.update_method:
            execution = self._executions.change_method(actor, stream_id, execution_id, method)
        landing = [p for p in parts if p.rows]  # an empty part adds nothing
        changes = execution.schema_changes
        if dataset.columns is None:
            columns = _agreed_columns([p.path for p in parts], self._staging)
        else:
            columns, filled = _agreed_by_policy(dataset.columns, landing, self._staging)
            changes = (changes or SchemaChanges()).merged(filled) if filled else changes
        execution = self._committer.begin(execution_id)
        done = self._committer.land(
            execution,
            [(p.path, p.rows) for p in landing],
            columns,
            execution.update_method,
            stream.key_columns,
            bytes_in=sum(p.bytes for p in parts),
            schema_changes=changes,
        )
        self._staging.discard_execution(execution_id)
        if done.check_report is None:
            return done
        with self._uow() as uow:  # parts may be someone else's rows: samples as for a reader
            return for_reader(uow, actor, stream.dataset_id, [done])[0]

    # -- one-call CSV import (the public API's PUT /v1/datasets/{id}/data) -----------------
    def import_csv(
        self,
        actor: Principal,
        dataset_id: str,
        chunks: Iterable[bytes],
        method: UpdateMethod,
        gzip_hint: bool = False,
        header: bool = False,
        policy: SchemaPolicy | None = None,
    ) -> Execution:
        """A whole upload in one call: open an execution on the dataset's stream, stage the
        body as its one part, commit. Anything wrong (a bad line, no row at all, a failed
        commit) aborts the execution, and the dataset stays exactly as it was. `header` and
        `policy` as for `put_part`."""
        stream = self._dataset_stream(actor, dataset_id)
        execution = self._executions.create(actor, stream.id, RunType.API, method)
        try:
            self.put_part(
                actor, stream.id, execution.id, 0, chunks, gzip_hint, header=header, policy=policy
            )
            if not any(p.rows for p in self.parts(actor, stream.id, execution.id)):
                # Domo's API refuses a commit with no data; an empty body is a client's
                # mistake far more often than a wish to empty the DataSet.
                raise InvalidInput(
                    "the body holds no CSV rows; the DataSet is left as it was", field="body"
                )
            done = self.commit(actor, stream.id, execution.id)
        except BaseException:
            self._abort_quietly(actor, stream.id, execution.id)
            raise
        if done.state is not ExecutionState.SUCCESS:
            message = done.errors[-1] if done.errors else "the commit failed"
            raise InvalidInput(f"the import was not committed: {message}", field="body")
        return done

    def _abort_quietly(self, actor: Principal, stream_id: int, execution_id: int) -> None:
        # Conflict: it ended already (e.g. the commit itself ended it in ERROR).
        with contextlib.suppress(Conflict):
            self._executions.abort(actor, stream_id, execution_id)

    # -- the dataset three-step upload (domolibrary) ------------------------------------
    def open_dataset_upload(self, actor: Principal, dataset_id: str) -> Execution:
        stream = self._dataset_stream(actor, dataset_id)
        return self._executions.create(actor, stream.id, RunType.API)

    def dataset_stream_id(self, actor: Principal, dataset_id: str) -> int:
        return self._dataset_stream(actor, dataset_id).id

    def _dataset_stream(self, actor: Principal, dataset_id: str) -> Stream:
        with self._uow() as uow:
            dataset, _ = authorize(uow, actor, dataset_id, access.EDIT)
            stream = uow.streams.find_by_dataset(dataset_id)
            if stream is not None:
                return stream
            now = self._clock.now()
            stream = uow.streams.add(
                Stream(
                    id=0,
                    dataset_id=dataset_id,
                    owner_id=dataset.owner_id,
                    transport=Transport(),
                    update_method=UpdateMethod.REPLACE,
                    created_at=now,
                    modified_at=now,
                    created_by=actor.id,
                    modified_by=actor.id,
                )
            )
            dataset.stream_id = stream.id
            uow.datasets.update(dataset)
            uow.commit()
            return stream


def _require_uploading(execution: Execution) -> None:
    if execution.state is not ExecutionState.ACTIVE:
        raise Conflict(
            f"execution {execution.id} is {execution.state.value}; it takes no more "
            "parts and cannot be committed",
            code="EXECUTION_FINISHED",
        )
    if execution.phase is not Phase.UPLOADING:
        raise Conflict(
            f"execution {execution.id} is committing already", code="EXECUTION_COMMITTING"
        )


def _agreed_columns(paths: list[str], staging: PartStaging) -> list[Column]:
    """A dataset without a schema takes its first data's: every part must infer the same one."""
    schemas = [staging.columns_of(path) for path in paths]
    first = schemas[0]
    for index, other in enumerate(schemas[1:], start=1):
        if other != first:
            raise BadData(
                f"the parts disagree on the columns they infer (part {index} differs from the "
                "first); give the dataset a schema",
                field="parts",
            )
    return first


def _agreed_by_policy(
    current: list[Column], parts: list[Part], staging: PartStaging
) -> tuple[list[Column], SchemaChanges | None]:
    """The dataset's columns after an upload whose parts' headers may differ: each part was
    staged under the policy, so its columns are the dataset's, or (EVOLVE) those with new ones
    added. The upload takes every part's new columns; a part without some is rewritten with
    them NULL, which the execution reports."""
    shapes = [staging.columns_of(p.path) for p in parts]
    agreed = list(current)
    for shape in shapes:
        if shape != agreed:
            agreed = list(
                plan(agreed, [Incoming(c.name, c) for c in shape], SchemaPolicy.EVOLVE).columns
            )
    filled: list[str] = []
    for part, shape in zip(parts, shapes, strict=True):
        if shape != agreed:
            names = {c.name.lower() for c in shape}
            filled += [c.name for c in agreed if c.name.lower() not in names]
            staging.conform_file(part.path, agreed)
    return agreed, SchemaChanges(null_filled=tuple(dict.fromkeys(filled))) if filled else None
