"""`headwater user ...`: people and their roles (creating them takes an admin)."""

from __future__ import annotations

from typing import Annotated

import typer

from headwater.cli import _output as out
from headwater.cli._context import client, dump, handles_errors
from headwater.cli._options import Json, Limit
from headwater.client import User

app = typer.Typer(
    help="Users (admins create them).", no_args_is_help=True, rich_markup_mode="markdown"
)

ROLES = {"admin": 1, "privileged": 2, "editor": 3, "participant": 4}


def _row(user: User) -> tuple[object, ...]:
    return (user.id, user.display_name, user.email, user.role, user.created_at)


@app.command("ls")
@handles_errors
def list_users(ctx: typer.Context, limit: Limit = None, json: Json = False) -> None:
    """List users.

    Example: headwater user ls
    """
    users = client(ctx).users.list(limit=limit)
    if json:
        return out.print_json(dump(users))
    out.table(["ID", "NAME", "EMAIL", "ROLE", "CREATED"], [_row(u) for u in users])
    return None


@app.command("show")
@handles_errors
def show(
    ctx: typer.Context,
    user_id: Annotated[int, typer.Argument(help="The user's id.")],
    json: Json = False,
) -> None:
    """Show a user.

    Example: headwater user show 7
    """
    user = client(ctx).users.get(user_id)
    if json:
        return out.print_json(user.raw)
    out.fields(zip(["id", "name", "email", "role", "created"], _row(user), strict=True))
    return None


@app.command("create")
@handles_errors
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Display name.")],
    email: Annotated[str, typer.Option(help="Their email; unique.")],
    role: Annotated[
        str, typer.Option(help="admin, privileged, editor or participant.")
    ] = "participant",
    json: Json = False,
) -> None:
    """Create a user (admins only). Give them a token with `headwater token create`.

    Example: headwater user create "Ada Lovelace" --email ada@example.com --role editor
    """
    role_id = ROLES.get(role.lower())
    if role_id is None:
        raise typer.BadParameter(f"{role!r}: choose one of {', '.join(ROLES)}", param_hint="--role")
    user = client(ctx).users.create(name, email, role_id=role_id)
    if json:
        return out.print_json(user.raw)
    out.stdout().print(user.id)
    out.stderr().print(f"created user {user.display_name!r} ({user.role})")
    return None
