"""Domo's product API (`/api/...`, `X-DOMO-Developer-Token`)."""

from fastapi import APIRouter

from headwater.api.domo import (
    accounts,
    checks,
    datasources,
    exports,
    groups,
    providers,
    query,
    streams,
    tokens,
    users,
    versions,
)

router = APIRouter()
for module in (
    users,
    groups,
    tokens,
    datasources,
    versions,
    checks,
    query,
    streams,
    accounts,
    providers,
):
    router.include_router(module.router)
router.include_router(exports.router)
