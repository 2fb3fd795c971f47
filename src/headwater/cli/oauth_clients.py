"""`headwater oauth-client ...`: clients of the public API (what `pydomo` logs in with)."""

from __future__ import annotations

from typing import Annotated

import typer

from headwater.cli import _output as out
from headwater.cli._context import client, dump, handles_errors
from headwater.cli._options import Json

app = typer.Typer(
    help="OAuth clients of the public API (pydomo).",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


@app.command("ls")
@handles_errors
def list_clients(ctx: typer.Context, json: Json = False) -> None:
    """List your OAuth clients (admins: everyone's). Secrets are never shown again.

    Example: headwater oauth-client ls
    """
    clients = client(ctx).oauth_clients.list()
    if json:
        return out.print_json(dump(clients))
    out.table(
        ["CLIENT ID", "NAME", "SCOPE", "USER", "CREATED"],
        [(c.id, c.name, " ".join(c.scope), c.user_id, c.created_at) for c in clients],
    )
    return None


@app.command("create")
@handles_errors
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="What the client is for.", show_default=False)],
    scope: Annotated[
        list[str] | None,
        typer.Option("--scope", help="data or user, once each; default: both."),
    ] = None,
    json: Json = False,
) -> None:
    """Create an OAuth client acting as you, and print its id and secret. The secret is
    shown only this once.

    Example: headwater oauth-client create pydomo --scope data
    """
    issued = client(ctx).oauth_clients.create(name, scope=scope)
    if json:
        return out.print_json(issued.raw)
    out.fields(
        [
            ("client id", issued.id),
            ("client secret", issued.secret),
            ("scope", " ".join(issued.scope)),
        ]
    )
    out.stderr().print(
        f"OAuth client {issued.name!r} for user {issued.user_id}: keep the secret, "
        "it will not be shown again",
        highlight=False,
    )
    return None


@app.command("revoke")
@handles_errors
def revoke(
    ctx: typer.Context,
    client_id: Annotated[str, typer.Argument(help="The client's id.", show_default=False)],
) -> None:
    """Revoke an OAuth client: it gets no more tokens, and those it has stop working.

    Example: headwater oauth-client revoke 6f1c...
    """
    client(ctx).oauth_clients.revoke(client_id)
    out.stderr().print(f"revoked OAuth client {client_id}", highlight=False)
