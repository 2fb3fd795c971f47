"""`headwater` command line. `serve` runs the service; data commands arrive with the client."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from headwater.cli.serve import serve

app = typer.Typer(
    name="headwater",
    help="Headwater: self-hosted data ingestion.",
    no_args_is_help=True,
    add_completion=True,
)


@app.command("serve")
def serve_command(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port.")] = None,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Where metadata and datasets live.")
    ] = None,
) -> None:
    """Run the HTTP service on its embedded stack (SQLite, Delta Lake, DuckDB).

    Example: headwater serve --port 8080 --data-dir ./headwater-data
    """
    serve(host=host, port=port, data_dir=data_dir)


@app.callback()
def root() -> None:
    """Headwater: self-hosted data ingestion."""


def main() -> None:
    app()
