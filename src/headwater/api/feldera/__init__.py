"""Feldera's pipeline API (`/v0`), a sub-application with its own error envelope."""

from __future__ import annotations

from fastapi import FastAPI

from headwater import __version__
from headwater.api.feldera import connectors, data, pipelines
from headwater.api.feldera.errors import install_feldera_errors
from headwater.services.container import Services


def create_feldera_app(services: Services) -> FastAPI:
    app = FastAPI(
        title="Headwater: Feldera-compatible pipelines",
        version=__version__,
        description="Pipelines with continuous input connectors, for the `feldera` client. "
        "Authenticate with `Authorization: Bearer <Headwater token>`.",
    )
    app.state.services = services
    install_feldera_errors(app)
    app.include_router(pipelines.router)
    app.include_router(connectors.router)
    app.include_router(data.router)
    return app
