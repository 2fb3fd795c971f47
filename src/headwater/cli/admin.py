"""`headwater admin ...`: run on the server itself, against its metadata database, not
through the API. For when the API cannot help: every admin token revoked or expired.

Like `serve`, these commands read the server's settings (`--data-dir`, `HEADWATER_DATA_DIR`,
`HEADWATER_DATABASE_URL`): whoever may run them can read the database anyway, so they ask for
no token. They import the server's code only when they run, so data commands stay light.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from headwater.cli import _output as out
from headwater.cli._context import fail

app = typer.Typer(
    help="Recovery on the server, through its database (no token needed).",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

RECOVERY_NAME = "recovery (headwater admin reset-token)"


@app.command("reset-token")
def reset_token(
    user: Annotated[
        str | None,
        typer.Option(help="The admin, by email or id. Default: the first admin (lowest id)."),
    ] = None,
    name: Annotated[str, typer.Option(help="The new token's name.")] = RECOVERY_NAME,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir", help="The server's data dir (HEADWATER_DATA_DIR; as for `serve`)."
        ),
    ] = None,
) -> None:
    """Issue a new token for an admin and print it, once. Run it on the server, with the
    same settings as `headwater serve`; it works while the server runs, and when every
    admin token is gone. Other tokens stay as they are.

    Example: headwater admin reset-token --data-dir ./headwater-data --user admin@headwater.local
    """
    from headwater.bootstrap import admin_auth
    from headwater.domain.errors import HeadwaterError
    from headwater.settings import Settings

    settings = Settings(data_dir=data_dir.resolve()) if data_dir else Settings()
    try:
        with admin_auth(settings) as auth:
            issued = auth.recovery_token(user, name)
    except HeadwaterError as exc:
        raise fail(exc.message) from None
    out.stdout().print(issued.secret, highlight=False)
    out.stderr().print(
        f"token {issued.token.id} for admin {issued.admin.display_name} "
        f"({issued.admin.email}, user {issued.admin.id}): keep it, it is not shown again",
        highlight=False,
    )
