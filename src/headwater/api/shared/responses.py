"""Response shapes both Domo dialects send: a schema's columns, what a load's quality checks
and schema policy did. Field names as on the wire; see `api.shared.wire_model`."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from headwater.api.shared.wire_model import WireModel


class ColumnOut(WireModel):
    """`{"type", "name"}`, then a DECIMAL's size (`columns_wire.column_json`)."""

    type: str = Field(description="STRING, LONG, DOUBLE, DECIMAL, DATE, DATETIME or BOOLEAN")
    name: str
    precision: int | None = Field(default=None, description="DECIMAL only")
    scale: int | None = Field(default=None, description="DECIMAL only")


class SchemaOut(WireModel):
    columns: list[ColumnOut]


class Message(WireModel):
    message: str


class CheckResultOut(WireModel):
    """One quality check's verdict on a load (docs/quality-checks.md)."""

    name: str
    type: str
    status: str
    failingRows: int | None
    message: str
    samples: list[dict[str, Any]] = Field(description="Some failing rows, column → value.")


class QuarantineOut(WireModel):
    datasetId: str
    rows: int


class Widened(WireModel):
    column: str
    from_: str = Field(alias="from")
    to: str


class SchemaChangesOut(WireModel):
    """What a stream's schemaPolicy did to the dataset's columns (docs/schema-policy.md)."""

    added: list[str]
    widened: list[Widened]
    dropped: list[str]
    nullFilled: list[str]


class Empty(WireModel):
    """`{}`: done, nothing to tell."""
