"""HTTP ingress: `POST /v0/pipelines/{p}/ingress/{table}` and its completion tokens.

The request's records are parsed and committed to the table in one Delta commit before the
answer, so the completion token it returns names a version that already holds them. Records
that do not parse are reported (`RecordErrors`); the valid ones in the same request land.
A paused pipeline holds the request until it runs again (`force` pushes anyway), as Feldera
does, for at most `wait_seconds`. Records with fields the table does not declare land without
them, and the answer says how many and which fields (`Pushed.unknown_fields`); under the
table's schema policy STRICT they are parse errors instead.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Any

from headwater.domain import access
from headwater.domain.errors import (
    InvalidInput,
    PipelineNotDeployed,
    RecordErrors,
    StaleToken,
    UnknownConnector,
    UnknownTable,
)
from headwater.domain.pipelines import DesiredStatus, Format, Pipeline
from headwater.domain.ports.unit_of_work import UnitOfWorkFactory
from headwater.domain.users import Principal
from headwater.services.pipelines.access import authorize_pipeline
from headwater.services.pipelines.commits import PipelineCommits
from headwater.tabular.record_formats import RecordFormat

MAX_REPORTED_ERRORS = 1000


@dataclass(frozen=True)
class Pushed:
    token: str
    unknown_fields: dict[str, object] | None = None  # {"records": n, "fields": [names]}


@dataclass(frozen=True)
class Completion:
    status: str  # "complete" | "inprogress"
    version: int | None


def _encode(payload: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def _decode(token: str) -> dict[str, object]:
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("invalid completion token", field="token") from None
    if not isinstance(payload, dict):
        raise InvalidInput("invalid completion token", field="token")
    return payload


class PipelineIngress:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        commits: PipelineCommits,
        wait_seconds: float = 30.0,
    ) -> None:
        self._uow = uow
        self._commits = commits
        self._wait_seconds = wait_seconds

    def push(
        self, actor: Principal, name: str, table: str, body: bytes, fmt: Format, force: bool
    ) -> Pushed:
        pipeline = self._ready(actor, name, force)
        table_def = pipeline.program.table(table)
        if table_def is None:
            raise UnknownTable(
                f"unknown input table '{table}'", code="UNKNOWN_INPUT_STREAM", table=table
            )
        decoder = RecordFormat(
            table_def.columns,
            fmt,
            table_def.primary_key,
            table_def.case_sensitive,
            table_def.schema_policy,
        )
        changes = decoder.decode([body])
        version = self._commits.version(pipeline, table_def.name)
        if not changes.empty:
            version = self._commits.commit(pipeline, table_def, changes).version
        unknown: dict[str, object] | None = None
        if changes.unknown_field_records:
            unknown = {
                "records": changes.unknown_field_records,
                "fields": list(changes.unknown_fields),
            }
        if changes.errors:
            extra: dict[str, Any] = {"unknown_fields": unknown} if unknown else {}
            raise RecordErrors(
                f"Errors parsing input data ({len(changes.errors)} errors)",
                num_errors=len(changes.errors),
                **extra,
                errors=[
                    {
                        "description": e.description(),
                        "event_number": e.index + 1,
                        "field": None,
                        "invalid_bytes": None,
                        "invalid_text": e.record,
                        "suggestion": None,
                    }
                    for e in changes.errors[:MAX_REPORTED_ERRORS]
                ],
            )
        token = _encode(
            {"p": pipeline.id, "i": pipeline.incarnation, "t": table_def.name, "v": version}
        )
        return Pushed(token, unknown)

    def completion(self, actor: Principal, name: str, token: str) -> Completion:
        payload = _decode(token)
        with self._uow() as uow:
            pipeline, _ = authorize_pipeline(uow, actor, name, access.VIEW)
        if payload.get("p") != pipeline.id or payload.get("i") != pipeline.incarnation:
            raise StaleToken(
                "the token comes from an earlier run of the pipeline", code="PIPELINE_RESTARTED"
            )
        table = str(payload.get("t", ""))
        if table not in pipeline.table_datasets:
            raise StaleToken("the token names an unknown table", code="UNKNOWN_ENDPOINT_IN_TOKEN")
        if "n" in payload:  # a connector's token: complete once its records are committed
            return self._connector_completion(pipeline, table, payload)
        wanted = payload.get("v")
        current = self._commits.version(pipeline, table)
        done = wanted is None or (
            current is not None and isinstance(wanted, int) and current >= wanted
        )
        return Completion("complete" if done else "inprogress", current)

    def connector_token(self, actor: Principal, name: str, table: str, connector: str) -> str:
        with self._uow() as uow:
            pipeline, _ = authorize_pipeline(uow, actor, name, access.VIEW)
            state = next(
                (
                    s
                    for s in uow.pipelines.connectors(pipeline.id)
                    if s.table == table and s.name == connector
                ),
                None,
            )
        if state is None:
            raise UnknownConnector(
                f"unknown input endpoint name '{table}.{connector}'",
                endpoint_name=f"{table}.{connector}",
            )
        received = state.stats.total_records
        return _encode(
            {"p": pipeline.id, "i": pipeline.incarnation, "t": table, "c": connector, "n": received}
        )

    def _connector_completion(
        self, pipeline: Pipeline, table: str, payload: dict[str, object]
    ) -> Completion:
        with self._uow() as uow:
            state = next(
                (
                    s
                    for s in uow.pipelines.connectors(pipeline.id)
                    if s.table == table and s.name == payload.get("c")
                ),
                None,
            )
        wanted = payload.get("n")
        if state is None or not isinstance(wanted, int):
            raise StaleToken(
                "the token names an unknown connector", code="UNKNOWN_ENDPOINT_IN_TOKEN"
            )
        committed = state.stats.total_records - state.stats.buffered_records
        return Completion("complete" if committed >= wanted else "inprogress", None)

    def _ready(self, actor: Principal, name: str, force: bool) -> Pipeline:
        """The pipeline once it may take input: running (or paused, with force)."""
        deadline = time.monotonic() + self._wait_seconds
        while True:
            with self._uow() as uow:
                pipeline, _ = authorize_pipeline(uow, actor, name, access.EDIT)
            if pipeline.desired is DesiredStatus.STOPPED:
                raise PipelineNotDeployed(
                    f"pipeline {name!r} is not deployed: start it first",
                    pipeline_name=name,
                    status="Stopped",
                    desired_status=pipeline.desired.value,
                )
            if pipeline.desired is DesiredStatus.RUNNING or force:
                return pipeline
            if time.monotonic() >= deadline:
                raise PipelineNotDeployed(
                    f"pipeline {name!r} is paused; resume it, or push with force=true",
                    pipeline_name=name,
                    status="Paused",
                    desired_status=pipeline.desired.value,
                )
            time.sleep(0.2)
