"""`headwater token ...`: access tokens, for you or (admins) for others."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from headwater.cli import _output as out
from headwater.cli._context import client, dump, handles_errors
from headwater.cli._options import Json

app = typer.Typer(help="Access tokens.", no_args_is_help=True, rich_markup_mode="markdown")


@app.command("ls")
@handles_errors
def list_tokens(ctx: typer.Context, json: Json = False) -> None:
    """List your tokens (admins: everyone's). Secrets are never shown again.

    Example: headwater token ls
    """
    tokens = client(ctx).tokens.list()
    if json:
        return out.print_json(dump(tokens))
    out.table(
        ["ID", "NAME", "OWNER", "CREATED", "EXPIRES"],
        [(t.id, t.name, t.owner_id, t.created_at, t.expires_at or "never") for t in tokens],
    )
    return None


@app.command("create")
@handles_errors
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="What the token is for.")],
    owner: Annotated[int | None, typer.Option(help="For this user (admins only).")] = None,
    days: Annotated[
        int | None, typer.Option("--expires-in-days", min=1, help="Expire after this many days.")
    ] = None,
    json: Json = False,
) -> None:
    """Create a token and print its secret, which is shown only this once.

    Example: headwater token create ci --owner 7 --expires-in-days 90
    """
    expires = datetime.now(UTC) + timedelta(days=days) if days else None
    issued = client(ctx).tokens.create(name, owner_id=owner, expires=expires)
    if json:
        return out.print_json(issued.raw)
    out.stdout().print(issued.token, highlight=False)
    out.stderr().print(
        f"token {issued.id} for user {issued.owner_id}: keep it, it is not shown again"
    )
    return None


@app.command("revoke")
@handles_errors
def revoke(
    ctx: typer.Context, token_id: Annotated[int, typer.Argument(help="The token's id.")]
) -> None:
    """Revoke a token; requests with it fail from now on.

    Example: headwater token revoke 4
    """
    client(ctx).tokens.revoke(token_id)
    out.stderr().print(f"revoked token {token_id}")
