"""Executions of a stream: start, read, list, change, abort, delete, and the history view."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from headwater.domain import access
from headwater.domain.datasets import UpdateMethod
from headwater.domain.errors import Conflict, NotFound
from headwater.domain.executions import (
    Execution,
    ExecutionState,
    Phase,
    RunType,
    new_toe,
    transition,
)
from headwater.domain.ports.ingest import PartStaging, RunDispatcher
from headwater.domain.ports.unit_of_work import Clock, UnitOfWork, UnitOfWorkFactory
from headwater.domain.users import Principal
from headwater.services.datasets.checks import for_reader
from headwater.services.ingest.streams import authorize_stream

MAX_PAGE = 500


class CancelSignals:
    """In-process flags a running connector checks between batches to stop promptly."""

    def __init__(self) -> None:
        self._events: dict[int, threading.Event] = {}
        self._lock = threading.Lock()

    def event(self, execution_id: int) -> threading.Event:
        with self._lock:
            return self._events.setdefault(execution_id, threading.Event())

    def cancel(self, execution_id: int) -> None:
        self.event(execution_id).set()

    def forget(self, execution_id: int) -> None:
        with self._lock:
            self._events.pop(execution_id, None)


@dataclass(frozen=True)
class HistoryEntry:
    execution: Execution

    @property
    def duration_seconds(self) -> float | None:
        if self.execution.ended_at is None:
            return None
        return (self.execution.ended_at - self.execution.started_at).total_seconds()


class Executions:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        staging: PartStaging,
        dispatcher: RunDispatcher | None,
        cancels: CancelSignals,
        runner_id: str | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._staging = staging
        self.dispatcher = dispatcher
        self._cancels = cancels
        self._runner_id = runner_id  # connector runs started here are read here

    def create(
        self,
        actor: Principal,
        stream_id: int,
        run_type: RunType | None = None,
        update_method: UpdateMethod | None = None,
    ) -> Execution:
        """Open an upload execution (API streams) or start a connector run (all others).

        A new upload execution aborts an unfinished older one, as Domo does; a connector run
        while another execution is ACTIVE is a conflict naming it.
        """
        with self._uow() as uow:
            stream = authorize_stream(uow, actor, stream_id, access.EDIT)
            active = uow.executions.active_for_stream(stream_id)
            upload = stream.transport.is_upload
            if active is not None:
                if not upload or active.phase is not Phase.UPLOADING:
                    raise Conflict(
                        f"execution {active.id} of stream {stream_id} is still ACTIVE",
                        code="EXECUTION_ACTIVE",
                        executionId=active.id,
                    )
                self._abort_in(uow, active, actor.id, "superseded by a new execution")
            execution = uow.executions.add(
                Execution(
                    id=0,
                    stream_id=stream_id,
                    dataset_id=stream.dataset_id,
                    state=ExecutionState.ACTIVE,
                    phase=Phase.UPLOADING,
                    run_type=run_type or (RunType.API if upload else RunType.MANUAL),
                    update_method=update_method or stream.update_method,
                    started_at=self._clock.now(),
                    started_by=actor.id,
                    toe=new_toe(),
                    runner_id=None if upload else self._runner_id,
                )
            )
            uow.commit()
        if active is not None:
            self._staging.discard_execution(active.id)
        if not upload and self.dispatcher is not None:
            self.dispatcher.dispatch(execution.id)
        return execution

    def get(self, actor: Principal, stream_id: int, execution_id: int) -> Execution:
        with self._uow() as uow:
            stream = authorize_stream(uow, actor, stream_id, access.VIEW)
            execution = execution_of(uow, stream_id, execution_id)
            return for_reader(uow, actor, stream.dataset_id, [execution])[0]

    def page(self, actor: Principal, stream_id: int, limit: int, offset: int) -> list[Execution]:
        with self._uow() as uow:
            stream = authorize_stream(uow, actor, stream_id, access.VIEW)
            found = uow.executions.list_for_stream(stream_id, min(limit, MAX_PAGE), offset)
            return for_reader(uow, actor, stream.dataset_id, found)

    def history(self, actor: Principal, stream_id: int) -> list[HistoryEntry]:
        entries: list[HistoryEntry] = []
        offset = 0
        with self._uow() as uow:
            authorize_stream(uow, actor, stream_id, access.VIEW)
            while page := uow.executions.list_for_stream(stream_id, MAX_PAGE, offset):
                entries.extend(HistoryEntry(e) for e in page)
                offset += len(page)
        return entries

    def change_method(
        self, actor: Principal, stream_id: int, execution_id: int, method: UpdateMethod
    ) -> Execution:
        with self._uow() as uow:
            authorize_stream(uow, actor, stream_id, access.EDIT)
            execution = execution_of(uow, stream_id, execution_id)
            if execution.finished or execution.phase is not Phase.UPLOADING:
                raise Conflict(
                    f"execution {execution_id} is past the point where its update method can "
                    "change",
                    code="EXECUTION_FINISHED",
                )
            execution.update_method = method
            if not uow.executions.update(
                execution, expect_state=ExecutionState.ACTIVE, expect_phase=Phase.UPLOADING
            ):
                raise Conflict(
                    f"execution {execution_id} changed meanwhile; try again",
                    code="EXECUTION_CHANGED",
                )
            uow.commit()
            return execution

    def abort(self, actor: Principal, stream_id: int, execution_id: int | None) -> Execution:
        """Abort an execution (the current one when no id is given); its parts are discarded."""
        with self._uow() as uow:
            authorize_stream(uow, actor, stream_id, access.EDIT)
            if execution_id is None:
                current = uow.executions.active_for_stream(stream_id)
                if current is None:
                    raise NotFound(f"stream {stream_id} has no ACTIVE execution")
                execution = current
            else:
                execution = execution_of(uow, stream_id, execution_id)
            self._abort_in(uow, execution, actor.id, None)
            uow.commit()
        self._cancels.cancel(execution.id)
        self._staging.discard_execution(execution.id)
        return execution

    def delete(self, actor: Principal, stream_id: int, execution_id: int) -> None:
        """Abort an unfinished execution and remove it; a finished one is history and stays."""
        with self._uow() as uow:
            authorize_stream(uow, actor, stream_id, access.EDIT)
            execution = execution_of(uow, stream_id, execution_id)
            if execution.finished:
                raise Conflict(
                    f"execution {execution_id} is {execution.state.value}; finished executions "
                    "are kept as history",
                    code="EXECUTION_FINISHED",
                )
            self._abort_in(uow, execution, actor.id, None)
            uow.executions.delete(execution_id)
            uow.commit()
        self._cancels.cancel(execution_id)
        self._staging.discard_execution(execution_id)

    def _abort_in(self, uow: UnitOfWork, execution: Execution, by: int, reason: str | None) -> None:
        if execution.finished:
            raise Conflict(
                f"execution {execution.id} is {execution.state.value} already",
                code="EXECUTION_FINISHED",
            )
        if execution.phase is Phase.COMMITTING:
            raise Conflict(
                f"execution {execution.id} is committing and can no longer be aborted",
                code="EXECUTION_COMMITTING",
            )
        transition(
            execution, ExecutionState.ABORTED, self._clock.now(), error=reason, cancelled_by=by
        )
        if not uow.executions.update(
            execution, expect_state=ExecutionState.ACTIVE, expect_phase=Phase.UPLOADING
        ):
            raise Conflict(
                f"execution {execution.id} changed meanwhile; try again", code="EXECUTION_CHANGED"
            )
        uow.executions.delete_parts(execution.id)


def execution_of(uow: UnitOfWork, stream_id: int, execution_id: int) -> Execution:
    execution = uow.executions.find(execution_id)
    if execution is None or execution.stream_id != stream_id:
        raise NotFound(f"no execution {execution_id} on stream {stream_id}")
    return execution
