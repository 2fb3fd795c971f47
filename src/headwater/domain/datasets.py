"""Datasets: a named, owned, versioned table with a schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

# Columns live in their own module; these names stay importable from here.
from headwater.domain.columns import Column as Column
from headwater.domain.columns import ColumnType as ColumnType
from headwater.domain.columns import validate_columns as validate_columns


class UpdateMethod(Enum):
    REPLACE = "REPLACE"
    APPEND = "APPEND"
    UPSERT = "UPSERT"


@dataclass
class Dataset:
    id: str
    name: str
    description: str
    owner_id: int
    created_at: datetime
    updated_at: datetime
    columns: list[Column] | None = None
    tags: list[str] = field(default_factory=list)
    stream_id: int | None = None
    data_version: int | None = None
    row_count: int = 0
    deleted_at: datetime | None = None

    @property
    def has_schema(self) -> bool:
        return self.columns is not None

    @property
    def column_count(self) -> int:
        return len(self.columns or [])

    @property
    def status(self) -> str:
        return "SUCCESS" if self.data_version is not None else "NONE"
