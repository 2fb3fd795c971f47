"""Input connectors: `/v0/pipelines/{p}/tables/{t}/connectors/{c}/start|pause|stats` and the
pipeline's `/stats`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from headwater.api.auth import Caller, ServicesDep
from headwater.api.feldera.responses import (
    FelderaCompletionToken,
    FelderaConnectorStats,
    FelderaPipelineStats,
)
from headwater.api.feldera.statuses import NOT_DEPLOYED
from headwater.api.feldera.wire import connector_json, stats_json
from headwater.api.openapi_responses import typed

router = APIRouter()


@router.get("/pipelines/{name}/stats", responses={**typed(FelderaPipelineStats), **NOT_DEPLOYED})
def stats(
    name: str, caller: Caller, services: ServicesDep, include_connector_errors: bool = False
) -> dict[str, Any]:
    view = services.pipelines.catalog.stats(caller, name)
    return stats_json(view, include_connector_errors)


@router.get(
    "/pipelines/{name}/tables/{table}/connectors/{connector}/stats",
    responses={**typed(FelderaConnectorStats), **NOT_DEPLOYED},
)
def connector_stats(
    name: str, table: str, connector: str, caller: Caller, services: ServicesDep
) -> dict[str, Any]:
    _, state = services.pipelines.catalog.connector(caller, name, table, connector)
    return connector_json(state, full=True)


@router.get(
    "/pipelines/{name}/tables/{table}/connectors/{connector}/completion_token",
    responses=typed(FelderaCompletionToken),
)
def completion_token(
    name: str, table: str, connector: str, caller: Caller, services: ServicesDep
) -> dict[str, str]:
    return {"token": services.pipelines.ingress.connector_token(caller, name, table, connector)}


@router.post(
    "/pipelines/{name}/tables/{table}/connectors/{connector}/{action}",
    response_class=Response,
    responses=NOT_DEPLOYED,
)
def connector_action(
    name: str, table: str, connector: str, action: str, caller: Caller, services: ServicesDep
) -> Response:
    services.pipelines.catalog.connector_action(caller, name, table, connector, action)
    return Response(status_code=200)
