"""The FastAPI application: routers of each dialect, the error table, and the services."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import Depends, FastAPI

from headwater import __version__
from headwater.api import domo, domo_public
from headwater.api.body_limit import BodyLimit
from headwater.api.errors import install_error_handlers, internal_error
from headwater.api.feldera import create_feldera_app
from headwater.api.feldera.errors import http_error as feldera_http_error
from headwater.api.last_resort import LastResort
from headwater.api.native import health
from headwater.api.openapi_errors import DOMO_ERROR, document_errors, merge_mounted
from headwater.api.openapi_responses import document_responses
from headwater.api.text_checks import TextLimits, checked_text
from headwater.services.container import Services
from headwater.settings import LimitSettings

# FastAPI's native OpenTelemetry asks the global providers on every request whether one is
# configured (about 20 µs a request, 4% of a /health): switched off unless asked for.
# FastAPI before 0.165 has no such option, and no such cost.
TELEMETRY_OFF = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}
HAS_TELEMETRY = "telemetry" in inspect.signature(FastAPI.__init__).parameters


def create_app(
    services: Services,
    telemetry: bool = False,
    on_close: Callable[[], None] | None = None,
    threads: int | None = None,
    limits: LimitSettings | None = None,
) -> FastAPI:
    """`telemetry` turns on FastAPI's OpenTelemetry spans and metrics (with the globally
    configured providers); `on_close` runs when the server shuts the app down; `threads`
    sets the size of anyio's thread pool, where handlers do their blocking work; `limits`
    bounds request bodies and text fields."""
    limits = limits or LimitSettings()
    text_limits = TextLimits(limits.name_chars, limits.description_chars, limits.text_chars)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if threads is not None:
            anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        try:
            yield
        finally:
            if on_close is not None:
                on_close()

    options: dict[str, Any] = {}
    if HAS_TELEMETRY and not telemetry:
        options["telemetry"] = TELEMETRY_OFF
    app = FastAPI(
        title="Headwater",
        version=__version__,
        description="Datasets, streams and executions behind Domo-compatible paths.",
        lifespan=lifespan,
        **options,
    )
    app.state.services = services
    app.state.text_limits = text_limits
    install_error_handlers(app, {"/v0": feldera_http_error})
    app.add_middleware(LastResort, answer=internal_error)
    # Outermost of ours: the mounted Feldera app's bodies are counted here too.
    app.add_middleware(BodyLimit, body_bytes=limits.body_bytes, data_bytes=limits.data_bytes)
    checked = [Depends(checked_text)]
    app.include_router(health.router)
    app.include_router(domo.router, dependencies=checked)
    app.include_router(domo_public.router, dependencies=checked)
    feldera = create_feldera_app(services, text_limits)
    app.mount("/v0", feldera)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = FastAPI.openapi(app)
            document_responses(document)
            document_errors(document, "DomoError", DOMO_ERROR)
            merge_mounted(document, feldera.openapi(), "/v0", "Feldera")
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
    return app
