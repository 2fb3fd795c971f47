"""`headwater stream ...`: streams, running them, and their history."""

from __future__ import annotations

import json as jsonlib
from typing import Annotated, Any

import typer

from headwater.cli import _complete as complete
from headwater.cli import _output as out
from headwater.cli._context import FAILED, client, dump, fail, handles_errors
from headwater.cli._options import Json, Limit
from headwater.cli._progress import FollowDisplay, describe
from headwater.client import Execution, Stream

app = typer.Typer(
    help="Streams: what feeds a dataset, and its runs.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

StreamId = Annotated[
    int,
    typer.Argument(help="The stream's id.", show_default=False, autocompletion=complete.streams),
]


def _config(pairs: list[str] | None) -> dict[str, Any] | None:
    if not pairs:
        return None
    parsed: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise fail(f"--config {pair!r}: write KEY=VALUE", code=2)
        parsed[key.strip()] = value
    return parsed


def _source(stream: Stream) -> str:
    return stream.provider if stream.provider and not stream.takes_uploads else "uploads (API)"


def _last(stream: Stream) -> Execution | None:
    return stream.last_execution


def _schedule(stream: Stream) -> str:
    """`0 2 * * * (ACTIVE)`: the cron or interval as given, and whether it fires."""
    if not stream.schedule:
        return "none"
    given = stream.schedule.get("cron") or stream.schedule.get("expression")
    text = str(given) if given else jsonlib.dumps(stream.schedule)
    return f"{text} ({stream.schedule_state})" if stream.schedule_state else text


@app.command("ls")
@handles_errors
def list_streams(ctx: typer.Context, limit: Limit = None, json: Json = False) -> None:
    """List the streams you can see, with their last run.

    Example: headwater stream ls
    """
    streams = client(ctx).streams.list(limit=limit)
    if json:
        return out.print_json(dump(streams))
    out.table(
        ["ID", "DATASET", "SOURCE", "METHOD", "LAST RUN", "STATE", "ROWS", "NEXT RUN"],
        [
            (
                s.id,
                s.dataset_name,
                _source(s),
                s.update_method,
                (last := _last(s)) and last.started_at,
                last and last.state,
                last and last.rows,
                s.next_run_at,
            )
            for s in streams
        ],
    )
    return None


@app.command("show")
@handles_errors
def show(ctx: typer.Context, stream_id: StreamId, json: Json = False) -> None:
    """Show a stream: its dataset, source, schedule and last run.

    Example: headwater stream show 12
    """
    stream = client(ctx).streams.get(stream_id)
    if json:
        return out.print_json(stream.raw)
    last = stream.last_execution
    out.fields(
        [
            ("id", stream.id),
            ("dataset", f"{stream.dataset_name} ({stream.dataset_id})"),
            ("source", _source(stream)),
            ("account", stream.account_id),
            ("update method", stream.update_method),
            ("schema policy", stream.schema_policy),
            ("key columns", ", ".join(stream.key_columns)),
            ("schedule", _schedule(stream)),
            ("next run", stream.next_run_at),
            ("created", stream.created_at),
            ("last run", describe(last) if last else "never"),
        ]
    )
    if stream.configuration:
        out.table(
            ["SETTING", "VALUE"],
            [(c.name, c.value) for c in stream.configuration],
            title="configuration",
        )
    return None


@app.command("create")
@handles_errors
def create(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Argument(help="Name of the new dataset it feeds.", show_default=False)
    ] = None,
    column: Annotated[
        list[str] | None, typer.Option("--column", "-c", help="NAME:TYPE, once per column.")
    ] = None,
    dataset: Annotated[
        str | None, typer.Option(help="Feed this existing dataset instead of a new one.")
    ] = None,
    provider: Annotated[
        str | None,
        typer.Option(help="A connector (file, http, sql, sftp, airbyte...); none for uploads."),
    ] = None,
    config: Annotated[
        list[str] | None, typer.Option("--config", help="KEY=VALUE of the connector; repeatable.")
    ] = None,
    account: Annotated[int | None, typer.Option(help="An account with its credentials.")] = None,
    method: Annotated[str, typer.Option(help="REPLACE, APPEND or UPSERT.")] = "REPLACE",
    key: Annotated[list[str] | None, typer.Option(help="A key column for UPSERT.")] = None,
    schema_policy: Annotated[
        str | None,
        typer.Option(help="EVOLVE (default), STRICT or IGNORE_NEW: loads with other columns."),
    ] = None,
    cron: Annotated[
        str | None, typer.Option(help="A schedule: Quartz or 5-field cron, e.g. '0 0 * * *'.")
    ] = None,
    json: Json = False,
) -> None:
    """Create a stream: uploads by default, a connector with --provider.

    Example: headwater stream create Orders -c sku:STRING -c qty:LONG --provider file
    --config path=/data/orders.csv
    """
    stream = client(ctx).streams.create(
        name,
        column,
        dataset_id=dataset,
        provider=provider,
        configuration=_config(config),
        account_id=account,
        update_method=method,
        key_columns=key,
        schedule={"cron": cron} if cron else None,
        schema_policy=schema_policy,
    )
    if json:
        return out.print_json(stream.raw)
    out.stdout().print(stream.id)
    out.stderr().print(
        f"created stream {stream.id} feeding {stream.dataset_name!r} ({stream.dataset_id})"
    )
    return None


@app.command("schedule")
@handles_errors
def schedule(
    ctx: typer.Context,
    stream_id: StreamId,
    cron: Annotated[
        str | None,
        typer.Option(help="Run on this schedule: Quartz or 5-field cron, e.g. '0 2 * * *'."),
    ] = None,
    remove: Annotated[bool, typer.Option("--remove", help="Run only when asked.")] = False,
    pause: Annotated[
        bool, typer.Option("--pause", help="Stop the scheduled runs; keep the schedule.")
    ] = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Run on the schedule again, from now.")
    ] = False,
    json: Json = False,
) -> None:
    """Set, remove, pause or resume a connector stream's schedule.

    Example: headwater stream schedule 12 --cron "0 2 * * *"
    """
    if sum(map(bool, (cron, remove, pause, resume))) != 1:
        raise fail("give exactly one of --cron, --remove, --pause or --resume", code=2)
    streams = client(ctx).streams
    if cron:
        changed = streams.set_schedule(stream_id, {"cron": cron})
    elif remove:
        changed = streams.set_schedule(stream_id, None)
    elif pause:
        changed = streams.pause_schedule(stream_id)
    else:
        changed = streams.resume_schedule(stream_id)
    if json:
        return out.print_json(changed.raw)
    when = out.cell(changed.next_run_at) if changed.next_run_at else "none"
    out.stderr().print(
        f"stream {changed.id}: schedule {_schedule(changed)}; next run {when}", highlight=False
    )
    return None


@app.command("schema-policy")
@handles_errors
def schema_policy(
    ctx: typer.Context,
    stream_id: StreamId,
    policy: Annotated[str, typer.Argument(help="EVOLVE, STRICT or IGNORE_NEW.")],
) -> None:
    """Choose what the stream's loads do when their columns differ from the dataset's.

    Example: headwater stream schema-policy 12 STRICT
    """
    stream = client(ctx).streams.set_schema_policy(stream_id, policy)
    out.stderr().print(f"stream {stream_id}: schemaPolicy {stream.schema_policy}")


@app.command("rm")
@handles_errors
def remove(
    ctx: typer.Context,
    stream_id: StreamId,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first.")] = False,
) -> None:
    """Delete a stream; its dataset stays.

    Example: headwater stream rm 12 --yes
    """
    if not yes:
        typer.confirm(f"Delete stream {stream_id}? (its dataset stays)", abort=True)
    client(ctx).streams.delete(stream_id)
    out.stderr().print(f"deleted stream {stream_id}")


@app.command("run")
@handles_errors
def run(
    ctx: typer.Context,
    stream_id: StreamId,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Watch it to the end; exit 0 only on SUCCESS.")
    ] = False,
    method: Annotated[
        str | None, typer.Option(help="REPLACE, APPEND or UPSERT for this run only.")
    ] = None,
    interval: Annotated[float, typer.Option(min=0.05, help="Seconds between polls.")] = 0.5,
    timeout: Annotated[
        float | None, typer.Option(help="Give up following after this many seconds.")
    ] = None,
    json: Json = False,
) -> None:
    """Run a connector stream now (on an API stream: open an upload).

    Example: headwater stream run 12 --follow
    """
    hw = client(ctx)
    started = hw.executions.create(stream_id, update_method=method)
    if not follow:
        if json:
            return out.print_json(started.raw)
        out.stdout().print(started.id)
        out.stderr().print(f"started execution {started.id} of stream {stream_id}")
        return None
    last = started
    with FollowDisplay(out.stderr()) as display:
        try:
            for last in hw.executions.follow(
                stream_id, started.id, interval=interval, timeout=timeout
            ):
                display(last)
        except KeyboardInterrupt:
            raise fail(
                f"stopped following; execution {started.id} goes on",
                code=130,
                hint=f"see it with: headwater stream history {stream_id}",
            ) from None
    if json:
        out.print_json(last.raw)
    _ended(last)
    return None


def _ended(execution: Execution) -> None:
    took = (
        (execution.ended_at - execution.started_at).total_seconds()
        if execution.ended_at and execution.started_at
        else None
    )
    summary = f"{execution.rows:,} rows, {out.size(execution.bytes)} in {took or 0:.1f} s"
    if execution.succeeded:
        out.stderr().print(f"[green]SUCCESS[/]: execution {execution.id}: {summary}")
        return
    reason = "; ".join(execution.errors) or "no reason given"
    raise fail(f"execution {execution.id} ended {execution.state}: {reason}", code=FAILED)


@app.command("abort")
@handles_errors
def abort(
    ctx: typer.Context,
    stream_id: StreamId,
    execution: Annotated[
        int | None, typer.Argument(help="The execution; default: the running one.")
    ] = None,
    json: Json = False,
) -> None:
    """Abort a stream's running execution; nothing it read is committed.

    Example: headwater stream abort 12
    """
    aborted = client(ctx).executions.abort(stream_id, execution)
    if json:
        return out.print_json(aborted.raw)
    out.stderr().print(f"aborted execution {aborted.id} of stream {stream_id}")
    return None


@app.command("history")
@handles_errors
def history(
    ctx: typer.Context, stream_id: StreamId, limit: Limit = None, json: Json = False
) -> None:
    """List a stream's runs, newest first.

    Example: headwater stream history 12 --limit 10
    """
    entries = client(ctx).streams.history(stream_id)[:limit]
    if json:
        return out.print_json(dump(entries))
    out.table(
        ["EXECUTION", "STATE", "TYPE", "STARTED", "SECONDS", "ROWS", "BYTES", "ERROR"],
        [
            (
                e.execution_id,
                e.state,
                e.run_type,
                e.started_at,
                e.duration,
                e.rows,
                out.size(e.bytes),
                e.error,
            )
            for e in entries
        ],
    )
    return None
