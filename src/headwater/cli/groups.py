"""`headwater group ...`: groups of users, to share datasets with many at once."""

from __future__ import annotations

from typing import Annotated

import typer

from headwater.cli import _output as out
from headwater.cli._context import client, dump, handles_errors
from headwater.cli._options import Json, Limit

app = typer.Typer(
    help="Groups (Admin and Privileged users manage them).",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

GroupId = Annotated[int, typer.Argument(help="The group's id.", show_default=False)]
UserIds = Annotated[list[int], typer.Argument(help="User ids.", show_default=False)]


@app.command("ls")
@handles_errors
def list_groups(ctx: typer.Context, limit: Limit = None, json: Json = False) -> None:
    """List groups.

    Example: headwater group ls
    """
    groups = client(ctx).groups.list(limit=limit)
    if json:
        return out.print_json(dump(groups))
    out.table(
        ["ID", "NAME", "MEMBERS", "DESCRIPTION"],
        [(g.id, g.name, g.member_count, g.description) for g in groups],
    )
    return None


@app.command("show")
@handles_errors
def show(ctx: typer.Context, group_id: GroupId, json: Json = False) -> None:
    """Show a group and its members.

    Example: headwater group show 3
    """
    group = client(ctx).groups.get(group_id)
    if json:
        return out.print_json(group.raw)
    out.fields(
        [
            ("id", group.id),
            ("name", group.name),
            ("description", group.description),
            ("members", ", ".join(str(m) for m in group.member_ids) or "none"),
        ]
    )
    return None


@app.command("create")
@handles_errors
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The group's name; unique.")],
    description: Annotated[str, typer.Option(help="What it is for.")] = "",
    json: Json = False,
) -> None:
    """Create a group.

    Example: headwater group create Analysts --description "read the sales data"
    """
    group = client(ctx).groups.create(name, description=description)
    if json:
        return out.print_json(group.raw)
    out.stdout().print(group.id)
    out.stderr().print(f"created group {group.name!r}")
    return None


@app.command("rm")
@handles_errors
def remove(ctx: typer.Context, group_id: GroupId) -> None:
    """Delete a group.

    Example: headwater group rm 3
    """
    client(ctx).groups.delete(group_id)
    out.stderr().print(f"deleted group {group_id}")


@app.command("add")
@handles_errors
def add(ctx: typer.Context, group_id: GroupId, user_ids: UserIds, json: Json = False) -> None:
    """Add users to a group.

    Example: headwater group add 3 7 8
    """
    group = client(ctx).groups.add_members(group_id, user_ids)
    if json:
        return out.print_json(group.raw)
    out.stderr().print(f"group {group.name!r} has {group.member_count} members")
    return None


@app.command("remove")
@handles_errors
def remove_members(
    ctx: typer.Context, group_id: GroupId, user_ids: UserIds, json: Json = False
) -> None:
    """Take users out of a group.

    Example: headwater group remove 3 8
    """
    group = client(ctx).groups.remove_members(group_id, user_ids)
    if json:
        return out.print_json(group.raw)
    out.stderr().print(f"group {group.name!r} has {group.member_count} members")
    return None
