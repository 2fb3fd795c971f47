"""A column as the metadata database stores it, in a JSON list per dataset or pipeline table:
`{"name", "type"}`, plus `"precision"` and `"scale"` for a DECIMAL. A stored DECIMAL without
them predates decimal sizes and is read as DECIMAL(38, 9), the size it always had: new keys
in a JSON value, so no migration."""

from __future__ import annotations

from typing import Any

from headwater.domain.columns import Column, ColumnType


def column_to_json(column: Column) -> dict[str, Any]:
    stored: dict[str, Any] = {"name": column.name, "type": column.type.value}
    if column.precision is not None:
        stored["precision"], stored["scale"] = column.decimal_size
    return stored


def column_from_json(stored: dict[str, Any]) -> Column:
    return Column(
        stored["name"], ColumnType(stored["type"]), stored.get("precision"), stored.get("scale")
    )
