"""The base of every resource: a transport to send calls with, sync or async."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from headwater.client._models import Column
from headwater.client._transport import AsyncTransport, SyncTransport

ColumnsIn = Sequence[Column | tuple[str, str] | Mapping[str, str] | str]


class SyncResource:
    def __init__(self, transport: SyncTransport) -> None:
        self._t = transport


class AsyncResource:
    def __init__(self, transport: AsyncTransport) -> None:
        self._t = transport


def columns_json(columns: ColumnsIn) -> list[dict[str, str]]:
    """Columns as `Column`, `(name, type)`, `{"name", "type"}` or `"name:TYPE"`, in the
    order pydomo compares them in: `{"type", "name"}`."""
    out = []
    for column in columns:
        if isinstance(column, Column):
            name, kind = column.name, column.type
        elif isinstance(column, str):
            name, _, kind = column.rpartition(":")
            if not name:
                raise ValueError(f"column {column!r} must be written NAME:TYPE")
        elif isinstance(column, Mapping):
            name, kind = column["name"], column["type"]
        else:
            name, kind = column
        out.append({"type": kind.strip().upper(), "name": name.strip()})
    return out


def grant_json(principal_id: int, level: str, group: bool) -> dict[str, Any]:
    return {"type": "GROUP" if group else "USER", "id": principal_id, "accessLevel": level.upper()}
