"""A query's request and its values as JSON, the same on the product and the public API."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from headwater.api.decimal_json import decimal_json
from headwater.api.ranges import MAX_INT
from headwater.domain.errors import InvalidInput

# A status no rule derives (see `api.openapi_errors`): `dataVersion` past the retention horizon.
VERSION_GONE: dict[int | str, dict[str, Any]] = {
    410: {"description": "`dataVersion` is past the retention horizon (VERSION_EXPIRED)."}
}


class QueryRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    # pydomo's helper can wrap twice ({"sql": {"sql": ...}}); unwrap it rather than fail.
    sql: str | dict[str, Any]
    # Time travel: read this version of the data (`GET .../versions` lists them). Strict: a
    # JSON integer only (pydantic would read `true` as 1 and "1" as 1).
    dataVersion: int | None = Field(default=None, ge=0, le=MAX_INT, strict=True)


def json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return decimal_json(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    return value


def sql_text(raw: str | dict[str, Any]) -> str:
    while isinstance(raw, dict):
        raw = raw.get("sql", "")
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput("sql is required", field="sql")
    return raw
