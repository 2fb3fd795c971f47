"""Streams on `/v1/streams` (pydomo's `domo.streams`): the same services as the product
API's `/api/data/v1/streams`, with the public API's JSON shapes and status codes."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Body, Query, Request, Response, status

from headwater.api.auth import ServicesDep
from headwater.api.body_stream import gzip_hint, with_body_chunks
from headwater.api.domo_public.auth import DataCaller
from headwater.api.domo_public.responses import PublicExecution, PublicStream, PublicStreamFields
from headwater.api.domo_public.wire import execution_json, stream_json
from headwater.api.openapi_bodies import CSV_BODY, OPTIONAL_JSON_BODY
from headwater.api.openapi_responses import typed
from headwater.api.ranges import Id, PartId
from headwater.api.shared.json_body import json_or_empty
from headwater.api.shared.paging import PageDep
from headwater.api.shared.stream_bodies import parse_changes, parse_spec
from headwater.api.upload_options import HEADER_HELP, header_flag
from headwater.domain.errors import InvalidInput
from headwater.domain.streams import parse_update_method
from headwater.services.container import Services
from headwater.services.ingest.streams import StreamView

router = APIRouter(tags=["public API: streams"])

JsonBody = Annotated[Any, Body()]
# What PATCH may change on top of what the product API's PUT may.
PATCHABLE = frozenset({"updateMethod", "keyColumnNames", "dataSet"})


def _object(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InvalidInput("the body must be a JSON object")
    return raw


def _views_json(services: Services, views: list[StreamView], fields: str | None) -> list[Any]:
    enabled = services.datasets.policies.enabled(v.dataset.id for v in views)
    return [_fields(stream_json(v, v.dataset.id in enabled), fields) for v in views]


def _fields(body: dict[str, Any], fields: str | None) -> dict[str, Any]:
    """`fields=all` (or none) for everything; else the comma-separated top-level fields."""
    if not fields or fields.strip().lower() == "all":
        return body
    wanted = {f.strip() for f in fields.split(",")}
    return {name: value for name, value in body.items() if name in wanted}


def _one(services: Services, view: StreamView) -> dict[str, Any]:
    return _views_json(services, [view], None)[0]  # type: ignore[no-any-return]


@router.post("/v1/streams", status_code=status.HTTP_201_CREATED, responses=typed(PublicStream, 201))
@router.post("/v1/streams/", status_code=status.HTTP_201_CREATED, include_in_schema=False)
def create_stream(body: JsonBody, caller: DataCaller, services: ServicesDep) -> dict[str, Any]:
    return _one(services, services.ingest.streams.create(caller, parse_spec(_object(body))))


@router.get("/v1/streams", responses=typed(list[PublicStreamFields]))
@router.get("/v1/streams/", include_in_schema=False)
def list_streams(
    caller: DataCaller, services: ServicesDep, page: PageDep, fields: str | None = None
) -> list[Any]:
    return _views_json(
        services, services.ingest.streams.page(caller, page.limit, page.offset), fields
    )


@router.get("/v1/streams/search", responses=typed(list[PublicStreamFields]))
def search_streams(
    q: str, caller: DataCaller, services: ServicesDep, fields: str | None = None
) -> list[Any]:
    """`dataSource.id:<id>`, `dataSource.owner.id:<id>`, `dataSource.name:<name>` (* and ?)."""
    return _views_json(services, services.ingest.streams.search(caller, q), fields)


@router.get("/v1/streams/{stream_id}", responses=typed(PublicStream))
def get_stream(stream_id: Id, caller: DataCaller, services: ServicesDep) -> dict[str, Any]:
    return _one(services, services.ingest.streams.get(caller, stream_id))


@router.patch("/v1/streams/{stream_id}", responses=typed(PublicStream))
def update_stream(
    stream_id: Id, body: JsonBody, caller: DataCaller, services: ServicesDep
) -> dict[str, Any]:
    raw = dict(_object(body))
    if "dataSet" in raw:  # pydomo's name for the product API's dataSource
        raw["dataSource"] = raw.pop("dataSet")
    changes = parse_changes(raw, extra_allowed=PATCHABLE)
    return _one(services, services.ingest.streams.update(caller, stream_id, changes))


@router.delete("/v1/streams/{stream_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_stream(stream_id: Id, caller: DataCaller, services: ServicesDep) -> Response:
    services.ingest.streams.delete(caller, stream_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- executions ---------------------------------------------------------------------------
@router.post(
    "/v1/streams/{stream_id}/executions",
    status_code=status.HTTP_201_CREATED,
    openapi_extra=OPTIONAL_JSON_BODY,
    responses=typed(PublicExecution, 201),
)
async def create_execution(
    stream_id: Id, request: Request, caller: DataCaller, services: ServicesDep
) -> dict[str, Any]:
    """`{"updateMethod": null}` (the stream's own), a method, `{}` or no body at all."""
    body = await json_or_empty(request)
    raw = body.get("updateMethod")
    method = parse_update_method(raw) if raw is not None else None
    execution = await anyio.to_thread.run_sync(
        lambda: services.ingest.executions.create(caller, stream_id, None, method)
    )
    return execution_json(execution)


@router.get("/v1/streams/{stream_id}/executions", responses=typed(list[PublicExecution]))
def list_executions(
    stream_id: Id, caller: DataCaller, services: ServicesDep, page: PageDep
) -> list[dict[str, Any]]:
    executions = services.ingest.executions.page(caller, stream_id, page.limit, page.offset)
    return [execution_json(e) for e in executions]


@router.put("/v1/streams/{stream_id}/executions/abort", status_code=status.HTTP_204_NO_CONTENT)
def abort_current(stream_id: Id, caller: DataCaller, services: ServicesDep) -> Response:
    services.ingest.executions.abort(caller, stream_id, None)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/v1/streams/{stream_id}/executions/{execution_id}", responses=typed(PublicExecution))
def get_execution(
    stream_id: Id, execution_id: Id, caller: DataCaller, services: ServicesDep
) -> dict[str, Any]:
    return execution_json(services.ingest.executions.get(caller, stream_id, execution_id))


@router.put(
    "/v1/streams/{stream_id}/executions/{execution_id}/part/{part_id}",
    openapi_extra=CSV_BODY,
    responses=typed(PublicExecution),
)
async def upload_part(
    stream_id: Id,
    execution_id: Id,
    part_id: PartId,
    request: Request,
    caller: DataCaller,
    services: ServicesDep,
    header: Annotated[str | None, Query(description=HEADER_HELP)] = None,
) -> dict[str, Any]:
    """Headerless CSV (or, with `header=true`, CSV whose first line names the columns),
    plain or gzip (Content-Encoding, application/gzip or magic bytes), chunked or not; part
    ids from 0."""
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
    "/v1/streams/{stream_id}/executions/{execution_id}/commit",
    openapi_extra=OPTIONAL_JSON_BODY,
    responses=typed(PublicExecution),
)
async def commit_execution(
    stream_id: Id, execution_id: Id, request: Request, caller: DataCaller, services: ServicesDep
) -> dict[str, Any]:
    body = await json_or_empty(request)
    raw = body.get("updateMethod")
    method = parse_update_method(raw) if raw is not None else None
    execution = await anyio.to_thread.run_sync(
        lambda: services.ingest.uploads.commit(caller, stream_id, execution_id, method)
    )
    return execution_json(execution)


@router.put(
    "/v1/streams/{stream_id}/executions/{execution_id}/abort", responses=typed(PublicExecution)
)
def abort_execution(
    stream_id: Id, execution_id: Id, caller: DataCaller, services: ServicesDep
) -> dict[str, Any]:
    return execution_json(services.ingest.executions.abort(caller, stream_id, execution_id))
