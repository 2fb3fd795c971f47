"""Start the service: settings, first-start admin, then uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
import uvicorn

from headwater.bootstrap import build_app, build_runtime
from headwater.settings import Settings


def serve(host: str | None, port: int | None, data_dir: Path | None) -> None:
    overrides: dict[str, Any] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    settings = Settings(**overrides)
    runtime = build_runtime(settings)
    first = runtime.services.auth.ensure_admin(settings.admin_token)
    url = f"http://{settings.host}:{settings.port}"
    typer.echo(f"Headwater on {url}  (data in {settings.data_dir.resolve()})")
    if first.generated_token:
        typer.echo("First start: created user 'admin'. Its token, shown only this once:")
        typer.echo(f"    {first.generated_token}")
    elif first.created:
        typer.echo("First start: created user 'admin' with HEADWATER_ADMIN_TOKEN.")
    typer.echo(f"Authenticate with the header  X-DOMO-Developer-Token: <token>  (docs: {url}/docs)")
    runtime.start()
    try:
        uvicorn.run(
            build_app(runtime),
            host=settings.host,
            port=settings.port,
            log_level="info",
            access_log=False,
        )
    finally:
        runtime.close()
