"""Incremental reading of files by modification time, for the connectors that read files.

The state is the newest modification time read (`cursor`) and the names of the files read at
exactly that time (`at_cursor`). A file is new if it is newer than the cursor, or as old as the
cursor but not among those names: so a file that lands with the same timestamp as the last one
read (SFTP times are whole seconds) is still read once, and never twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The spec property that turns it on.
INCREMENTAL_PROPERTY: dict[str, Any] = {
    "type": "boolean",
    "default": False,
    "description": "Read only files modified since the last successful run.",
}


class ModifiedSince:
    def __init__(self, state: Mapping[str, Any], enabled: bool = True) -> None:
        self._enabled = enabled
        self._cursor = float(state.get("cursor", 0.0)) if enabled else 0.0
        self._at_cursor = set(state.get("at_cursor", [])) if enabled else set()

    def is_new(self, name: str, mtime: float) -> bool:
        if not self._enabled:
            return True
        return mtime > self._cursor or (mtime == self._cursor and name not in self._at_cursor)

    def read(self, name: str, mtime: float) -> dict[str, Any]:
        """Note `name` as read; the state to checkpoint after it."""
        if mtime > self._cursor:
            self._cursor, self._at_cursor = mtime, set()
        self._at_cursor.add(name)
        return {"cursor": self._cursor, "at_cursor": sorted(self._at_cursor)}
