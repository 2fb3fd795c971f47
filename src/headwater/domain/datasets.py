"""Datasets: a named, owned, versioned table with a schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from headwater.domain.errors import InvalidInput


class ColumnType(Enum):
    STRING = "STRING"
    LONG = "LONG"
    DOUBLE = "DOUBLE"
    DECIMAL = "DECIMAL"
    DATE = "DATE"
    DATETIME = "DATETIME"
    BOOLEAN = "BOOLEAN"

    @classmethod
    def parse(cls, raw: str, *, field_name: str = "schema.columns[].type") -> ColumnType:
        try:
            return cls(raw.strip().upper())
        except (ValueError, AttributeError):
            allowed = ", ".join(t.value for t in cls)
            raise InvalidInput(
                f"unknown column type {raw!r}; use one of {allowed}", field=field_name
            ) from None


class UpdateMethod(Enum):
    REPLACE = "REPLACE"
    APPEND = "APPEND"
    UPSERT = "UPSERT"


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType


def validate_columns(columns: list[Column]) -> list[Column]:
    seen: set[str] = set()
    for index, column in enumerate(columns):
        if not column.name or not column.name.strip():
            raise InvalidInput(
                f"column {index} has an empty name", field=f"schema.columns[{index}].name"
            )
        key = column.name.lower()
        if key in seen:
            raise InvalidInput(
                f"column name {column.name!r} appears twice (names are case-insensitive)",
                field=f"schema.columns[{index}].name",
            )
        seen.add(key)
    return columns


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
