"""How the CLI prints: JSON for programs (`--json`), Rich tables for people; progress and
errors on stderr, so stdout stays clean for pipes."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table


def stdout() -> Console:
    return Console(highlight=False, soft_wrap=False)


def stderr() -> Console:
    console = Console(stderr=True, highlight=False)
    # Off a terminal (a log file, CI, a pipe) Rich would wrap at 80 columns and break one
    # message into two lines; there a message stays one line, and whatever shows it wraps it.
    console.soft_wrap = not console.is_terminal
    return console


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str | None = None) -> None:
    grid = Table(title=title, show_edge=False, header_style="bold")
    for name in columns:
        grid.add_column(name, overflow="fold")
    for row in rows:
        grid.add_row(*(cell(v) for v in row))
    stdout().print(grid)


def fields(pairs: Iterable[tuple[str, Any]]) -> None:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    for name, value in pairs:
        grid.add_row(name, cell(value))
    stdout().print(grid)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return number(value)
    return str(value)


def data_cell(value: Any) -> str:
    """A value of a query's rows, as the exact text the server sent: no thousands separators
    and no exponent (a DECIMAL of 1262525250.00 arrives as the JSON number 1262525250.0 and
    -0.00...01 as -1e-38; both are shown with every digit in place, as `1262525250.0` and
    `-0.00000000000000000000000000000000000001`)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return cell(value)
    if isinstance(value, int) or not math.isfinite(value):
        return repr(value)
    return format(Decimal(repr(value)), "f")


# Between these, a double reads as a plain number; beyond them, 1e+22 reads better than 23
# digits, and Python writes it so.
PLAIN_FROM, PLAIN_TO = 1e-6, 1e16


def number(value: float) -> str:
    """Every digit the server sent: the shortest text that reads back as the same double
    (Python's repr, which is what JSON carried), positional with thousands separators as
    integers get, so 99909708580.0 shows as 99,909,708,580.0 (not 9.99e+10)."""
    text = repr(value)
    if not math.isfinite(value) or not (value == 0 or PLAIN_FROM <= abs(value) < PLAIN_TO):
        return text
    return format(Decimal(text), ",f")  # the same digits, placed: 2.5e-05 -> 0.000025


def size(n: int | float) -> str:
    """Decimal units, as Rich's progress columns show them."""
    step = 1000.0
    value = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(value) < step or unit == "TB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= step
    return f"{value} TB"


def seconds(value: float | None) -> str:
    if value is None:
        return "-:--:--"
    minutes, rest = divmod(round(value), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{rest:02d}"
