"""Start the service: settings, first-start admin, then uvicorn with one or more workers.

With one worker (the default) everything runs in this process. With `--workers N` this
process migrates the metadata, creates the first admin, and runs the background runtime
(scheduler, supervisor of continuous connectors, executor of scheduled runs) once; uvicorn
starts N worker processes that serve the requests. Each worker builds its own services over
the same database and is a runner of its own (heartbeat, executor for the runs requested
through it), so a worker's crash is settled like any server's. Why not the scheduler in
every worker: the scheduler and supervisor are built to share one database through claims
and leases, but running them once avoids N pollers contending for SQLite's one writer."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer
import uvicorn
from fastapi import FastAPI

from headwater.bootstrap import build_app, build_runtime
from headwater.settings import Settings

# uvicorn[standard] is a dependency: ask for uvloop and httptools by name, so a missing one
# fails at start instead of falling back to plain asyncio (whose multi-worker throughput
# collapses on this kind of machine: Nagle and delayed ACKs, an open upstream bug).
LOOP = "uvloop"
HTTP = "httptools"


def serve(
    host: str | None, port: int | None, data_dir: Path | None, workers: int | None = None
) -> None:
    overrides: dict[str, Any] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    if data_dir is not None:
        overrides["data_dir"] = data_dir.resolve()
    if workers is not None:
        overrides["workers"] = workers
    settings = Settings(**overrides)
    runtime = build_runtime(settings)
    first = runtime.services.identity.auth.ensure_admin(settings.admin_token)
    url = f"http://{settings.host}:{settings.port}"
    typer.echo(f"Headwater on {url}  (data in {settings.data_dir.resolve()})")
    if first.generated_token:
        typer.echo("First start: created user 'admin'. Its token, shown only this once:")
        typer.echo(f"    {first.generated_token}")
    elif first.created:
        typer.echo("First start: created user 'admin' with HEADWATER_ADMIN_TOKEN.")
    elif runtime.services.identity.auth.admin_access_lost():
        # HEADWATER_ADMIN_TOKEN is for the first start only: a token revoked on purpose (say,
        # leaked) must not come back because the variable is still set.
        typer.echo(
            "No admin holds a usable access token. Issue one on this server with the same "
            "settings: headwater admin reset-token"
        )
    typer.echo(f"Authenticate with the header  X-DOMO-Developer-Token: <token>  (docs: {url}/docs)")
    if settings.workers > 1:
        typer.echo(f"{settings.workers} worker processes; background services in this one")
    runtime.start()
    try:
        if settings.workers == 1:
            uvicorn.run(build_app(runtime), **_uvicorn_options(settings))
        else:
            # Workers are spawned, not forked: they read the same settings from the
            # environment, with this command's options written into it.
            for name, value in overrides.items():
                os.environ[f"HEADWATER_{name.upper()}"] = str(value)
            uvicorn.run(
                f"{__name__}:worker_app",
                factory=True,
                workers=settings.workers,
                **_uvicorn_options(settings),
            )
    finally:
        runtime.close()


def _uvicorn_options(settings: Settings) -> dict[str, Any]:
    return {
        "host": settings.host,
        "port": settings.port,
        "loop": LOOP,
        "http": HTTP,
        "log_level": "info",
        "access_log": False,
    }


def worker_app() -> FastAPI:
    """One worker of `serve --workers N`: its own services and heartbeat; no scheduler or
    supervisor (the parent runs those). Closed with the app when the worker stops."""
    runtime = build_runtime(Settings())
    runtime.start(background=False)
    return build_app(runtime, close_runtime=True)
