"""Pipeline definitions and lifecycle: `/v0/config`, `/v0/pipelines[/{name}[/{action}]]`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict

from headwater import __version__
from headwater.api.auth import Caller, ServicesDep
from headwater.api.feldera.responses import FelderaClusterHealth, FelderaConfig, FelderaPipeline
from headwater.api.feldera.statuses import CREATED
from headwater.api.feldera.wire import pipeline_json
from headwater.api.openapi_responses import typed
from headwater.services.pipelines.catalog import PipelineDraft

router = APIRouter()


class PipelineBody(BaseModel):
    """Feldera's `PostPutPipeline`, plus `tables`/`views` for a definition in JSON."""

    model_config = ConfigDict(extra="ignore")

    name: str
    program_code: str | None = None
    tables: list[Any] | None = None
    views: list[Any] | None = None
    description: str | None = None
    tags: list[str] | None = None
    runtime_config: dict[str, Any] | None = None
    program_config: dict[str, Any] | None = None
    udf_rust: str | None = None
    udf_toml: str | None = None

    def draft(self) -> PipelineDraft:
        return PipelineDraft(
            name=self.name,
            program_code=self.program_code,
            tables=self.tables,
            views=self.views,
            description=self.description,
            tags=self.tags,
            runtime_config=self.runtime_config,
            program_config=self.program_config,
        )


@router.get("/config", responses=typed(FelderaConfig))
def config(_: Caller) -> dict[str, Any]:
    return {
        "version": __version__,
        "edition": "Open source",
        "revision": "",
        "runtime_revision": "",
        "changelog_url": "",
        "license_validity": None,
        "telemetry": "",
        "update_info": None,
        "unstable_features": "",
    }


@router.get("/cluster_healthz", responses=typed(FelderaClusterHealth))
def cluster_healthz(_: Caller) -> dict[str, Any]:
    return {
        "all_healthy": True,
        "api": {"healthy": True},
        "compiler": {"healthy": True},
        "runner": {"healthy": True},
    }


@router.get("/pipelines", responses=typed(list[FelderaPipeline]))
def list_pipelines(
    caller: Caller, services: ServicesDep, selector: str = "all"
) -> list[dict[str, Any]]:
    return [pipeline_json(v, selector) for v in services.pipelines.catalog.list(caller)]


@router.post("/pipelines", status_code=201, responses=typed(FelderaPipeline, 201))
def create(body: PipelineBody, caller: Caller, services: ServicesDep) -> dict[str, Any]:
    return pipeline_json(services.pipelines.catalog.create(caller, body.draft()))


@router.get("/pipelines/{name}", responses=typed(FelderaPipeline))
def get(name: str, caller: Caller, services: ServicesDep, selector: str = "all") -> dict[str, Any]:
    return pipeline_json(services.pipelines.catalog.get(caller, name), selector)


@router.put("/pipelines/{name}", responses={**typed(FelderaPipeline), **CREATED})
def put(
    name: str, body: PipelineBody, caller: Caller, services: ServicesDep, response: Response
) -> dict[str, Any]:
    view, created = services.pipelines.catalog.put(caller, name, body.draft())
    response.status_code = 201 if created else 200
    return pipeline_json(view)


class PipelinePatch(BaseModel):
    """Feldera's `PatchPipeline`: the fields to change; null (or absent) keeps one."""

    model_config = ConfigDict(extra="ignore")

    description: str | None = None
    tags: list[str] | None = None
    runtime_config: dict[str, Any] | None = None
    program_config: dict[str, Any] | None = None
    program_code: str | None = None


@router.patch("/pipelines/{name}", responses=typed(FelderaPipeline))
def patch(name: str, body: PipelinePatch, caller: Caller, services: ServicesDep) -> dict[str, Any]:
    return pipeline_json(services.pipelines.catalog.patch(caller, name, body.model_dump()))


@router.delete("/pipelines/{name}", response_class=Response)
def delete(name: str, caller: Caller, services: ServicesDep) -> Response:
    services.pipelines.catalog.delete(caller, name)
    return Response(status_code=200)


@router.post("/pipelines/{name}/start", status_code=202, response_class=Response)
def start(
    name: str,
    caller: Caller,
    services: ServicesDep,
    initial: str = "running",
    dismiss_error: bool = Query(True),
) -> Response:
    services.pipelines.catalog.start(caller, name, initial, dismiss_error)
    return Response(status_code=202)


@router.post("/pipelines/{name}/pause", status_code=202, response_class=Response)
def pause(name: str, caller: Caller, services: ServicesDep) -> Response:
    services.pipelines.catalog.pause(caller, name)
    return Response(status_code=202)


@router.post("/pipelines/{name}/resume", status_code=202, response_class=Response)
def resume(name: str, caller: Caller, services: ServicesDep) -> Response:
    services.pipelines.catalog.resume(caller, name)
    return Response(status_code=202)


@router.post("/pipelines/{name}/activate", status_code=202, response_class=Response)
def activate(name: str, caller: Caller, services: ServicesDep) -> Response:
    services.pipelines.catalog.resume(caller, name)
    return Response(status_code=202)


@router.post("/pipelines/{name}/stop", status_code=202, response_class=Response)
def stop(name: str, caller: Caller, services: ServicesDep, force: bool = False) -> Response:
    # force or not, the connectors commit what they buffered: unacknowledged input would
    # be read again anyway, so a checkpoint-free stop loses nothing either way.
    services.pipelines.catalog.stop(caller, name)
    return Response(status_code=202)


@router.post("/pipelines/{name}/clear", status_code=202, response_class=Response)
def clear(name: str, caller: Caller, services: ServicesDep) -> Response:
    services.pipelines.catalog.clear(caller, name)
    return Response(status_code=202)


@router.post("/pipelines/{name}/dismiss_error", response_class=Response)
def dismiss_error(name: str, caller: Caller, services: ServicesDep) -> Response:
    services.pipelines.catalog.dismiss_error(caller, name)
    return Response(status_code=200)
