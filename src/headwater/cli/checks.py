"""`headwater dataset checks ...`: a dataset's quality checks, and what they found in a load."""

from __future__ import annotations

import json as jsonlib
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from headwater.cli import _complete as complete
from headwater.cli import _output as out
from headwater.cli._context import client, fail, handles_errors
from headwater.cli._options import Json
from headwater.client import Check, Checks, Execution

app = typer.Typer(
    help="Quality checks: rules each load must pass before it is committed.\n\n"
    "Example: headwater dataset checks set 3f2c... checks.json --on-failure QUARANTINE",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

DatasetId = Annotated[
    str,
    typer.Argument(help="The dataset's id.", show_default=False, autocompletion=complete.datasets),
]
OnFailure = Annotated[
    str | None,
    typer.Option(
        "--on-failure",
        help="FAIL (the run ends in ERROR, nothing committed) or QUARANTINE (failing rows go "
        "to '<name> (quarantine)'); default: the file's onFailure, else FAIL.",
    ),
]


def _rule(check: Check) -> str:
    """A check's rule in a few words, for a table."""
    kind = check.type
    if kind == "NOT_NULL":
        return "has a value"
    if kind == "UNIQUE":
        return "unique"
    if kind == "ACCEPTED_VALUES":
        values = ", ".join(str(v) for v in check.values or [])
        return f"one of {values if len(values) <= 60 else values[:57] + '...'}"
    if kind in ("RANGE", "ROW_COUNT"):
        what = "rows" if kind == "ROW_COUNT" else "value"
        if check.min is None:
            return f"{what} <= {check.max}"
        if check.max is None:
            return f"{what} >= {check.min}"
        return f"{what} in [{check.min}, {check.max}]"
    if kind == "REGEX":
        return f"matches {check.pattern}"
    if kind == "FRESHNESS":
        return f"newest within {check.max_age_hours:g} h of the load"
    return ""


def _show(checks: Checks) -> None:
    out.fields(
        [
            ("dataset", checks.dataset_id),
            ("on failure", checks.on_failure),
            ("quarantine dataset", checks.quarantine_dataset_id),
        ]
    )
    out.table(
        ["NAME", "TYPE", "COLUMNS", "RULE"],
        [
            (c.name, c.type, ", ".join(c.columns or ([c.column] if c.column else [])), _rule(c))
            for c in checks.checks
        ],
        title="checks",
    )


def _read(source: str) -> Any:
    """The JSON document in the file (or stdin); a problem is one line naming the file."""
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise fail(
            f"{source} is not UTF-8 text (byte {exc.start} cannot be read); save it as UTF-8",
            code=2,
        ) from None
    except OSError as exc:
        raise fail(f"{source} cannot be read: {exc.strerror or exc}", code=2) from None
    try:
        return jsonlib.loads(text)
    except jsonlib.JSONDecodeError as exc:
        raise fail(f"{source} is not JSON: {exc}", code=2) from None


@app.command("show")
@handles_errors
def show(ctx: typer.Context, dataset_id: DatasetId, json: Json = False) -> None:
    """Show a dataset's checks and what a load that fails them does.

    Example: headwater dataset checks show 3f2c...
    """
    checks = client(ctx).datasets.checks(dataset_id)
    if json:
        return out.print_json(checks.raw)
    _show(checks)
    return None


@app.command("set")
@handles_errors
def set_checks(
    ctx: typer.Context,
    dataset_id: DatasetId,
    source: Annotated[
        str,
        typer.Argument(
            help="A JSON file (`-` for stdin): a list of checks, or "
            '`{"onFailure": ..., "checks": [...]}` as `show --json` prints it.'
        ),
    ],
    on_failure: OnFailure = None,
    json: Json = False,
) -> None:
    """Replace a dataset's checks with those in a JSON file.

    Example: headwater dataset checks set 3f2c... checks.json --on-failure QUARANTINE
    """
    document = _read(source)
    if isinstance(document, list):
        listed, mode = document, None
    elif isinstance(document, dict) and isinstance(document.get("checks"), list):
        # `checks` must be there: a file without it would remove every check
        listed, mode = document["checks"], document.get("onFailure")
    else:
        raise fail(f'{source} holds neither a list of checks nor {{"checks": [...]}}', code=2)
    checks = client(ctx).datasets.set_checks(
        dataset_id, listed, on_failure=on_failure or mode or "FAIL"
    )
    if json:
        return out.print_json(checks.raw)
    out.stderr().print(
        f"{len(checks.checks)} checks set on dataset {dataset_id}; on failure: {checks.on_failure}",
        highlight=False,
    )
    return None


@app.command("clear")
@handles_errors
def clear(ctx: typer.Context, dataset_id: DatasetId) -> None:
    """Remove every check of a dataset: loads go through unchecked.

    Example: headwater dataset checks clear 3f2c...
    """
    client(ctx).datasets.set_checks(dataset_id, [])
    out.stderr().print(f"removed the checks of dataset {dataset_id}", highlight=False)


@app.command("results")
@handles_errors
def results(
    ctx: typer.Context,
    dataset_id: DatasetId,
    execution_id: Annotated[
        int | None,
        typer.Option(
            "--execution", "-e", help="An execution of the dataset's stream; default: its latest."
        ),
    ] = None,
    json: Json = False,
) -> None:
    """What the checks found in a load: each check's status, failing rows and samples.

    Example: headwater dataset checks results 3f2c... --execution 12
    """
    hw = client(ctx)
    stream_id = hw.datasets.get(dataset_id).stream_id
    if stream_id is None:
        raise fail(f"dataset {dataset_id} has no stream, so no execution")
    execution: Execution
    if execution_id is None:
        latest = hw.executions.list(stream_id, limit=1)
        if not latest:
            raise fail(f"the stream of dataset {dataset_id} has no execution yet")
        execution = latest[0]
    else:
        execution = hw.executions.get(stream_id, execution_id)
    if json:
        return out.print_json(
            {
                "executionId": execution.id,
                "currentState": execution.state,
                "checkResults": execution.raw.get("checkResults", []),
                "quarantine": execution.raw.get("quarantine"),
            }
        )
    out.fields(
        [
            ("execution", execution.id),
            ("state", execution.state),
            ("rows committed", execution.rows),
            ("quarantined", execution.quarantined_rows or None),
            ("quarantine dataset", execution.quarantine_dataset_id),
        ]
    )
    if not execution.check_results:
        out.stderr().print("no checks ran on this execution", highlight=False)
        return None
    out.table(
        ["CHECK", "TYPE", "STATUS", "FAILING ROWS", "FOUND"],
        [(r.name, r.type, r.status, r.failing_rows, r.message) for r in execution.check_results],
        title="checks",
    )
    for result in execution.check_results:
        if result.samples:
            names = list(result.samples[0])
            out.table(
                names,
                [[row.get(n) for n in names] for row in result.samples],
                title=f"sample rows failing {result.name!r}",
            )
    return None
