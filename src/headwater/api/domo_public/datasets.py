"""DataSets on `/v1/datasets`: create, get, list, update, delete (pydomo's `domo.datasets`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from headwater.api.auth import ServicesDep
from headwater.api.domo_public.auth import DataCaller
from headwater.api.domo_public.responses import PublicDataSet
from headwater.api.domo_public.wire import dataset_json
from headwater.api.openapi_responses import typed
from headwater.api.ranges import BodyId, Count, Signed
from headwater.api.shared.columns_wire import SchemaIn, columns_in
from headwater.domain.access import AccessLevel
from headwater.domain.users import Principal
from headwater.services.container import Services
from headwater.services.datasets.catalog import DatasetChanges, DatasetView

router = APIRouter(tags=["public API: datasets"])

MAX_LIMIT = 50  # Domo's own cap for listing DataSets
SORTS = {"name", "lastUpdated", "cardCount", "errorState"}


class OwnerIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: BodyId


class DataSetCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = Field(min_length=1)
    description: str = ""
    schema_: SchemaIn | None = Field(default=None, alias="schema")
    owner: OwnerIn | None = None


class DataSetUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str | None = None
    description: str | None = None
    schema_: SchemaIn | None = Field(default=None, alias="schema")
    owner: OwnerIn | None = None


def full_json(services: Services, caller: Principal, view: DatasetView) -> dict[str, Any]:
    """The dataset with its PDP state; the policies too, for those who manage them."""
    dataset_id = view.dataset.id
    enabled = dataset_id in services.datasets.policies.enabled([dataset_id])
    policies = None
    if view.level.allows(AccessLevel.CO_OWNER):
        policies = services.datasets.policies.list(caller, dataset_id)
    return dataset_json(view, enabled, policies)


@router.post(
    "/v1/datasets", status_code=status.HTTP_201_CREATED, responses=typed(PublicDataSet, 201)
)
@router.post("/v1/datasets/", status_code=status.HTTP_201_CREATED, include_in_schema=False)
def create_dataset(
    body: DataSetCreate, caller: DataCaller, services: ServicesDep
) -> dict[str, Any]:
    view = services.datasets.catalog.create(
        caller, body.name, body.description, columns_in(body.schema_)
    )
    # Its upload stream, so pydomo's ds_update (which finds it by stream search) works too.
    services.ingest.uploads.dataset_stream_id(caller, view.dataset.id)
    if body.owner is not None and body.owner.id != caller.id:
        view = services.datasets.catalog.update(
            caller, view.dataset.id, DatasetChanges(owner_id=body.owner.id)
        )
    return dataset_json(view, pdp_enabled=False)


@router.get("/v1/datasets", responses=typed(list[PublicDataSet]))
@router.get("/v1/datasets/", include_in_schema=False)
def list_datasets(
    caller: DataCaller,
    services: ServicesDep,
    limit: Signed = None,
    offset: Count = None,
    sort: str | None = None,
    nameLike: str | None = None,
) -> list[dict[str, Any]]:
    # pydomo's follow-up pages can send limit=0 or less: the default; more than 50 is 50.
    chosen = MAX_LIMIT if not limit or limit < 0 else min(limit, MAX_LIMIT)
    views = services.datasets.catalog.page(
        caller, chosen, offset or 0, nameLike or None, sort=sort if sort in SORTS else None
    )
    enabled = services.datasets.policies.enabled(v.dataset.id for v in views)
    return [dataset_json(v, v.dataset.id in enabled) for v in views]


@router.get("/v1/datasets/{dataset_id}", responses=typed(PublicDataSet))
def get_dataset(dataset_id: str, caller: DataCaller, services: ServicesDep) -> dict[str, Any]:
    return full_json(services, caller, services.datasets.catalog.get(caller, dataset_id))


@router.put("/v1/datasets/{dataset_id}", responses=typed(PublicDataSet))
def update_dataset(
    dataset_id: str, body: DataSetUpdate, caller: DataCaller, services: ServicesDep
) -> dict[str, Any]:
    changes = DatasetChanges(
        name=body.name,
        description=body.description,
        columns=columns_in(body.schema_),
        owner_id=body.owner.id if body.owner is not None else None,
    )
    view = services.datasets.catalog.update(caller, dataset_id, changes)
    if changes.owner_id is not None:  # handed over: the caller may no longer manage it
        return dataset_json(view, dataset_id in services.datasets.policies.enabled([dataset_id]))
    return full_json(services, caller, view)


@router.delete("/v1/datasets/{dataset_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_dataset(dataset_id: str, caller: DataCaller, services: ServicesDep) -> Response:
    # Domo's public API deletes for good: the data files go too.
    services.datasets.catalog.delete(caller, dataset_id, hard=True)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
