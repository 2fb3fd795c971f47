"""CSV export on Domo's product path: `GET /api/data/v2/datasources/{id}/dataversions/latest`."""

from __future__ import annotations

import re

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from headwater.api.auth import Caller, ServicesDep
from headwater.api.openapi_responses import CSV_ANSWER

router = APIRouter(tags=["datasets"])

SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


@router.get(
    "/api/data/v2/datasources/{dataset_id}/dataversions/latest",
    response_class=StreamingResponse,
    responses=CSV_ANSWER,
)
def export_latest(
    dataset_id: str,
    caller: Caller,
    services: ServicesDep,
    includeHeader: bool = False,
    fileName: str | None = None,
) -> StreamingResponse:
    """The committed version as CSV (RFC 4180; null is an empty field, `""` an empty string),
    streamed and filtered by the caller's row policies like every read path;
    `includeHeader=true` starts with the column names."""
    chunks = services.datasets.query.export_csv(caller, dataset_id, includeHeader)
    name = SAFE_NAME.sub("_", fileName or f"{dataset_id}.csv")
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
