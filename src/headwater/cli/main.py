"""`headwater` command line: data commands go through `headwater.client` over HTTP; `serve`
runs the service itself."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from headwater.cli import _output as out
from headwater.cli import (
    admin,
    connectors,
    datasets,
    groups,
    oauth_clients,
    pipelines,
    streams,
    tokens,
    users,
)
from headwater.cli._context import State, handles_errors, state
from headwater.cli._options import Json
from headwater.cli.profiles import Profile
from headwater.client import Client

app = typer.Typer(
    name="headwater",
    help="Headwater: self-hosted data ingestion.",
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode="markdown",
)
app.add_typer(datasets.app, name="dataset")
app.add_typer(streams.app, name="stream")
app.add_typer(users.app, name="user")
app.add_typer(groups.app, name="group")
app.add_typer(tokens.app, name="token")
app.add_typer(pipelines.app, name="pipeline")
app.add_typer(connectors.app, name="connector")
app.add_typer(oauth_clients.app, name="oauth-client")
app.add_typer(admin.app, name="admin")


@app.callback()
def root(
    ctx: typer.Context,
    url: Annotated[
        str | None,
        typer.Option(envvar="HEADWATER_URL", help="The server, e.g. http://127.0.0.1:8080."),
    ] = None,
    token: Annotated[
        str | None, typer.Option(envvar="HEADWATER_TOKEN", help="Your access token.")
    ] = None,
    profile: Annotated[
        str | None, typer.Option(envvar="HEADWATER_PROFILE", help="A profile saved by login.")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(envvar="HEADWATER_CONFIG", help="The profile file (holds tokens; 0600)."),
    ] = None,
) -> None:
    """Headwater: self-hosted data ingestion.

    Example: headwater login --url http://127.0.0.1:8080 --token hw_...
    """
    ctx.obj = State(url=url, token=token, profile=profile, config=config)
    ctx.call_on_close(ctx.obj.close)


@app.command("login")
@handles_errors
def login(
    ctx: typer.Context,
    url: Annotated[str | None, typer.Option(help="The server; default: the current one.")] = None,
    token: Annotated[str | None, typer.Option(help="Your token; asked for if not given.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Save as this profile.")] = None,
) -> None:
    """Check a token against a server and save both as a profile (the current one).

    Example: headwater login --url http://127.0.0.1:8080 --token hw_...
    """
    current = state(ctx)
    chosen = current.resolved()
    url = url or current.url or chosen.url
    token = token or current.token or typer.prompt("Token", hide_input=True)
    with Client(url, token=token) as hw:
        me = hw.users.me()
    profile = Profile(name or current.profile or chosen.name, url, token)
    current.profiles.save(profile)
    out.stderr().print(
        f"logged in to {url} as {me.display_name} ({me.role}); profile {profile.name!r} saved "
        f"in {current.profiles.path}",
        highlight=False,
    )


@app.command("logout")
@handles_errors
def logout(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option("--name", help="The profile to forget.")] = None,
) -> None:
    """Forget a saved profile and its token.

    Example: headwater logout --name staging
    """
    current = state(ctx)
    removed = current.profiles.remove(name or current.profile)
    out.stderr().print(f"forgot profile {removed!r}" if removed else "no such profile")


@app.command("whoami")
@handles_errors
def whoami(ctx: typer.Context, json: Json = False) -> None:
    """Who the token belongs to, on which server.

    Example: headwater whoami
    """
    current = state(ctx)
    me = current.client().users.me()
    if json:
        return out.print_json(me.raw)
    out.fields(
        [
            ("server", current.resolved().url),
            ("user", f"{me.display_name} ({me.id})"),
            ("role", me.role),
        ]
    )
    return None


@app.command("serve")
def serve_command(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port.")] = None,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Where metadata and datasets live.")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="HTTP worker processes (HEADWATER_WORKERS; default 1)."),
    ] = None,
) -> None:
    """Run the HTTP service on its embedded stack (SQLite, Delta Lake, DuckDB).

    Example: headwater serve --port 8080 --data-dir ./headwater-data --workers 2
    """
    # Imported here so that data commands never load the server (and start faster).
    from headwater.cli.serve import serve

    serve(host=host, port=port, data_dir=data_dir, workers=workers)


def main() -> None:
    app()
