"""Shell completion of dataset and stream ids and pipeline names, asked of the server the
command would use.

Completion must never hang or print a traceback into a shell: one quick request, no retries,
and nothing offered if it fails.
"""

from __future__ import annotations

import os
from typing import Any

import typer

from headwater.cli.profiles import ProfileError, resolve
from headwater.client import Client, HeadwaterError, RetryConfig

LIMIT = 200
QUICK = RetryConfig(max_retries=0)
# Seconds a completion waits for the server before offering nothing: short, since a shell waits
# on it; a slow or distant server can be given longer.
TIMEOUT_VARIABLE = "HEADWATER_COMPLETE_TIMEOUT"
DEFAULT_TIMEOUT = 2.0


def _timeout() -> float:
    try:
        return float(os.environ.get(TIMEOUT_VARIABLE, DEFAULT_TIMEOUT))
    except ValueError:
        return DEFAULT_TIMEOUT


def _client(ctx: typer.Context) -> Client:
    root: dict[str, Any] = ctx.find_root().params
    chosen = resolve(root.get("url"), root.get("token"), root.get("profile"), root.get("config"))
    return Client(chosen.url, token=chosen.token, timeout=_timeout(), retry=QUICK)


def datasets(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    try:
        with _client(ctx) as hw:
            found = hw.datasets.list(limit=LIMIT)
    except (HeadwaterError, ProfileError, OSError):
        return []
    return [(d.id, d.name) for d in found if d.id.startswith(incomplete)]


def streams(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    try:
        with _client(ctx) as hw:
            found = hw.streams.list(limit=LIMIT)
    except (HeadwaterError, ProfileError, OSError):
        return []
    return [(str(s.id), s.dataset_name or "") for s in found if str(s.id).startswith(incomplete)]


def pipelines(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    try:
        with _client(ctx) as hw:
            found = hw.pipelines.list()
    except (HeadwaterError, ProfileError, OSError):
        return []
    return [(p.name, p.status) for p in found if p.name.startswith(incomplete)][:LIMIT]
