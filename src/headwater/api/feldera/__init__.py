"""Feldera's pipeline API (`/v0`), a sub-application with its own error envelope."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI

from headwater import __version__
from headwater.api.feldera import connectors, data, pipelines
from headwater.api.feldera.errors import install_feldera_errors, internal_error
from headwater.api.last_resort import LastResort
from headwater.api.openapi_errors import FELDERA_ERROR, document_errors
from headwater.api.openapi_responses import document_responses
from headwater.api.text_checks import TextLimits, checked_text
from headwater.services.container import Services


def create_feldera_app(services: Services, text_limits: TextLimits) -> FastAPI:
    app = FastAPI(
        title="Headwater: Feldera-compatible pipelines",
        version=__version__,
        description="Pipelines with continuous input connectors, for the `feldera` client. "
        "Authenticate with `Authorization: Bearer <Headwater token>`.",
    )
    app.state.services = services
    app.state.text_limits = text_limits
    install_feldera_errors(app)
    app.add_middleware(LastResort, answer=internal_error)
    checked = [Depends(checked_text)]
    app.include_router(pipelines.router, dependencies=checked)
    app.include_router(connectors.router, dependencies=checked)
    app.include_router(data.router, dependencies=checked)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = FastAPI.openapi(app)
            document_responses(document)
            document_errors(document, "FelderaError", FELDERA_ERROR)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
    return app
