"""Domo's public API (`/oauth/token`, `/v1/...`), as the official pydomo SDK calls it."""

from fastapi import APIRouter

from headwater.api.domo_public import (
    clients,
    dataset_data,
    datasets,
    groups,
    oauth,
    policies,
    streams,
    users,
)

router = APIRouter()
# dataset_data first: `/v1/datasets/query/execute/{id}` must win over `/v1/datasets/{id}`.
for module in (oauth, clients, dataset_data, datasets, policies, streams, users, groups):
    router.include_router(module.router)
