"""Datasets as Domo's product API shows them: `/api/data/v3/datasources`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Body, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from headwater.api.auth import Caller, CallerToken, ServicesDep
from headwater.api.body_stream import gzip_hint, with_body_chunks
from headwater.api.domo.executions_wire import execution_json
from headwater.api.domo.responses import (
    DomoAccessList,
    DomoDatasource,
    DomoDatasourceV2,
    DomoRowAppended,
    DomoUploadCommitted,
    DomoUploadOpened,
    DomoUploadPart,
)
from headwater.api.domo.wire import epoch_ms
from headwater.api.openapi_bodies import CSV_BODY
from headwater.api.openapi_responses import typed
from headwater.api.ranges import Id, PartId, parse_id
from headwater.api.shared.columns_wire import SchemaIn, columns_in, columns_json
from headwater.api.shared.paging import PageDep
from headwater.api.shared.responses import Empty
from headwater.api.upload_options import HEADER_HELP, header_flag
from headwater.domain.access import AccessLevel, Grant, PrincipalType
from headwater.domain.errors import InvalidInput
from headwater.domain.streams import Stream, parse_update_method
from headwater.services.datasets.access import AccessEntry
from headwater.services.datasets.catalog import DatasetChanges, DatasetView

router = APIRouter(tags=["datasets"])

# Domo's permission string for each level, as the v3 object carries it.
PERMISSION_STRING = {
    AccessLevel.CAN_VIEW: "READ",
    AccessLevel.CAN_SHARE: "READ_SHARE",
    AccessLevel.CAN_EDIT: "READ_WRITE_SHARE",
    AccessLevel.CO_OWNER: "READ_WRITE_DELETE_SHARE",
    AccessLevel.OWNER: "READ_WRITE_DELETE_SHARE_ADMIN",
}


class DatasourceCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = Field(min_length=1)
    description: str = ""
    schema_: SchemaIn | None = Field(default=None, alias="schema")
    tags: list[str] | str | None = None


class DatasourceCreateV2(BaseModel):
    """domolibrary's create body."""

    model_config = ConfigDict(extra="ignore")
    dataSourceName: str = Field(min_length=1)
    description: str = ""
    schema_: SchemaIn | None = Field(default=None, alias="schema")


class DatasourceUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str | None = None
    description: str | None = None
    tags: list[str] | str | None = None
    schema_: SchemaIn | None = Field(default=None, alias="schema")


class AppendRow(BaseModel):
    model_config = ConfigDict(extra="ignore")
    values: str | None = None
    delimiter: str = ","


class PermissionIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str
    id: int | str
    accessLevel: str


class ShareRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    permissions: list[PermissionIn]
    sendEmail: bool = False


def tags_in(raw: list[str] | str | None) -> list[str] | None:
    """Tags arrive as a list or, as domolibrary reads them back, as a JSON-encoded list."""
    if raw is None or isinstance(raw, list):
        return raw
    try:
        parsed = json.loads(raw) if raw.strip() else []
    except json.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, list) or not all(isinstance(t, str) for t in parsed):
        raise InvalidInput("tags must be a list of strings", field="tags")
    return parsed


UPLOAD_PROVIDER = {
    "displayType": "api",
    "dataProviderType": "api",
    "type": "API",
    "transportType": "API",
}


def provider_json(stream: Stream | None) -> dict[str, str]:
    """What feeds the dataset, in Domo's four fields. A connector's dataset names its
    provider's key in three of them (`"type": "covid-19"` as much as `"dataProviderType"`) and
    its transport in the fourth; an upload (API) stream, or none yet, is Domo's "api"/"API"."""
    if stream is None or stream.transport.is_upload:
        return dict(UPLOAD_PROVIDER)
    key = stream.data_provider_key
    return {
        "displayType": key,
        "dataProviderType": key,
        "type": key,
        "transportType": stream.transport.type.upper(),
    }


def datasource_json(view: DatasetView, parts: set[str] | None = None) -> dict[str, Any]:
    ds = view.dataset
    body: dict[str, Any] = {
        "id": ds.id,
        "name": ds.name,
        "description": ds.description,
        **provider_json(view.stream),
        "owner": {"id": str(ds.owner_id), "name": view.owner_name, "type": "USER", "group": False},
        "rowCount": ds.row_count,
        "columnCount": ds.column_count,
        "schema": {"columns": columns_json(ds.columns)},
        "streamId": ds.stream_id,
        "status": ds.status,
        "state": ds.status,
        "dataVersion": ds.data_version,
        "created": epoch_ms(ds.created_at),
        "createdAt": epoch_ms(ds.created_at),
        "lastUpdated": epoch_ms(ds.updated_at),
        "lastTouched": epoch_ms(ds.updated_at),
        "tags": json.dumps(ds.tags),
        "permissions": PERMISSION_STRING[view.level],
        "accessLevel": view.level.name,
        "cloudId": "domo",
        "hidden": False,
        "validConfiguration": True,
        "validAccount": True,
        "properties": {"formulas": {"formulas": {}}},
    }
    if parts and ("permission" in parts or "all" in parts):
        body["permissionLevel"] = view.level.name
    return body


def requested_parts(part: list[str] | None, requested: str | None, include_all: bool) -> set[str]:
    names: set[str] = set()
    for raw in [*(part or []), requested or ""]:
        names.update(p.strip().lower() for p in raw.split(",") if p.strip())
    if include_all:
        names.add("all")
    return names


def access_json(entries: list[AccessEntry]) -> dict[str, Any]:
    return {
        "list": [
            {
                "id": str(e.principal_id),
                "type": e.principal_type.value,
                "accessLevel": e.level.name,
                "name": e.name,
            }
            for e in entries
        ],
        "totalUserCount": sum(e.principal_type is PrincipalType.USER for e in entries),
        "totalGroupCount": sum(e.principal_type is PrincipalType.GROUP for e in entries),
    }


@router.post(
    "/api/data/v3/datasources",
    status_code=status.HTTP_201_CREATED,
    responses=typed(DomoDatasource, 201),
)
def create_datasource(
    body: DatasourceCreate, caller: Caller, services: ServicesDep
) -> dict[str, Any]:
    view = services.datasets.catalog.create(
        caller, body.name, body.description, columns_in(body.schema_), tags_in(body.tags)
    )
    return datasource_json(view)


@router.post(
    "/api/data/v2/datasources",
    status_code=status.HTTP_201_CREATED,
    responses=typed(DomoDatasourceV2, 201),
)
def create_datasource_v2(
    body: DatasourceCreateV2, caller: Caller, services: ServicesDep
) -> dict[str, Any]:
    view = services.datasets.catalog.create(
        caller, body.dataSourceName, body.description, columns_in(body.schema_)
    )
    return {
        "dataSource": {"dataSourceId": view.dataset.id, "name": view.dataset.name},
        **datasource_json(view),
    }


@router.get("/api/data/v3/datasources", responses=typed(list[DomoDatasource]))
def list_datasources(
    caller: Caller,
    services: ServicesDep,
    page: PageDep,
    nameLike: str | None = None,
) -> list[dict[str, Any]]:
    views = services.datasets.catalog.page(caller, page.limit, page.offset, nameLike or None)
    return [datasource_json(v) for v in views]


@router.get("/api/data/v3/datasources/{dataset_id}", responses=typed(DomoDatasource))
async def get_datasource(
    dataset_id: str,
    token: CallerToken,
    services: ServicesDep,
    part: Annotated[list[str] | None, Query()] = None,
    requestedParts: str | None = None,
    includeAllDetails: bool = False,
) -> dict[str, Any]:
    # A hot read: authentication and the read share one thread call (a `Caller` dependency
    # would be a second hop into the pool).
    def work() -> dict[str, Any]:
        caller = services.identity.auth.authenticate(token)
        parts = requested_parts(part, requestedParts, includeAllDetails)
        return datasource_json(services.datasets.catalog.get(caller, dataset_id), parts)

    return await anyio.to_thread.run_sync(work)


@router.put("/api/data/v3/datasources/{dataset_id}", responses=typed(DomoDatasource))
@router.patch("/api/data/v3/datasources/{dataset_id}", include_in_schema=False)
def update_datasource(
    dataset_id: str, body: DatasourceUpdate, caller: Caller, services: ServicesDep
) -> dict[str, Any]:
    changes = DatasetChanges(
        name=body.name,
        description=body.description,
        tags=tags_in(body.tags),
        columns=columns_in(body.schema_),
    )
    return datasource_json(services.datasets.catalog.update(caller, dataset_id, changes))


@router.post("/api/data/ui/v3/datasources/{dataset_id}/tags", include_in_schema=False)
def set_tags(
    dataset_id: str,
    caller: Caller,
    services: ServicesDep,
    tags: list[str] = Body(...),  # noqa: B008 - FastAPI's idiom
) -> dict[str, Any]:
    view = services.datasets.catalog.update(caller, dataset_id, DatasetChanges(tags=tags))
    return datasource_json(view)


@router.delete("/api/data/v3/datasources/{dataset_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_datasource(
    dataset_id: str, caller: Caller, services: ServicesDep, deleteMethod: str = "soft"
) -> Response:
    services.datasets.catalog.delete(caller, dataset_id, hard=deleteMethod.lower() == "hard")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/api/data/v3/datasources/{dataset_id}/uploads",
    responses=typed(DomoRowAppended | DomoUploadOpened),
)
def append_row_or_open_upload(
    dataset_id: str, body: AppendRow, caller: Caller, services: ServicesDep
) -> dict[str, Any]:
    """With `values`: append that one row (seed 004). Without: open a multipart upload, as
    domolibrary does, answering its `uploadId`."""
    if body.values is None:
        execution = services.ingest.uploads.open_dataset_upload(caller, dataset_id)
        return {
            "dataSourceId": dataset_id,
            "uploadId": execution.id,
            "requestedAsOf": epoch_ms(execution.started_at),
        }
    result = services.datasets.catalog.append_row(caller, dataset_id, body.values, body.delimiter)
    return {
        "dataSourceId": dataset_id,
        "dataVersion": result.version,
        "rowsInserted": result.rows_written,
    }


@router.put(
    "/api/data/v3/datasources/{dataset_id}/uploads/{upload_id}/parts/{part_id}",
    openapi_extra=CSV_BODY,
    responses=typed(DomoUploadPart),
)
async def upload_dataset_part(
    dataset_id: str,
    upload_id: Id,
    part_id: PartId,
    request: Request,
    caller: Caller,
    services: ServicesDep,
    header: Annotated[str | None, Query(description=HEADER_HELP)] = None,
) -> dict[str, Any]:
    hint = gzip_hint(request)
    with_header = header_flag(header)

    def work(chunks: Iterator[bytes]) -> dict[str, Any]:
        stream_id = services.ingest.uploads.dataset_stream_id(caller, dataset_id)
        services.ingest.uploads.put_part(
            caller, stream_id, upload_id, part_id, chunks, hint, header=with_header
        )
        return {"dataSourceId": dataset_id, "uploadId": upload_id, "partId": part_id}

    return await with_body_chunks(request, work)


class UploadCommit(BaseModel):
    model_config = ConfigDict(extra="ignore")
    action: str | None = None
    updateMethod: str | None = None


@router.put(
    "/api/data/v3/datasources/{dataset_id}/uploads/{upload_id}/commit",
    responses=typed(DomoUploadCommitted),
)
def commit_dataset_upload(
    dataset_id: str,
    upload_id: Id,
    caller: Caller,
    services: ServicesDep,
    body: UploadCommit | None = None,
) -> dict[str, Any]:
    raw = (body.action or body.updateMethod) if body else None
    method = parse_update_method(raw) if raw else None
    stream_id = services.ingest.uploads.dataset_stream_id(caller, dataset_id)
    execution = services.ingest.uploads.commit(caller, stream_id, upload_id, method)
    return {
        "dataSourceId": dataset_id,
        "uploadId": upload_id,
        "status": execution.state.value,
        **execution_json(execution),
    }


@router.get("/api/data/v3/datasources/{dataset_id}/permissions", responses=typed(DomoAccessList))
def list_permissions(dataset_id: str, caller: Caller, services: ServicesDep) -> dict[str, Any]:
    return access_json(services.datasets.access.entries(caller, dataset_id))


@router.post("/api/data/v3/datasources/{dataset_id}/share", responses=typed(DomoAccessList))
def share(
    dataset_id: str, body: ShareRequest, caller: Caller, services: ServicesDep
) -> dict[str, Any]:
    grants = []
    for p in body.permissions:
        principal_id = parse_id(p.id, "permissions[].id")
        grants.append(
            Grant(PrincipalType.parse(p.type), principal_id, AccessLevel.parse(p.accessLevel))
        )
    services.datasets.access.share(caller, dataset_id, grants)
    return access_json(services.datasets.access.entries(caller, dataset_id))


@router.delete(
    "/api/data/v3/datasources/{dataset_id}/permissions/{principal_type}/{principal_id}",
    responses=typed(Empty),
)
def revoke(
    dataset_id: str,
    principal_type: str,
    principal_id: Id,
    caller: Caller,
    services: ServicesDep,
) -> dict[str, Any]:
    services.datasets.access.revoke(
        caller, dataset_id, PrincipalType.parse(principal_type), principal_id
    )
    return {}
