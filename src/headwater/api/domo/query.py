"""SQL over one dataset: `POST /api/query/v1/execute/{datasetId}` → a JSON array of rows."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from headwater.api.auth import Caller, ServicesDep
from headwater.api.domo.responses import DomoQueryRows
from headwater.api.shared.query_wire import VERSION_GONE, QueryRequest, json_value, sql_text

router = APIRouter(tags=["query"])


# The rows are made JSON-ready here, so the response goes out as it is: FastAPI's check of
# a returned value against `response_model` (a second thread hop, and a pass over every row)
# is skipped; the model still documents the answer in the OpenAPI document.
@router.post(
    "/api/query/v1/execute/{dataset_id}",
    response_model=DomoQueryRows,
    responses=VERSION_GONE,
)
def execute(
    dataset_id: str, body: QueryRequest, caller: Caller, services: ServicesDep
) -> JSONResponse:
    result = services.datasets.query.execute(
        caller, dataset_id, sql_text(body.sql), body.dataVersion
    )
    return JSONResponse(
        [
            {name: json_value(value) for name, value in zip(result.columns, row, strict=True)}
            for row in result.rows
        ]
    )
