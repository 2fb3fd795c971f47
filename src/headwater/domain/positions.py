"""Committed positions: where a stream's or a pipeline connector's reading stands.

The position itself rides in the metadata of the Delta commit that holds the rows read up to
it (`headwater.state` of a stream, `headwater.position` of a pipeline connector): rows and
position land together. A `SavedPosition` is the metadata database's copy of it, with the
version of that commit, so a run finds its position without walking the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

STREAM_TAG = "headwater.stream"  # commit metadata: which stream's run made this commit
CONNECTOR_TAG = "headwater.connector"  # commit metadata: which pipeline connector made it


@dataclass(frozen=True)
class PositionKey:
    """Whose position: the dataset written, the commit metadata key naming the writer, and
    the writer's value under it (a stream id, a pipeline connector's key)."""

    dataset_id: str
    tag: str
    owner: str


@dataclass(frozen=True)
class SavedPosition:
    key: PositionKey
    position: Any  # JSON: a stream's state (a dict), a connector's position (a dict or None)
    version: int  # the Delta version whose commit metadata holds it
