"""The FastAPI application: routers of each dialect, the error table, and the services."""

from __future__ import annotations

from fastapi import FastAPI

from headwater import __version__
from headwater.api import domo, domo_public
from headwater.api.errors import install_error_handlers
from headwater.api.feldera import create_feldera_app
from headwater.api.native import health
from headwater.services.container import Services


def create_app(services: Services) -> FastAPI:
    app = FastAPI(
        title="Headwater",
        version=__version__,
        description="Datasets, streams and executions behind Domo-compatible paths.",
    )
    app.state.services = services
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(domo.router)
    app.include_router(domo_public.router)
    app.mount("/v0", create_feldera_app(services))
    return app
