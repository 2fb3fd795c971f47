"""`headwater connector ...`: the connectors this server runs, and a pipeline's input
connectors: their state, their counters, and pausing or starting one."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

import typer

from headwater.cli import _complete as complete
from headwater.cli import _output as out
from headwater.cli._context import client, dump, handles_errors
from headwater.cli._options import Json
from headwater.client import ConnectorStats

app = typer.Typer(
    help="Connectors: the installed ones, and a pipeline's input connectors.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

PipelineName = Annotated[
    str,
    typer.Argument(help="The pipeline.", show_default=False, autocompletion=complete.pipelines),
]
Table = Annotated[str, typer.Argument(help="The table the connector feeds.", show_default=False)]
Name = Annotated[str, typer.Argument(help="The connector's name.", show_default=False)]


def state(connector: ConnectorStats, pipeline_state: str) -> str:
    """What the connector is doing: it reads only while it and its pipeline both run."""
    if connector.fatal_error:
        return "Failed"
    if connector.paused:
        return "Paused"
    if pipeline_state != "Running":
        return f"Paused by pipeline ({pipeline_state})"
    if connector.end_of_input:
        return "Finished"
    return "Running"


def inputs_table(connectors: Iterable[ConnectorStats], pipeline_state: str) -> None:
    out.table(
        ["TABLE", "CONNECTOR", "STATE", "RECORDS", "BYTES", "BUFFERED", "ERRORS", "HEALTH"],
        [
            (
                c.table,
                c.name,
                state(c, pipeline_state),
                c.total_records,
                out.size(c.total_bytes),
                c.buffered_records,
                c.parse_error_count + c.transport_error_count,
                c.health,
            )
            for c in connectors
        ],
    )


def errors_table(connector: ConnectorStats) -> None:
    recent = [("parse", e) for e in connector.parse_errors] + [
        ("transport", e) for e in connector.transport_errors
    ]
    if recent:
        out.table(
            ["KIND", "AT", "MESSAGE"],
            [(kind, _when(e.get("timestamp")), e.get("message")) for kind, e in recent],
            title=f"recent errors of {connector.endpoint}",
        )


def _when(value: Any) -> Any:
    """Feldera's error timestamps are ISO-8601 in UTC; shown in local time like the rest."""
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return value


@app.command("ls")
@handles_errors
def list_connectors(
    ctx: typer.Context,
    pipeline: Annotated[
        str | None,
        typer.Argument(
            help="List this pipeline's input connectors instead.",
            show_default=False,
            autocompletion=complete.pipelines,
        ),
    ] = None,
    json: Json = False,
) -> None:
    """List the connectors this server runs for streams, with their status (BROKEN ones
    say why); or, given a pipeline, its input connectors and what they are doing.

    Example: headwater connector ls shop
    """
    hw = client(ctx)
    if pipeline is None:
        installed = hw.connectors.list()
        if json:
            return out.print_json(dump(installed))
        out.table(
            ["CONNECTOR", "STATUS", "DESCRIPTION"],
            [(c.key, c.status, c.error or c.description) for c in installed],
        )
        return None
    stats = hw.pipelines.stats(pipeline)
    if json:
        return out.print_json(dump(stats.inputs))
    inputs_table(stats.inputs, stats.state)
    return None


@app.command("show")
@handles_errors
def show(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The connector, e.g. file.", show_default=False)],
    json: Json = False,
) -> None:
    """Show an installed connector and the settings a stream of it takes (`--config K=V`).

    Example: headwater connector show file
    """
    found = client(ctx).connectors.get(key)
    if json:
        return out.print_json(found.raw)
    out.fields(
        [
            ("connector", found.key),
            ("status", found.status),
            ("error", found.error),
            ("description", found.description),
        ]
    )
    properties: dict[str, Any] = found.spec.get("properties") or {}
    required = set(found.spec.get("required") or [])
    out.table(
        ["SETTING", "TYPE", "REQUIRED", "DEFAULT", "DESCRIPTION"],
        [
            (
                name,
                _type(prop),
                name in required,
                prop.get("default"),
                prop.get("description"),
            )
            for name, prop in properties.items()
        ],
        title="settings",
    )
    return None


def _type(prop: dict[str, Any]) -> str:
    if "enum" in prop:
        return " | ".join(str(v) for v in prop["enum"])
    kind = prop.get("type", "")
    return " | ".join(kind) if isinstance(kind, list) else str(kind)


@app.command("stats")
@handles_errors
def stats(
    ctx: typer.Context, pipeline: PipelineName, table: Table, name: Name, json: Json = False
) -> None:
    """Show one input connector of a running pipeline: its state, counters and recent errors.

    Example: headwater connector stats shop clicks gen
    """
    hw = client(ctx)
    found = hw.pipelines.connector_stats(pipeline, table, name)
    if json:
        return out.print_json(found.raw)
    pipeline_state = hw.pipelines.get(pipeline).status
    out.fields(
        [
            ("connector", f"{found.name} (table {found.table} of pipeline {pipeline})"),
            ("state", state(found, pipeline_state)),
            ("records", found.total_records),
            ("bytes", out.size(found.total_bytes)),
            ("buffered", found.buffered_records),
            ("end of input", found.end_of_input),
            ("parse errors", found.parse_error_count),
            ("transport errors", found.transport_error_count),
            ("duplicates dropped", found.duplicates_dropped),
            ("commit latency", _ms(found.commit_latency_ms)),
            ("health", f"{found.health}: {found.problem}" if found.problem else found.health),
            ("fatal error", found.fatal_error),
        ]
    )
    errors_table(found)
    return None


def _ms(value: float | None) -> str | None:
    return None if value is None else f"{value:,.0f} ms"


@app.command("pause")
@handles_errors
def pause(ctx: typer.Context, pipeline: PipelineName, table: Table, name: Name) -> None:
    """Pause one input connector: it commits what it buffered and stops reading at the
    source. The pause is stored: it holds across restarts until `connector start`.

    Example: headwater connector pause shop clicks gen
    """
    client(ctx).pipelines.pause_connector(pipeline, table, name)
    out.stderr().print(f"paused connector {name} of {pipeline}.{table}")


@app.command("start")
@handles_errors
def start(ctx: typer.Context, pipeline: PipelineName, table: Table, name: Name) -> None:
    """Start a paused input connector again: it carries on where it stopped (it reads while
    its pipeline runs too).

    Example: headwater connector start shop clicks gen
    """
    client(ctx).pipelines.start_connector(pipeline, table, name)
    out.stderr().print(f"started connector {name} of {pipeline}.{table}")
