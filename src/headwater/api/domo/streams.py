"""Streams on `/api/data/v1/streams`: CRUD, search, executions, parts, commit and history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Body, Query, Request, Response, status

from headwater.api.auth import Caller, CallerToken, ServicesDep
from headwater.api.body_stream import gzip_hint, with_body_chunks
from headwater.api.domo.accounts import account_json
from headwater.api.domo.executions_wire import (
    epoch_seconds,
    execution_json,
    history_json,
    tick_json,
)
from headwater.api.domo.responses import (
    DomoExecution,
    DomoHistoryEntry,
    DomoPart,
    DomoStream,
    DomoStreamFields,
    DomoTick,
)
from headwater.api.openapi_bodies import CSV_BODY, OPTIONAL_JSON_BODY
from headwater.api.openapi_responses import typed
from headwater.api.ranges import Id, PartId
from headwater.api.shared.columns_wire import columns_json
from headwater.api.shared.json_body import dict_body, json_or_empty
from headwater.api.shared.paging import PageDep
from headwater.api.shared.stream_bodies import parse_changes, parse_spec
from headwater.api.upload_options import HEADER_HELP, header_flag
from headwater.domain.errors import InvalidInput
from headwater.domain.executions import RunType
from headwater.domain.streams import parse_update_method
from headwater.services.ingest.streams import StreamView

router = APIRouter(tags=["streams"])

DEFAULT_FIELDS = ["id", "userId", "name", "displayName", "type", "dataProviderType", "valid"]
JsonBody = Annotated[Any, Body()]


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _iso_utc(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def stream_json(view: StreamView) -> dict[str, Any]:
    s, ds = view.stream, view.dataset
    last = view.last_execution
    return {
        "id": s.id,
        "userId": s.owner_id,
        "name": ds.name,
        "displayName": ds.name,
        "type": s.transport.type,
        "dataProviderType": s.data_provider_key,
        "valid": True,
        "transport": {
            "type": s.transport.type,
            "version": s.transport.version,
            "description": s.transport.description,
        },
        "dataProvider": {"key": s.data_provider_key, "name": s.data_provider_key},
        "account": account_json(view.account) if view.account else None,
        "configuration": [
            {"name": e.name, "value": e.value, "type": e.type, "category": e.category}
            for e in view.masked_configuration()
        ],
        "updateMethod": s.update_method.value,
        "keyColumnNames": list(s.key_columns),
        "schedule": s.schedule,
        "advancedScheduleJson": s.advanced_schedule_json,
        "scheduleActive": s.schedule_active,
        "scheduleState": s.schedule_state,
        "nextRunAt": _iso_utc(s.next_run_at),
        "retryPolicy": s.retry_policy.to_json() if s.retry_policy else None,
        "schemaPolicy": s.policy.value,
        "pendingRetry": {"executionId": s.retry_of, "at": _iso_utc(s.retry_due_at)}
        if s.retry_of is not None
        else None,
        "dataSource": {
            "id": ds.id,
            "name": ds.name,
            "description": ds.description,
            "dataProviderType": s.data_provider_key,
            "rowCount": ds.row_count,
            "columnCount": ds.column_count,
            "owner": {"id": ds.owner_id},
        },
        "schemaDefinition": {"columns": columns_json(ds.columns)},
        "lastExecution": execution_json(last) if last else None,
        "currentExecution": execution_json(last) if last and not last.finished else None,
        "currentExecutionState": last.state.value if last else None,
        "playbookRegistryId": None,
        "executions": [],
        "changes": [],
        "createdAt": _iso(s.created_at),
        "createdBy": s.created_by,
        "modifiedAt": _iso(s.modified_at),
        "modifiedBy": s.modified_by,
    }


def select_fields(body: dict[str, Any], fields: str | None) -> dict[str, Any]:
    """`fields=all` for everything, a comma list for those, nothing for seed 004's default."""
    if fields and fields.strip().lower() == "all":
        return body
    wanted = [f.strip() for f in fields.split(",")] if fields else DEFAULT_FIELDS
    return {name: body[name] for name in wanted if name in body}


@router.post(
    "/api/data/v1/streams", status_code=status.HTTP_201_CREATED, responses=typed(DomoStream, 201)
)
def create_stream(body: JsonBody, caller: Caller, services: ServicesDep) -> dict[str, Any]:
    return stream_json(services.ingest.streams.create(caller, parse_spec(dict_body(body))))


@router.get("/api/data/v1/streams", responses=typed(list[DomoStreamFields]))
@router.get("/api/data/v1/streams/", include_in_schema=False)
def list_streams(
    caller: Caller, services: ServicesDep, page: PageDep, fields: str | None = None
) -> list[dict[str, Any]]:
    views = services.ingest.streams.page(caller, page.limit, page.offset)
    return [select_fields(stream_json(v), fields) for v in views]


@router.get("/api/data/v1/streams/search", responses=typed(list[DomoStreamFields]))
def search_streams(
    caller: Caller, services: ServicesDep, q: str, fields: str | None = None
) -> list[dict[str, Any]]:
    return [
        select_fields(stream_json(v), fields) for v in services.ingest.streams.search(caller, q)
    ]


@router.get("/api/data/v1/streams/{stream_id}", responses=typed(DomoStreamFields))
def get_stream(
    stream_id: Id, caller: Caller, services: ServicesDep, fields: str | None = None
) -> dict[str, Any]:
    return select_fields(stream_json(services.ingest.streams.get(caller, stream_id)), fields)


@router.put("/api/data/v1/streams/{stream_id}", responses=typed(DomoStream))
def update_stream(
    stream_id: Id, body: JsonBody, caller: Caller, services: ServicesDep
) -> dict[str, Any]:
    changes = parse_changes(dict_body(body))
    return stream_json(services.ingest.streams.update(caller, stream_id, changes))


@router.delete("/api/data/v1/streams/{stream_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_stream(stream_id: Id, caller: Caller, services: ServicesDep) -> Response:
    services.ingest.streams.delete(caller, stream_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- executions ---------------------------------------------------------------------------
def _run_type(body: dict[str, Any]) -> RunType | None:
    raw = body.get("runType", body.get("action"))
    if raw is None:
        return None
    try:
        return RunType(str(raw).strip().upper())
    except ValueError:
        raise InvalidInput(f"unknown runType {raw!r}; use MANUAL", field="runType") from None


@router.post(
    "/api/data/v1/streams/{stream_id}/executions",
    status_code=status.HTTP_201_CREATED,
    openapi_extra=OPTIONAL_JSON_BODY,
    responses=typed(DomoExecution, 201),
)
async def create_execution(
    stream_id: Id, request: Request, caller: Caller, services: ServicesDep
) -> dict[str, Any]:
    body = await json_or_empty(request)
    method = body.get("updateMethod")
    run_type = _run_type(body)
    chosen = parse_update_method(method) if method is not None else None
    execution = await _in_thread(
        lambda: services.ingest.executions.create(caller, stream_id, run_type, chosen)
    )
    return execution_json(execution)


@router.get("/api/data/v1/streams/{stream_id}/executions", responses=typed(list[DomoExecution]))
def list_executions(
    stream_id: Id, caller: Caller, services: ServicesDep, page: PageDep
) -> list[dict[str, Any]]:
    executions = services.ingest.executions.page(caller, stream_id, page.limit, page.offset)
    return [execution_json(e) for e in executions]


@router.put("/api/data/v1/streams/{stream_id}/executions/abort", responses=typed(DomoExecution))
def abort_current(stream_id: Id, caller: Caller, services: ServicesDep) -> dict[str, Any]:
    return execution_json(services.ingest.executions.abort(caller, stream_id, None))


@router.get(
    "/api/data/v1/streams/{stream_id}/executions/{execution_id}", responses=typed(DomoExecution)
)
async def get_execution(
    stream_id: Id, execution_id: Id, token: CallerToken, services: ServicesDep
) -> dict[str, Any]:
    # Polled in a loop by clients waiting for a run: authentication and the read share one
    # thread call (a `Caller` dependency would be a second hop into the pool).
    def work() -> dict[str, Any]:
        caller = services.identity.auth.authenticate(token)
        return execution_json(services.ingest.executions.get(caller, stream_id, execution_id))

    return await _in_thread(work)  # type: ignore[no-any-return]


ABORT_WORDS = {"ABORT", "ABORTED", "CANCEL", "CANCELLED"}


@router.put(
    "/api/data/v1/streams/{stream_id}/executions/{execution_id}",
    openapi_extra=OPTIONAL_JSON_BODY,
    responses=typed(DomoExecution),
)
async def update_execution(
    stream_id: Id, execution_id: Id, request: Request, caller: Caller, services: ServicesDep
) -> dict[str, Any]:
    """Change the update method before commit, or abort (`{"action": "ABORT"}`,
    `{"currentState": "ABORTED"}`, or the `{"category", "message"}` form)."""
    body = await json_or_empty(request)
    wants_abort = (
        str(body.get("action", "")).upper() in ABORT_WORDS
        or str(body.get("currentState", "")).upper() in ABORT_WORDS
        or ("category" in body and "message" in body)
    )
    if wants_abort:
        aborted = await _in_thread(
            lambda: services.ingest.executions.abort(caller, stream_id, execution_id)
        )
        return execution_json(aborted)
    if "updateMethod" not in body:
        raise InvalidInput(
            "send updateMethod to change it, or action ABORT to abort", field="updateMethod"
        )
    method = parse_update_method(body["updateMethod"])
    execution = await _in_thread(
        lambda: services.ingest.executions.change_method(caller, stream_id, execution_id, method)
    )
    return execution_json(execution)


@router.delete(
    "/api/data/v1/streams/{stream_id}/executions/{execution_id}",
    status_code=status.HTTP_204_NO_CONTENT,
)
def delete_execution(
    stream_id: Id, execution_id: Id, caller: Caller, services: ServicesDep
) -> Response:
    services.ingest.executions.delete(caller, stream_id, execution_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/api/data/v1/streams/{stream_id}/history/aggregate", responses=typed(list[DomoHistoryEntry])
)
def history(stream_id: Id, caller: Caller, services: ServicesDep) -> list[dict[str, Any]]:
    return [history_json(entry) for entry in services.ingest.executions.history(caller, stream_id)]


@router.get("/api/data/v1/streams/{stream_id}/schedule/ticks", responses=typed(list[DomoTick]))
def schedule_ticks(
    stream_id: Id, caller: Caller, services: ServicesDep, page: PageDep
) -> list[dict[str, Any]]:
    """The ticks the scheduler claimed, newest first: started, or skipped and why."""
    ticks = services.ingest.scheduler.ticks(caller, stream_id, page.limit, page.offset)
    return [tick_json(tick) for tick in ticks]


# -- parts, commit, abort -----------------------------------------------------------------
async def _put_part(
    request: Request,
    caller: Any,
    services: Any,
    stream_id: int,
    execution_id: int,
    part_id: int,
    header: str | None = None,
) -> dict[str, Any]:
    hint = gzip_hint(request)
    with_header = header_flag(header)
    execution = await with_body_chunks(
        request,
        lambda chunks: services.ingest.uploads.put_part(
            caller, stream_id, execution_id, part_id, chunks, hint, header=with_header
        ),
    )
    return execution_json(execution)


@router.put(
    "/api/data/v1/streams/{stream_id}/executions/{execution_id}/part/{part_id}",
    openapi_extra=CSV_BODY,
    responses=typed(DomoExecution),
)
@router.put(
    "/api/data/v1/streams/{stream_id}/executions/{execution_id}/parts/{part_id}",
    include_in_schema=False,
)
async def upload_part(
    stream_id: Id,
    execution_id: Id,
    part_id: PartId,
    request: Request,
    caller: Caller,
    services: ServicesDep,
    header: Annotated[str | None, Query(description=HEADER_HELP)] = None,
) -> dict[str, Any]:
    return await _put_part(request, caller, services, stream_id, execution_id, part_id, header)


@router.get(
    "/api/data/v1/streams/{stream_id}/executions/{execution_id}/parts",
    responses=typed(list[DomoPart]),
)
def list_parts(
    stream_id: Id, execution_id: Id, caller: Caller, services: ServicesDep
) -> list[dict[str, Any]]:
    """The parts of an execution that landed, so a client can resend only the missing ones."""
    return [
        {
            "partId": p.part_id,
            "rows": p.rows,
            "bytes": p.bytes,
            "uploadedAt": epoch_seconds(p.uploaded_at),
        }
        for p in services.ingest.uploads.parts(caller, stream_id, execution_id)
    ]


@router.put(
    "/api/data/v1/streams/{stream_id}/data/{data_id}/parts/{part_id}",
    openapi_extra=CSV_BODY,
    responses=typed(DomoExecution),
)
async def upload_data_part(
    stream_id: Id,
    data_id: Id,
    part_id: PartId,
    request: Request,
    caller: Caller,
    services: ServicesDep,
    header: Annotated[str | None, Query(description=HEADER_HELP)] = None,
) -> dict[str, Any]:
    return await _put_part(request, caller, services, stream_id, data_id, part_id, header)


async def _finalize(
    request: Request, caller: Any, services: Any, stream_id: int, execution_id: int, action: str
) -> dict[str, Any]:
    body = await json_or_empty(request)
    action = action.lower()
    if action == "commit":
        method = body.get("updateMethod")
        execution = await _in_thread(
            lambda: services.ingest.uploads.commit(
                caller,
                stream_id,
                execution_id,
                parse_update_method(method) if method is not None else None,
            )
        )
    elif action == "abort":
        execution = await _in_thread(
            lambda: services.ingest.executions.abort(caller, stream_id, execution_id)
        )
    else:
        raise InvalidInput(f"unknown action {action!r}; use commit or abort", field="action")
    return execution_json(execution)


async def _in_thread(work: Any) -> Any:
    """Services block (database, disk): keep them off the event loop."""
    return await anyio.to_thread.run_sync(work)


@router.put(
    "/api/data/v1/streams/{stream_id}/executions/{execution_id}/{action}",
    openapi_extra=OPTIONAL_JSON_BODY,
    responses=typed(DomoExecution),
)
async def finalize_execution(
    stream_id: Id,
    execution_id: Id,
    action: str,
    request: Request,
    caller: Caller,
    services: ServicesDep,
) -> dict[str, Any]:
    return await _finalize(request, caller, services, stream_id, execution_id, action)


@router.put(
    "/api/data/v1/streams/{stream_id}/data/{data_id}/{action}",
    openapi_extra=OPTIONAL_JSON_BODY,
    responses=typed(DomoExecution),
)
async def finalize_data(
    stream_id: Id,
    data_id: Id,
    action: str,
    request: Request,
    caller: Caller,
    services: ServicesDep,
) -> dict[str, Any]:
    return await _finalize(request, caller, services, stream_id, data_id, action)
