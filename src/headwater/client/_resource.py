"""The base of every resource: a transport to send calls with, sync or async."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from headwater.client._models import Column
from headwater.client._transport import AsyncTransport, SyncTransport

ColumnsIn = Sequence[Column | tuple[str, str] | Mapping[str, Any] | str]
# `DECIMAL(12,2)` (or `DECIMAL(12)`, scale 0): the size goes on the wire as numbers.
_SIZED = re.compile(r"^\s*(\w+)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)\s*$")


class SyncResource:
    def __init__(self, transport: SyncTransport) -> None:
        self._t = transport


class AsyncResource:
    def __init__(self, transport: AsyncTransport) -> None:
        self._t = transport


def columns_json(columns: ColumnsIn) -> list[dict[str, Any]]:
    """Columns as `Column`, `(name, type)`, `{"name", "type"}` or `"name:TYPE"`, in the
    order pydomo compares them in: `{"type", "name"}`, then a DECIMAL's `precision` and
    `scale` (from the `Column`, the mapping, or a type written `DECIMAL(12,2)`)."""
    out = []
    for column in columns:
        size: dict[str, Any] = {}
        if isinstance(column, Column):
            name, kind = column.name, column.type
            size = {"precision": column.precision, "scale": column.scale}
        elif isinstance(column, str):
            name, _, kind = column.rpartition(":")
            if not name:
                raise ValueError(f"column {column!r} must be written NAME:TYPE")
        elif isinstance(column, Mapping):
            name, kind = column["name"], column["type"]
            size = {"precision": column.get("precision"), "scale": column.get("scale")}
        else:
            name, kind = column
        sized = _SIZED.match(kind)
        if sized:
            kind = sized.group(1)
            size = {"precision": int(sized.group(2)), "scale": int(sized.group(3) or 0)}
        shown = {"type": kind.strip().upper(), "name": name.strip()}
        out.append(shown | {k: v for k, v in size.items() if v is not None})
    return out


def grant_json(principal_id: int, level: str, group: bool) -> dict[str, Any]:
    return {"type": "GROUP" if group else "USER", "id": principal_id, "accessLevel": level.upper()}
