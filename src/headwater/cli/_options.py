"""Options many commands share."""

from __future__ import annotations

from typing import Annotated

import typer

Json = Annotated[bool, typer.Option("--json", help="Print the server's JSON, for programs.")]
Limit = Annotated[int | None, typer.Option("--limit", min=1, help="At most this many.")]


def parse_size(text: str) -> int:
    """`32MB`, `512k`, `1GiB`, `1000000` → bytes (k/M/G as powers of 1024)."""
    value = text.strip().upper().removesuffix("B").removesuffix("I")
    factor = 1
    for suffix, multiple in (("K", 1024), ("M", 1024**2), ("G", 1024**3)):
        if value.endswith(suffix):
            value, factor = value[:-1], multiple
            break
    try:
        parsed = int(float(value) * factor)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a size like 32MB") from None
    if parsed < 1:
        raise typer.BadParameter("the size must be positive")
    return parsed
