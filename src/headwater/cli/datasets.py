"""`headwater dataset ...`: datasets, their data, and who may see them."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from headwater.cli import _complete as complete
from headwater.cli import _output as out
from headwater.cli import checks
from headwater.cli._context import client, dump, fail, handles_errors
from headwater.cli._options import Json, Limit, parse_size
from headwater.cli._progress import UploadDisplay
from headwater.client import Dataset
from headwater.client._uploads import (
    DEFAULT_GZIP_LEVEL,
    DEFAULT_PARALLEL,
    DEFAULT_PART_SIZE,
    PART_RETRY,
)

app = typer.Typer(
    help="Datasets: create, list, load, query, export, share; versions and restore.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

app.add_typer(checks.app, name="checks")

DatasetId = Annotated[
    str,
    typer.Argument(help="The dataset's id.", show_default=False, autocompletion=complete.datasets),
]
LEVELS = "CAN_VIEW, CAN_SHARE, CAN_EDIT or CO_OWNER"


def _principal(user: int | None, group: int | None) -> tuple[int, bool]:
    if (user is None) == (group is None):
        raise fail("name exactly one of --user or --group", code=2)
    return (user, False) if user is not None else (group, True)  # type: ignore[return-value]


def _summary(dataset: Dataset) -> list[tuple[str, object]]:
    return [
        ("id", dataset.id),
        ("name", dataset.name),
        ("description", dataset.description),
        ("owner", f"{dataset.owner_name} ({dataset.owner_id})"),
        ("rows", dataset.row_count),
        ("columns", dataset.column_count),
        ("stream", dataset.stream_id),
        ("version", dataset.data_version),
        ("your access", dataset.access_level),
        ("created", dataset.created_at),
        ("updated", dataset.updated_at),
        ("tags", ", ".join(dataset.tags)),
    ]


@app.command("ls")
@handles_errors
def list_datasets(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Option("--name", help="Only names containing this (any case).")
    ] = None,
    limit: Limit = None,
    json: Json = False,
) -> None:
    """List the datasets you can see.

    Example: headwater dataset ls --name sales
    """
    datasets = client(ctx).datasets.list(name_like=name, limit=limit)
    if json:
        return out.print_json(dump(datasets))
    out.table(
        ["ID", "NAME", "ROWS", "COLUMNS", "UPDATED", "ACCESS"],
        [
            (d.id, d.name, d.row_count, d.column_count, d.updated_at, d.access_level)
            for d in datasets
        ],
    )
    return None


@app.command("show")
@handles_errors
def show(ctx: typer.Context, dataset_id: DatasetId, json: Json = False) -> None:
    """Show a dataset: its metadata, schema and who has access.

    Example: headwater dataset show 3f2c...
    """
    hw = client(ctx)
    dataset = hw.datasets.get(dataset_id)
    permissions = hw.datasets.permissions(dataset_id)
    if json:
        return out.print_json({**dataset.raw, "permissionList": dump(permissions)})
    out.fields(_summary(dataset))
    out.table(["COLUMN", "TYPE"], [(c.name, c.type_text) for c in dataset.columns], title="schema")
    out.table(
        ["TYPE", "ID", "NAME", "LEVEL"],
        [(p.principal_type, p.principal_id, p.name, p.access_level) for p in permissions],
        title="access",
    )
    return None


@app.command("create")
@handles_errors
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The new dataset's name.")],
    column: Annotated[
        list[str] | None,
        typer.Option(
            "--column",
            "-c",
            help="NAME:TYPE, once per column, in order. Types: STRING, LONG, DOUBLE, "
            "DECIMAL (or DECIMAL(12,2): precision, scale), DATE, DATETIME, BOOLEAN.",
        ),
    ] = None,
    description: Annotated[str, typer.Option(help="What the data is.")] = "",
    tag: Annotated[list[str] | None, typer.Option("--tag", help="A tag; repeatable.")] = None,
    json: Json = False,
) -> None:
    """Create a dataset with a schema.

    Example: headwater dataset create Sales -c region:STRING -c amount:LONG
    """
    dataset = client(ctx).datasets.create(name, column, description=description, tags=tag)
    if json:
        return out.print_json(dataset.raw)
    out.stdout().print(dataset.id)
    out.stderr().print(f"created dataset {dataset.name!r} with {len(dataset.columns)} columns")
    return None


@app.command("rm")
@handles_errors
def remove(
    ctx: typer.Context,
    dataset_id: DatasetId,
    hard: Annotated[bool, typer.Option("--hard", help="Also delete the data files.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first.")] = False,
) -> None:
    """Delete a dataset (soft by default: the data files stay until --hard).

    Example: headwater dataset rm 3f2c... --yes
    """
    hw = client(ctx)
    dataset = hw.datasets.get(dataset_id)
    if not yes:
        typer.confirm(f"Delete dataset {dataset.name!r} ({dataset.row_count:,} rows)?", abort=True)
    hw.datasets.delete(dataset_id, hard=hard)
    out.stderr().print(f"deleted dataset {dataset.name!r}{' and its data' if hard else ''}")


@app.command("query")
@handles_errors
def query(
    ctx: typer.Context,
    dataset_id: DatasetId,
    sql: Annotated[str, typer.Argument(help="One SELECT; the dataset is `table`.")],
    version: Annotated[
        int | None,
        typer.Option(
            "--version",
            min=0,
            help="Read this version of the data (see `headwater dataset versions`).",
        ),
    ] = None,
    json: Json = False,
) -> None:
    """Run SQL over a dataset and print the rows as a table.

    Example: headwater dataset query 3f2c... "SELECT region, SUM(amount) FROM table GROUP BY 1"
    """
    result = client(ctx).datasets.query(dataset_id, sql, version=version)
    if json:
        return out.print_json(result.rows)
    out.table(result.columns, [[out.data_cell(v) for v in row.values()] for row in result.rows])
    out.stderr().print(f"{len(result):,} rows", highlight=False)
    return None


@app.command("versions")
@handles_errors
def versions(
    ctx: typer.Context, dataset_id: DatasetId, limit: Limit = None, json: Json = False
) -> None:
    """List the versions of a dataset's data, newest first: what each load did, and who.

    Example: headwater dataset versions 3f2c...
    """
    listed = client(ctx).datasets.versions(dataset_id, limit=limit)
    if json:
        return out.print_json(dump(listed))
    out.table(
        ["VERSION", "TIME", "OPERATION", "ADDED", "REMOVED", "ROWS", "EXECUTION", "BY", "STATE"],
        [
            (
                v.version,
                v.time,
                v.operation + (f" of {v.restored_from}" if v.restored_from is not None else ""),
                v.rows_added,
                v.rows_removed,
                v.row_count,
                v.execution_id,
                v.user_name,
                "current" if v.current else "expired" if v.expired else "",
            )
            for v in listed
        ],
    )
    return None


@app.command("restore")
@handles_errors
def restore(
    ctx: typer.Context,
    dataset_id: DatasetId,
    version: Annotated[int, typer.Argument(min=0, help="The version to make current again.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first.")] = False,
    json: Json = False,
) -> None:
    """Make an older version the current data, as a new version (the versions after it stay
    in the history and can be restored in turn).

    Example: headwater dataset restore 3f2c... 4 --yes
    """
    hw = client(ctx)
    if not yes:
        dataset = hw.datasets.get(dataset_id)
        typer.confirm(
            f"Make version {version} the current data of {dataset.name!r} "
            f"(now version {dataset.data_version})?",
            abort=True,
        )
    execution = hw.datasets.restore(dataset_id, version)
    if json:
        return out.print_json(execution.raw)
    out.stderr().print(
        f"restored version {version} as version {execution.data_version} "
        f"({execution.rows:,} rows, execution {execution.id})",
        highlight=False,
    )
    return None


@app.command("upload")
@handles_errors
def upload(
    ctx: typer.Context,
    dataset_id: DatasetId,
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="A CSV file.")
    ],
    method: Annotated[
        str | None,
        typer.Option(
            "--method", "-m", help="REPLACE, APPEND or UPSERT; default: the dataset stream's."
        ),
    ] = None,
    header: Annotated[
        bool, typer.Option("--header/--no-header", help="Whether line 1 holds column names.")
    ] = True,
    part_size: Annotated[
        str, typer.Option(help="Bytes of CSV per part (32MB, 512k...).")
    ] = f"{DEFAULT_PART_SIZE // 1024**2}MB",
    parallel: Annotated[int, typer.Option(min=1, help="Parts sent at once.")] = DEFAULT_PARALLEL,
    gzip_level: Annotated[
        int, typer.Option(min=0, max=9, help="gzip level of each part; 0 sends plain CSV.")
    ] = DEFAULT_GZIP_LEVEL,
    resume: Annotated[
        int | None,
        typer.Option(help="Resume this execution: send only the parts that did not land."),
    ] = None,
    retries: Annotated[
        int, typer.Option(min=0, help="Times a failing part is sent again before giving up.")
    ] = PART_RETRY.max_retries,
    json: Json = False,
) -> None:
    """Upload a CSV file into a dataset, in parallel gzip parts, and commit it.

    A part that keeps failing leaves the upload open and says how to resume it; nothing
    reaches the dataset until every part is in.

    Example: headwater dataset upload 3f2c... sales.csv --method APPEND
    """
    size = file.stat().st_size
    with UploadDisplay(out.stderr(), file.name, size) as display:
        result = client(ctx).uploads.upload(
            dataset_id,
            file,
            update_method=method,
            has_header=header,
            part_size=parse_size(part_size),
            parallel=parallel,
            gzip_level=gzip_level,
            resume=resume,
            part_retry=replace(PART_RETRY, max_retries=retries),
            on_progress=display,
        )
    execution = result.execution
    if json:
        return out.print_json(execution.raw)
    resumed = f", {result.parts_resumed} already there" if result.parts_resumed else ""
    out.stderr().print(
        f"{execution.state}: {execution.rows:,} rows from {out.size(result.bytes_read)} in "
        f"{result.parts} parts{resumed} ({out.size(result.bytes_sent)} sent); "
        f"execution {execution.id}, version {execution.data_version}",
        highlight=False,
    )
    return None


@app.command("export")
@handles_errors
def export(
    ctx: typer.Context,
    dataset_id: DatasetId,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    header: Annotated[
        bool, typer.Option("--header/--no-header", help="Column names first.")
    ] = True,
) -> None:
    """Export a dataset's committed data as CSV.

    Example: headwater dataset export 3f2c... -o sales.csv
    """
    hw = client(ctx)
    if output is None:
        hw.datasets.export(dataset_id, sys.stdout.buffer, include_header=header)
        sys.stdout.buffer.flush()
        return
    written = hw.datasets.export(dataset_id, output, include_header=header)
    out.stderr().print(f"wrote {out.size(written)} to {output}", highlight=False)


@app.command("share")
@handles_errors
def share(
    ctx: typer.Context,
    dataset_id: DatasetId,
    user: Annotated[int | None, typer.Option(help="A user's id.")] = None,
    group: Annotated[int | None, typer.Option(help="A group's id.")] = None,
    level: Annotated[str, typer.Option(help=LEVELS)] = "CAN_VIEW",
    json: Json = False,
) -> None:
    """Give a user or a group access to a dataset.

    Example: headwater dataset share 3f2c... --user 7 --level CAN_EDIT
    """
    principal, is_group = _principal(user, group)
    permissions = client(ctx).datasets.share(dataset_id, principal, level, group=is_group)
    if json:
        return out.print_json(dump(permissions))
    out.table(
        ["TYPE", "ID", "NAME", "LEVEL"],
        [(p.principal_type, p.principal_id, p.name, p.access_level) for p in permissions],
    )
    return None


@app.command("revoke")
@handles_errors
def revoke(
    ctx: typer.Context,
    dataset_id: DatasetId,
    user: Annotated[int | None, typer.Option(help="A user's id.")] = None,
    group: Annotated[int | None, typer.Option(help="A group's id.")] = None,
) -> None:
    """Take a user's or a group's access to a dataset away.

    Example: headwater dataset revoke 3f2c... --user 7
    """
    principal, is_group = _principal(user, group)
    client(ctx).datasets.revoke(dataset_id, principal, group=is_group)
    out.stderr().print(f"revoked {'group' if is_group else 'user'} {principal}")
