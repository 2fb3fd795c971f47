"""Pipelines: define, read, change and delete them; start, pause, resume, stop and clear.

The API only records what is wanted (the desired status, the connectors' flags); the process
holding a pipeline's lease (see `pipeline_runs` and `runtime.supervisor`) makes it so and
reports back, so `deployment_status` moves the way Feldera's client expects:
Stopped → Provisioning → Initializing → Running | Paused → Stopping → Stopped.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from headwater.connectors.registry import ConnectorRegistry
from headwater.domain import access
from headwater.domain.access import AccessLevel
from headwater.domain.errors import (
    DuplicateName,
    InvalidAction,
    InvalidInput,
    InvalidProgram,
    InvalidQuery,
    PermissionDenied,
    PipelineBusy,
    PipelineNotDeployed,
    UnknownConnector,
)
from headwater.domain.pipelines import (
    ConnectorState,
    DesiredStatus,
    Pipeline,
    Program,
    StorageStatus,
    check_name,
    endpoint_name,
)
from headwater.domain.ports.engines import QueryEngine, QueryView
from headwater.domain.ports.storage import DatasetStore
from headwater.domain.ports.unit_of_work import Clock, UnitOfWork, UnitOfWorkFactory
from headwater.domain.users import Principal
from headwater.services.pipelines.access import authorize_pipeline, level_on
from headwater.services.pipelines.program import parse_json, parse_sql, render_sql
from headwater.services.pipelines.tables import PipelineTables

CONNECTOR_ACTIONS = ("start", "pause")
PAUSE_SETTLE_SECONDS = 10.0  # the longest `pause` waits for a connector to stop taking records
PAUSE_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class PipelineDraft:
    """A definition as sent: SQL `program_code`, or `tables` (and `views`) as JSON."""

    name: str
    program_code: str | None = None
    tables: list[Any] | None = None
    views: list[Any] | None = None
    description: str | None = None
    tags: list[str] | None = None
    runtime_config: dict[str, Any] | None = None
    program_config: dict[str, Any] | None = None

    def program(self) -> tuple[Program, str]:
        if self.tables is not None:
            program = parse_json(self.tables, self.views)
            return program, render_sql(program)
        if self.program_code is None:
            raise InvalidProgram("send program_code (SQL) or tables (JSON)", field="program_code")
        return parse_sql(self.program_code), self.program_code


@dataclass(frozen=True)
class PipelineView:
    """A pipeline as one caller sees it, read at `now` (its status depends on the time)."""

    pipeline: Pipeline
    level: AccessLevel
    now: datetime
    connectors: list[ConnectorState] = field(default_factory=list)


class Pipelines:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        engine: QueryEngine,
        store: DatasetStore,
        sources: ConnectorRegistry | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._engine = engine
        self._tables = PipelineTables(clock, store)
        # the streaming sources a connector's transport names, with the specs its config
        # must satisfy (the built-ins and plug-ins of `headwater.sources`)
        self._sources = sources or ConnectorRegistry.from_entry_points()

    # -- definitions ---------------------------------------------------------------------
    def create(self, actor: Principal, draft: PipelineDraft) -> PipelineView:
        if not actor.user.role.can_create_datasets:
            raise PermissionDenied(
                "Participants cannot create pipelines (their tables are datasets)"
            )
        check_name(draft.name)
        program, code = draft.program()
        self._check_views(program)
        self._check_transports(program)
        now = self._clock.now()
        with self._uow() as uow:
            if uow.pipelines.find_by_name(draft.name) is not None:
                raise DuplicateName(f"a pipeline named {draft.name!r} already exists")
            pipeline = Pipeline(
                id=str(uuid.uuid4()),
                name=draft.name,
                owner_id=actor.id,
                program_code=code,
                program=program,
                table_datasets={},
                created_at=now,
                updated_at=now,
                description=draft.description or "",
                tags=list(draft.tags or []),
                runtime_config=dict(draft.runtime_config or {}),
                program_config=dict(draft.program_config or {}),
                configured_by=actor.id,
            )
            self._tables.attach_new(uow, pipeline, program)
            uow.pipelines.add(pipeline)
            self._reset_connectors(uow, pipeline)
            uow.commit()
        return PipelineView(pipeline, AccessLevel.OWNER, self._clock.now())

    def put(self, actor: Principal, name: str, draft: PipelineDraft) -> tuple[PipelineView, bool]:
        """Create or replace; True when it was created."""
        if draft.name != name:
            raise InvalidProgram(
                f"the body names pipeline {draft.name!r} but the path {name!r}", field="name"
            )
        with self._uow() as uow:
            exists = uow.pipelines.find_by_name(name) is not None
        if not exists:
            return self.create(actor, draft), True
        program, code = draft.program()
        self._check_views(program)
        self._check_transports(program)
        with self._uow() as uow:
            pipeline, level = authorize_pipeline(uow, actor, name, access.EDIT)
            self._require_stopped(pipeline, "UPDATE_RESTRICTED_TO_STOPPED", "edit")
            with self._tables.replacing(uow, pipeline, program):
                pipeline.program, pipeline.program_code = program, code
                pipeline.configured_by = actor.id  # the egress policy's exemption follows them
                if draft.description is not None:
                    pipeline.description = draft.description
                if draft.tags is not None:
                    pipeline.tags = list(draft.tags)
                if draft.runtime_config is not None:
                    pipeline.runtime_config = dict(draft.runtime_config)
                if draft.program_config is not None:
                    pipeline.program_config = dict(draft.program_config)
                pipeline.version += 1
                pipeline.updated_at = self._clock.now()
                uow.pipelines.update(pipeline)
                self._reset_connectors(uow, pipeline)
                uow.commit()
        return PipelineView(pipeline, level, self._clock.now()), False

    def patch(self, actor: Principal, name: str, changes: dict[str, Any]) -> PipelineView:
        """Change the fields given (not None); a new program only while stopped."""
        with self._uow() as uow:
            pipeline, _ = authorize_pipeline(uow, actor, name, access.EDIT)
            program = None
            if changes.get("program_code") is not None:
                self._require_stopped(pipeline, "UPDATE_RESTRICTED_TO_STOPPED", "edit")
                program = parse_sql(changes["program_code"])
                self._check_views(program)
                self._check_transports(program)
            with self._tables.replacing(uow, pipeline, program):
                if program is not None:
                    pipeline.program = program
                    pipeline.program_code = changes["program_code"]
                    pipeline.configured_by = actor.id
                    self._reset_connectors(uow, pipeline)
                if changes.get("description") is not None:
                    pipeline.description = str(changes["description"])
                if changes.get("tags") is not None:
                    pipeline.tags = [str(t) for t in changes["tags"]]
                if changes.get("runtime_config") is not None:
                    pipeline.runtime_config = dict(changes["runtime_config"])
                if changes.get("program_config") is not None:
                    pipeline.program_config = dict(changes["program_config"])
                pipeline.version += 1
                pipeline.updated_at = self._clock.now()
                uow.pipelines.update(pipeline)
                uow.commit()
        return self.get(actor, name)

    def get(self, actor: Principal, name: str) -> PipelineView:
        with self._uow() as uow:
            pipeline, level = authorize_pipeline(uow, actor, name, access.VIEW)
            return PipelineView(
                pipeline, level, self._clock.now(), uow.pipelines.connectors(pipeline.id)
            )

    def list(self, actor: Principal) -> list[PipelineView]:
        with self._uow() as uow:
            views = []
            for pipeline in uow.pipelines.all():
                level = level_on(uow, actor, pipeline)
                if level is not None:
                    views.append(PipelineView(pipeline, level, self._clock.now()))
            return views

    def delete(self, actor: Principal, name: str) -> None:
        """The pipeline goes; its tables stay, as ordinary datasets with their data."""
        with self._uow() as uow:
            pipeline, _ = authorize_pipeline(uow, actor, name, access.DELETE)
            self._require_stopped(pipeline, "DELETE_RESTRICTED_TO_FULLY_STOPPED", "delete")
            uow.pipelines.delete(pipeline.id)
            uow.commit()

    # -- lifecycle -----------------------------------------------------------------------
    def start(
        self, actor: Principal, name: str, initial: str = "running", dismiss_error: bool = True
    ) -> None:
        wanted = {"running": DesiredStatus.RUNNING, "paused": DesiredStatus.PAUSED}.get(initial)
        if wanted is None:
            raise InvalidAction(
                f"initial must be running or paused, not {initial!r}", code="INVALID_INITIAL"
            )
        with self._uow() as uow:
            pipeline, _ = authorize_pipeline(uow, actor, name, access.EDIT)
            now = self._clock.now()
            if pipeline.deployment_status(now) == "Stopping":
                raise PipelineBusy(
                    f"pipeline {name!r} is stopping; start it once it has stopped",
                    code="ILLEGAL_PIPELINE_ACTION",
                )
            if pipeline.deployment_error and not dismiss_error:
                raise PipelineBusy(
                    f"pipeline {name!r} has an error to dismiss first",
                    code="CANNOT_START_WITH_UNDISMISSED_ERROR",
                )
            if not pipeline.deployed:
                pipeline.incarnation = str(uuid.uuid4())
                pipeline.started_at = now
                pipeline.deployment_error = None
            pipeline.desired = wanted
            pipeline.storage = StorageStatus.IN_USE
            uow.pipelines.update(pipeline)
            uow.commit()

    def pause(self, actor: Principal, name: str) -> None:
        self._set_running(actor, name, DesiredStatus.PAUSED, "PAUSE_WHILE_NOT_PROVISIONED")

    def resume(self, actor: Principal, name: str) -> None:
        self._set_running(actor, name, DesiredStatus.RUNNING, "RESUME_WHILE_NOT_PROVISIONED")

    def stop(self, actor: Principal, name: str) -> None:
        """The lease holder commits what it buffered, acknowledges it, and lets go."""
        with self._uow() as uow:
            pipeline, _ = authorize_pipeline(uow, actor, name, access.EDIT)
            pipeline.desired = DesiredStatus.STOPPED
            uow.pipelines.update(pipeline)
            uow.commit()

    def clear(self, actor: Principal, name: str) -> None:
        """Reset the connectors' flags, counters and errors to the definition. The tables'
        data and the connectors' source positions stay: they live in the datasets."""
        with self._uow() as uow:
            pipeline, _ = authorize_pipeline(uow, actor, name, access.EDIT)
            self._require_stopped(pipeline, "STORAGE_STATUS_IMMUTABLE_UNLESS_STOPPED", "clear")
            self._reset_connectors(uow, pipeline)
            pipeline.storage = StorageStatus.CLEARED
            uow.pipelines.update(pipeline)
            uow.commit()

    def dismiss_error(self, actor: Principal, name: str) -> None:
        with self._uow() as uow:
            pipeline, _ = authorize_pipeline(uow, actor, name, access.EDIT)
            if pipeline.deployment_error is not None:
                pipeline.deployment_error = None
                uow.pipelines.update(pipeline)
                uow.commit()

    # -- connectors ----------------------------------------------------------------------
    def connector_action(
        self, actor: Principal, name: str, table: str, connector: str, action: str
    ) -> None:
        """`start` or `pause` one input connector; its flag is stored, so it survives restarts."""
        if action not in CONNECTOR_ACTIONS:
            raise InvalidAction(
                f"Invalid connector action '{action}'; valid actions are: 'start' or 'pause'",
                code="INVALID_CONNECTOR_ACTION",
                action=action,
            )
        with self._uow() as uow:
            pipeline, _ = authorize_pipeline(uow, actor, name, access.EDIT)
            state = self._connector(uow, pipeline, table, connector)
            self._require_deployed(pipeline)
            uow.pipelines.set_connector_flags(
                pipeline.id, state.table, state.name, paused=action == "pause", waiting=False
            )
            uow.commit()
        if action == "pause" and pipeline.deployment_status(self._clock.now()) == "Running":
            self._await_pause(pipeline.id, state.endpoint)

    def _await_pause(self, pipeline_id: str, endpoint: str) -> None:
        """As in Feldera, a paused connector takes nothing more once `pause` returns: wait
        (a second or so: the supervisor's poll and the stats' save) until its holder reports
        the source stopped and what it had read committed. Bounded: if the holder is gone or
        stuck, `pause` returns anyway and `buffered_records` keeps telling the truth."""
        deadline = time.monotonic() + PAUSE_SETTLE_SECONDS
        while time.monotonic() < deadline:
            with self._uow() as uow:
                states = [
                    s for s in uow.pipelines.connectors(pipeline_id) if s.endpoint == endpoint
                ]
            if not states:
                return
            stats = states[0].stats
            if not stats.fetching or states[0].end_of_input or stats.fatal_error:
                return
            time.sleep(PAUSE_POLL_SECONDS)

    def connector(
        self, actor: Principal, name: str, table: str, connector: str
    ) -> tuple[Pipeline, ConnectorState]:
        with self._uow() as uow:
            pipeline, _ = authorize_pipeline(uow, actor, name, access.VIEW)
            state = self._connector(uow, pipeline, table, connector)
            self._require_deployed(pipeline)
            return pipeline, state

    def stats(self, actor: Principal, name: str) -> PipelineView:
        with self._uow() as uow:
            pipeline, level = authorize_pipeline(uow, actor, name, access.VIEW)
            self._require_deployed(pipeline)
            return PipelineView(
                pipeline, level, self._clock.now(), uow.pipelines.connectors(pipeline.id)
            )

    # -- helpers -------------------------------------------------------------------------
    def _set_running(self, actor: Principal, name: str, wanted: DesiredStatus, code: str) -> None:
        with self._uow() as uow:
            pipeline, _ = authorize_pipeline(uow, actor, name, access.EDIT)
            if not pipeline.deployed:
                verb = "pause" if wanted is DesiredStatus.PAUSED else "resume"
                raise InvalidAction(
                    f"cannot {verb} pipeline {name!r}: it is not started", code=code
                )
            pipeline.desired = wanted
            uow.pipelines.update(pipeline)
            uow.commit()

    def _check_views(self, program: Program) -> None:
        """A view that could never run (one that calls `read_csv`, names an unknown table)
        is refused when it is sent, with the sandbox's reason."""
        views = [QueryView(v.name, v.sql) for v in program.views]
        try:
            self._engine.check_views([t.name for t in program.tables], views)
        except InvalidQuery as exc:
            raise InvalidProgram(str(exc), field="program_code") from None

    def _check_transports(self, program: Program) -> None:
        """Each connector's transport is an installed streaming source and its config
        satisfies the source's spec: a 400 naming `transport.name` or
        `transport.config.<field>` (with the table and connector), not a connector that fails
        once started. What only the running source can know (the allowed directories, whether
        files exist, a server's answer) is still its own to report, in the connector's stats."""
        for table in program.tables:
            for index, connector in enumerate(table.connectors):
                try:
                    self._sources.check_source(connector.transport, connector.transport_config)
                except InvalidInput as exc:
                    where = f"table {table.name!r}, connector {connector.name!r}"
                    raise InvalidProgram(
                        f"{where}: {exc.message}",
                        field=exc.details.get("field", "transport"),
                        table=table.name,
                        connector=connector.name,
                        index=index,
                    ) from None

    def _require_stopped(self, pipeline: Pipeline, code: str, verb: str) -> None:
        status = pipeline.deployment_status(self._clock.now())
        if status != "Stopped":
            raise PipelineBusy(
                f"cannot {verb} pipeline {pipeline.name!r} while it is {status}; stop it first",
                code=code,
            )

    @staticmethod
    def _require_deployed(pipeline: Pipeline) -> None:
        if not pipeline.deployed:
            raise PipelineNotDeployed(
                f"pipeline {pipeline.name!r} is not deployed: start it first",
                pipeline_name=pipeline.name,
                status="Stopped",
                desired_status=pipeline.desired.value,
            )

    @staticmethod
    def _connector(
        uow: UnitOfWork, pipeline: Pipeline, table: str, connector: str
    ) -> ConnectorState:
        table_def = pipeline.program.table(table)
        wanted = endpoint_name(table_def.name if table_def else table, connector)
        for state in uow.pipelines.connectors(pipeline.id):
            if state.endpoint == wanted:
                return state
        raise UnknownConnector(f"unknown input endpoint name '{wanted}'", endpoint_name=wanted)

    def _reset_connectors(self, uow: UnitOfWork, pipeline: Pipeline) -> None:
        uow.pipelines.delete_connectors(pipeline.id)
        for table in pipeline.program.tables:
            for connector in table.connectors:
                uow.pipelines.put_connector(
                    ConnectorState(
                        pipeline_id=pipeline.id,
                        table=table.name,
                        name=connector.name,
                        paused=connector.starts_paused,
                        waiting=bool(connector.start_after),
                    )
                )
