"""`headwater pipeline ...`: pipelines of continuous connectors (Feldera's API), their
lifecycle, statistics and queries."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from headwater.cli import _complete as complete
from headwater.cli import _output as out
from headwater.cli._context import client, dump, handles_errors
from headwater.cli._options import Json
from headwater.cli.connectors import errors_table, inputs_table
from headwater.client import Pipeline

app = typer.Typer(
    help="Pipelines: tables fed continuously by input connectors.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

PipelineName = Annotated[
    str,
    typer.Argument(
        help="The pipeline's name.", show_default=False, autocompletion=complete.pipelines
    ),
]
Wait = Annotated[
    bool,
    typer.Option("--wait/--no-wait", help="Return once the pipeline shows the new status."),
]
Timeout = Annotated[
    float, typer.Option(min=0.1, help="Seconds to wait for the new status before failing.")
]


def _report(pipeline: Pipeline, json: bool) -> None:
    if json:
        out.print_json(pipeline.raw)
        return
    where = f" (in {pipeline.location})" if pipeline.location else ""
    out.stderr().print(f"pipeline {pipeline.name}: {pipeline.status}{where}", highlight=False)


@app.command("ls")
@handles_errors
def list_pipelines(ctx: typer.Context, json: Json = False) -> None:
    """List the pipelines you can see, with their status.

    Example: headwater pipeline ls
    """
    pipelines = client(ctx).pipelines.list()
    if json:
        return out.print_json(dump(pipelines))
    out.table(
        ["NAME", "STATUS", "DESIRED", "TABLES", "VIEWS", "CONNECTOR ERRORS", "CREATED"],
        [
            (
                p.name,
                p.status,
                p.desired_status,
                ", ".join(t.name for t in p.tables),
                ", ".join(p.views),
                p.connector_errors,
                p.created_at,
            )
            for p in pipelines
        ],
    )
    return None


@app.command("show")
@handles_errors
def show(
    ctx: typer.Context,
    name: PipelineName,
    sql: Annotated[
        bool, typer.Option("--sql", help="Print only the program (SQL), e.g. to edit it.")
    ] = False,
    json: Json = False,
) -> None:
    """Show a pipeline: its status, tables (each also a dataset) and views.

    Example: headwater pipeline show shop
    """
    pipeline = client(ctx).pipelines.get(name)
    if json:
        return out.print_json(pipeline.raw)
    if sql:
        sys.stdout.write((pipeline.program_code or "").rstrip("\n") + "\n")
        return None
    out.fields(
        [
            ("name", pipeline.name),
            ("description", pipeline.description),
            ("status", pipeline.status),
            ("desired", pipeline.desired_status),
            ("running in", pipeline.location),
            ("storage", pipeline.storage_status),
            ("error", pipeline.error and pipeline.error.get("message", pipeline.error)),
            ("views", ", ".join(pipeline.views)),
            ("version", pipeline.version),
            ("created", pipeline.created_at),
        ]
    )
    out.table(
        ["TABLE", "DATASET", "COLUMNS"],
        [
            (
                t.name,
                f"{pipeline.name}.{t.name}",
                ", ".join(f"{c.name} {c.type_text}" for c in t.columns),
            )
            for t in pipeline.tables
        ],
        title="tables",
    )
    return None


@app.command("create")
@handles_errors
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The new pipeline's name.", show_default=False)],
    sql: Annotated[
        typer.FileText,
        typer.Option(
            "--sql",
            help="A file of Feldera SQL: CREATE TABLE ... WITH ('connectors' = ...) and "
            "CREATE VIEW; - reads stdin.",
        ),
    ],
    description: Annotated[str | None, typer.Option(help="What it is for.")] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace the program of a stopped pipeline.")
    ] = False,
    json: Json = False,
) -> None:
    """Create a pipeline from a SQL program; it starts stopped. Each table becomes a dataset
    named PIPELINE.TABLE.

    Example: headwater pipeline create shop --sql shop.sql
    """
    program = sql.read()
    pipelines = client(ctx).pipelines
    made = (pipelines.replace if replace else pipelines.create)(
        name, program, description=description
    )
    if json:
        return out.print_json(made.raw)
    out.stdout().print(made.name)
    tables = ", ".join(t.name for t in made.tables) or "none"
    views = ", ".join(made.views) or "none"
    verb = "saved" if replace else "created"
    out.stderr().print(
        f"{verb} pipeline {made.name}: tables {tables}; views {views}. "
        f"Start it with: headwater pipeline start {made.name}",
        highlight=False,
    )
    return None


@app.command("start")
@handles_errors
def start(
    ctx: typer.Context,
    name: PipelineName,
    paused: Annotated[
        bool, typer.Option("--paused", help="Start it Paused: connectors open, read nothing.")
    ] = False,
    wait: Wait = True,
    timeout: Timeout = 60.0,
    json: Json = False,
) -> None:
    """Start a pipeline (or resume a paused one): its connectors start reading.

    Example: headwater pipeline start shop
    """
    started = client(ctx).pipelines.start(name, paused=paused, wait=wait, timeout=timeout)
    _report(started, json)


@app.command("pause")
@handles_errors
def pause(
    ctx: typer.Context,
    name: PipelineName,
    wait: Wait = True,
    timeout: Timeout = 60.0,
    json: Json = False,
) -> None:
    """Pause a running pipeline: every connector stops reading; its data stays queryable.

    Example: headwater pipeline pause shop
    """
    _report(client(ctx).pipelines.pause(name, wait=wait, timeout=timeout), json)


@app.command("resume")
@handles_errors
def resume(
    ctx: typer.Context,
    name: PipelineName,
    wait: Wait = True,
    timeout: Timeout = 60.0,
    json: Json = False,
) -> None:
    """Resume a paused pipeline.

    Example: headwater pipeline resume shop
    """
    _report(client(ctx).pipelines.resume(name, wait=wait, timeout=timeout), json)


@app.command("stop")
@handles_errors
def stop(
    ctx: typer.Context,
    name: PipelineName,
    wait: Wait = True,
    timeout: Timeout = 60.0,
    json: Json = False,
) -> None:
    """Stop a pipeline: the connectors commit what they buffered, then let go. Starting it
    again carries on from where each connector stopped.

    Example: headwater pipeline stop shop
    """
    _report(client(ctx).pipelines.stop(name, wait=wait, timeout=timeout), json)


@app.command("rm")
@handles_errors
def remove(
    ctx: typer.Context,
    name: PipelineName,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first.")] = False,
) -> None:
    """Delete a stopped pipeline; its tables stay, as datasets with their data.

    Example: headwater pipeline rm shop --yes
    """
    if not yes:
        typer.confirm(f"Delete pipeline {name}? (its tables' datasets stay)", abort=True)
    client(ctx).pipelines.delete(name)
    out.stderr().print(f"deleted pipeline {name}")


@app.command("stats")
@handles_errors
def stats(
    ctx: typer.Context,
    name: PipelineName,
    errors: Annotated[
        bool, typer.Option("--errors", help="Also list each connector's recent errors.")
    ] = False,
    json: Json = False,
) -> None:
    """Show a started pipeline's totals and each input connector's state and counters.

    Example: headwater pipeline stats shop
    """
    found = client(ctx).pipelines.stats(name, errors=errors)
    if json:
        return out.print_json(found.raw)
    out.fields(
        [
            ("pipeline", name),
            ("state", found.state),
            ("records in", found.total_input_records),
            ("bytes in", out.size(found.total_input_bytes)),
            ("committed", found.total_processed_records),
            ("buffered", found.buffered_input_records),
            ("started", found.started_at),
            ("up for", out.seconds(found.uptime_ms / 1000)),
            ("input complete", found.complete),
        ]
    )
    inputs_table(found.inputs, found.state)
    if errors:
        for connector in found.inputs:
            errors_table(connector)
    return None


@app.command("query")
@handles_errors
def query(
    ctx: typer.Context,
    name: PipelineName,
    sql: Annotated[str, typer.Argument(help="One SELECT over its tables and views.")],
    json: Json = False,
) -> None:
    """Run one SELECT over a pipeline's tables and views (whatever its state) and print a table.

    Example: headwater pipeline query shop "SELECT count(*) AS clicks FROM clicks"
    """
    result = client(ctx).pipelines.query(name, sql)
    if json:
        return out.print_json(result.rows)
    out.table(result.columns, [list(r.values()) for r in result.rows])
    out.stderr().print(f"{len(result):,} rows", highlight=False)
    return None
