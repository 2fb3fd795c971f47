"""Parts: pieces of an upload execution, staged apart from the dataset until commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Part:
    execution_id: int
    part_id: int
    path: str  # the staged, already validated Parquet file
    rows: int
    bytes: int  # bytes received (before decompression)
    uploaded_at: datetime
