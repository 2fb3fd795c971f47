"""A DataSet's rows: CSV import (`PUT .../data`), CSV export (`GET .../data`) and SQL
(`POST /v1/datasets/query/execute/{id}`). Export and SQL see only the rows the caller's PDP
policies allow."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import JSONResponse, StreamingResponse

from headwater.api.auth import ServicesDep
from headwater.api.body_stream import gzip_hint, with_body_chunks
from headwater.api.domo_public.auth import DataCaller
from headwater.api.domo_public.responses import PublicQueryResult
from headwater.api.openapi_bodies import CSV_BODY
from headwater.api.openapi_responses import CSV_ANSWER
from headwater.api.shared.flags import parse_flag
from headwater.api.shared.query_wire import VERSION_GONE, QueryRequest, json_value, sql_text
from headwater.api.upload_options import HEADER_HELP, header_flag, policy_param
from headwater.domain.datasets import UpdateMethod
from headwater.domain.errors import InvalidInput
from headwater.domain.streams import parse_update_method

router = APIRouter(tags=["public API: dataset data"])

IMPORT_METHODS = (UpdateMethod.REPLACE, UpdateMethod.APPEND)

# DuckDB's result types as Domo names them in query metadata.
DOMO_TYPES = {
    "BIGINT": "LONG",
    "INTEGER": "LONG",
    "SMALLINT": "LONG",
    "TINYINT": "LONG",
    "HUGEINT": "LONG",
    "UBIGINT": "LONG",
    "UINTEGER": "LONG",
    "DOUBLE": "DOUBLE",
    "FLOAT": "DOUBLE",
    "DATE": "DATE",
    "TIMESTAMP": "DATETIME",
    "TIMESTAMP WITH TIME ZONE": "DATETIME",
    "BOOLEAN": "BOOLEAN",
    "VARCHAR": "STRING",
}


def domo_type(duckdb_type: str) -> str:
    upper = duckdb_type.upper()
    if upper.startswith("DECIMAL"):
        return "DECIMAL"
    return DOMO_TYPES.get(upper, "STRING")


@router.put(
    "/v1/datasets/{dataset_id}/data",
    status_code=status.HTTP_204_NO_CONTENT,
    openapi_extra=CSV_BODY,
)
async def import_data(
    dataset_id: str,
    request: Request,
    caller: DataCaller,
    services: ServicesDep,
    updateMethod: str | None = None,
    header: Annotated[str | None, Query(description=HEADER_HELP)] = None,
    schemaPolicy: Annotated[
        str | None,
        Query(description="EVOLVE, STRICT or IGNORE_NEW for this load; default: the stream's"),
    ] = None,
) -> Response:
    """Headerless CSV (RFC 4180), plain or gzip; REPLACE (the default) or APPEND. A bad line
    is a 400 naming it, and the dataset stays as it was. With `header=true` the first line
    names the columns, and `schemaPolicy` (else the dataset's stream's) decides about new
    ones."""
    method = parse_update_method(updateMethod)
    with_header, policy = header_flag(header), policy_param(schemaPolicy)
    if method not in IMPORT_METHODS:
        raise InvalidInput(
            "a DataSet import takes REPLACE or APPEND; UPSERT needs a stream with keyColumnNames",
            field="updateMethod",
        )
    hint = gzip_hint(request)
    await with_body_chunks(
        request,
        lambda chunks: services.ingest.uploads.import_csv(
            caller, dataset_id, chunks, method, hint, header=with_header, policy=policy
        ),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/v1/datasets/{dataset_id}/data", response_class=StreamingResponse, responses=CSV_ANSWER
)
def export_data(
    dataset_id: str,
    caller: DataCaller,
    services: ServicesDep,
    includeHeader: str | None = None,
    fileName: str | None = None,
) -> StreamingResponse:
    """The rows as CSV, streamed as they are read: memory stays bounded whatever the size."""
    chunks: Iterator[bytes] = services.datasets.query.export_csv(
        caller, dataset_id, parse_flag(includeHeader, "includeHeader")
    )
    headers = {}
    if fileName:
        safe = "".join(ch for ch in fileName if ch.isalnum() or ch in "._- ") or "data.csv"
        headers["Content-Disposition"] = f'attachment; filename="{safe}"'
    return StreamingResponse(chunks, media_type="text/csv; charset=utf-8", headers=headers)


@router.post(
    "/v1/datasets/query/execute/{dataset_id}",
    response_model=PublicQueryResult,
    responses=VERSION_GONE,
)
def query(
    dataset_id: str, body: QueryRequest, caller: DataCaller, services: ServicesDep
) -> JSONResponse:
    """JSON-ready as built: sent as it is, without FastAPI's pass over a returned value.
    `dataVersion` reads that version of the data, as on the product path."""
    result = services.datasets.query.execute(
        caller, dataset_id, sql_text(body.sql), body.dataVersion
    )
    types = [domo_type(t) for t in result.types]
    content = {
        "datasource": dataset_id,
        "columns": result.columns,
        "metadata": [
            {
                "type": t,
                "dataSourceId": dataset_id,
                "maxLength": -1,
                "minLength": -1,
                "periodIndex": 0,
            }
            for t in types
        ],
        "rows": [[json_value(v) for v in row] for row in result.rows],
        "numRows": len(result.rows),
        "numColumns": len(result.columns),
    }
    return JSONResponse(content)
