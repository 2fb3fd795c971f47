"""What every command shares: the resolved profile, a client made from it, and one place
that turns client errors into a message and an exit code.

Exit codes: 0 done; 1 the server refused, or a run or upload failed; 2 bad usage (Click's);
3 the server could not be reached; 130 interrupted.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import typer

from headwater.cli._output import stderr
from headwater.cli.profiles import Profile, ProfileError, ProfileFile, default_path, resolve
from headwater.client import (
    APIError,
    BadData,
    Client,
    ExecutionFailed,
    HeadwaterError,
    RequestError,
    Unauthenticated,
    UploadIncomplete,
)

P = ParamSpec("P")
R = TypeVar("R")

FAILED, UNREACHABLE, INTERRUPTED = 1, 3, 130


@dataclass
class State:
    url: str | None
    token: str | None
    profile: str | None
    config: Path | None
    _client: Client | None = field(default=None, repr=False)

    @property
    def profiles(self) -> ProfileFile:
        return ProfileFile(self.config or default_path())

    def resolved(self) -> Profile:
        return resolve(self.url, self.token, self.profile, self.config)

    def client(self) -> Client:
        if self._client is None:
            chosen = self.resolved()
            self._client = Client(chosen.url, token=chosen.token)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def state(ctx: typer.Context) -> State:
    found = ctx.find_object(State)
    assert found is not None, "the root callback sets the state"
    return found


def client(ctx: typer.Context) -> Client:
    return state(ctx).client()


def fail(message: str, code: int = FAILED, hint: str | None = None) -> typer.Exit:
    console = stderr()
    console.print(f"[bold red]error:[/] {message}", markup=True, highlight=False)
    if hint:
        console.print(f"[dim]{hint}[/]", markup=True, highlight=False)
    return typer.Exit(code)


def explain(error: HeadwaterError) -> typer.Exit:
    """One clear message per failure, with what to do next where there is something."""
    if isinstance(error, UploadIncomplete):
        return fail(
            error.message,
            hint=f"resume with: headwater dataset upload ... --resume {error.execution_id}",
        )
    if isinstance(error, ExecutionFailed):
        return fail(error.message)
    if isinstance(error, RequestError):
        return fail(error.message, UNREACHABLE, "is the server running? see --url / HEADWATER_URL")
    if isinstance(error, Unauthenticated):
        return fail(error.message, hint="log in with `headwater login`, or set HEADWATER_TOKEN")
    if isinstance(error, APIError):
        notes = []
        if isinstance(error, BadData) and error.column:
            notes.append(f"column {error.column}")
        elif error.field:
            notes.append(f"field {error.field}")
        notes.append(f"{error.status_code} {error.code}")
        if error.toe:
            notes.append(f"toe {error.toe}")
        return fail(error.message, hint=", ".join(notes))
    return fail(error.message)


def handles_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Client errors and bad arguments end the command with a message, not a traceback."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except HeadwaterError as exc:
            raise explain(exc) from None
        except (ValueError, ProfileError) as exc:  # the client's checks, the profile file
            raise fail(str(exc)) from None
        except KeyboardInterrupt:
            raise fail("interrupted", INTERRUPTED) from None

    return run


def dump(model: Any) -> Any:
    """The server's JSON for a model or a list of them (what `--json` prints)."""
    if isinstance(model, list):
        return [dump(m) for m in model]
    return getattr(model, "raw", model)
