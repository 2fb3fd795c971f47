"""Data providers on `/api/data/v1/providers`: the connectors this server can run, with the
JSON Schema of their configuration. `kind` says which shape: `batch` (what a CONNECTOR
stream's `configuration` must satisfy) or `streaming` (a pipeline connector's
`transport.config`, its key the `transport.name`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from headwater.api.auth import Caller, ServicesDep
from headwater.api.domo.responses import DomoProvider
from headwater.api.openapi_responses import typed
from headwater.connectors.registry import Provider
from headwater.domain.errors import NotFound

router = APIRouter(tags=["providers"])


def provider_json(provider: Provider) -> dict[str, Any]:
    return {
        "key": provider.key,
        "name": provider.key,
        "description": provider.description,
        "transport": "CONNECTOR",
        "status": "BROKEN" if provider.broken else "AVAILABLE",
        "error": provider.broken,
        "spec": provider.spec,
        "kind": provider.kind,
    }


@router.get("/api/data/v1/providers", responses=typed(list[DomoProvider]))
def list_providers(caller: Caller, services: ServicesDep) -> list[dict[str, Any]]:
    return [provider_json(p) for p in services.ingest.connectors.providers()]


@router.get("/api/data/v1/providers/{key}", responses=typed(DomoProvider))
def get_provider(key: str, caller: Caller, services: ServicesDep) -> dict[str, Any]:
    if not services.ingest.connectors.knows(key):
        raise NotFound(f"no data provider {key!r}")
    return provider_json(services.ingest.connectors.provider(key))
