"""SQL over one dataset: `POST /api/query/v1/execute/{datasetId}` → a JSON array of rows."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from headwater.api.auth import Caller, ServicesDep
from headwater.api.decimal_json import decimal_json
from headwater.api.ranges import MAX_INT
from headwater.domain.errors import InvalidInput

router = APIRouter(tags=["query"])

# A status no rule derives (see `api.openapi_errors`): `dataVersion` past the retention horizon.
VERSION_GONE: dict[int | str, dict[str, Any]] = {
    410: {"description": "`dataVersion` is past the retention horizon (VERSION_EXPIRED)."}
}


class QueryRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    # pydomo's helper can wrap twice ({"sql": {"sql": ...}}); unwrap it rather than fail.
    sql: str | dict[str, Any]
    # Time travel: read this version of the data (`GET .../versions` lists them).
    dataVersion: int | None = Field(default=None, ge=0, le=MAX_INT)


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


# The rows are made JSON-ready here, so the response goes out as it is: FastAPI's check of
# a returned value against `response_model` (a second thread hop, and a pass over every row)
# is skipped; the model still documents the answer in the OpenAPI document.
@router.post(
    "/api/query/v1/execute/{dataset_id}",
    response_model=list[dict[str, Any]],
    responses=VERSION_GONE,
)
def execute(
    dataset_id: str, body: QueryRequest, caller: Caller, services: ServicesDep
) -> JSONResponse:
    result = services.query.execute(caller, dataset_id, sql_text(body.sql), body.dataVersion)
    return JSONResponse(
        [
            {name: json_value(value) for name, value in zip(result.columns, row, strict=True)}
            for row in result.rows
        ]
    )
